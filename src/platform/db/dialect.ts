/**
 * Where the two engines differ in a schema, in one place (the way Kysely's own test setup has
 * `createTableWithId`). Migrations branch only through these helpers; queries that must differ at
 * run time ask `Db.engine` instead.
 */
import { type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely, SqliteAdapter, sql } from 'kysely'

export function isSqlite<DB>(db: Kysely<DB>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter
}

/**
 * A 64-bit primary key the application fills in itself (no default): SQLite's rowid alias must be
 * spelled INTEGER PRIMARY KEY (it is 64-bit there); PostgreSQL needs bigint.
 */
export function assignedBigIdType<DB>(db: Kysely<DB>): 'integer' | 'bigint' {
  return isSqlite(db) ? 'integer' : 'bigint'
}

/**
 * A generated primary key, cheapest form: SQLite's rowid alias (a deleted highest id may be handed
 * out again), PostgreSQL's bigserial. For rows that are never deleted. Use with `c.primaryKey()`.
 */
export function rowIdType<DB>(db: Kysely<DB>): 'integer' | 'bigserial' {
  return isSqlite(db) ? 'integer' : 'bigserial'
}

/**
 * A generated primary key that is never reused: SQLite's AUTOINCREMENT (so an old id can never name
 * someone else's row after a delete), PostgreSQL's bigserial. Spread into `addColumn('id', ...)`.
 */
export function neverReusedId<DB>(db: Kysely<DB>) {
  return isSqlite(db)
    ? (['integer', (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement()] as const)
    : (['bigserial', (c: ColumnDefinitionBuilder) => c.primaryKey()] as const)
}

/**
 * On SQLite, narrow tables keyed by text are WITHOUT ROWID: the rows live in the primary-key B-tree
 * itself, so an insert touches one B-tree instead of a rowid table plus a key index. PostgreSQL has
 * no such option and needs none. Use with `.$call(withoutRowIdOnSqlite(db))`.
 */
export const withoutRowIdOnSqlite =
  <DB>(db: Kysely<DB>) =>
  <TB extends string, C extends string>(b: CreateTableBuilder<TB, C>): CreateTableBuilder<TB, C> =>
    isSqlite(db) ? b.modifyEnd(sql`without rowid`) : b
