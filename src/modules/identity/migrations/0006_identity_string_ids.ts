import { type Kysely, sql } from 'kysely'
import { isSqlite } from '../../../platform/db/dialect.js'

/**
 * String ids (SPEC §3): users, profiles and API tokens are named by strings. A row that exists keeps
 * its integer id as decimal text ("5"), so the ids old clients stored and the JWTs already issued
 * (`sub` "5") keep working; new rows get UUIDv7s from the application. Every column that points at
 * a user becomes text with it: profiles.user_id, api_tokens.user_id and items.owner_id. The items
 * table belongs to the items module, but its owner_id is a reference to identity's key, and a key
 * and what points at it must change type in one step (the foreign key spans both), so identity,
 * which changes the key, converts that column too. Items keep their integer ids.
 * (Builds got string ids at the same time: 0006_builds_string_ids, in the builds module.)
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (isSqlite(db)) await rebuildSqliteTables(db)
  else await alterPostgresColumns(db)
}

// No down: a UUID has no integer to go back to.

/** Each table, as it is after this migration, under a `_new` name that its references use too. */
const SQLITE_TABLES: { name: string; create: string; copy: string; indexes: string[] }[] = [
  {
    name: 'users',
    create: `create table users_new (
      id text not null primary key, username text not null unique, email text unique, password_hash text,
      first_name text, last_name text, employee_id text,
      is_active integer not null default 1, is_superuser integer not null default 0,
      created_at text not null, updated_at text not null, deactivated_at text)`,
    copy: `insert into users_new (id, username, email, password_hash, first_name, last_name, employee_id, is_active, is_superuser, created_at, updated_at, deactivated_at)
      select cast(id as text), username, email, password_hash, first_name, last_name, employee_id, is_active, is_superuser, created_at, updated_at, deactivated_at from users`,
    indexes: [],
  },
  {
    name: 'profiles',
    create: `create table profiles_new (
      id text not null primary key, user_id text not null unique references users_new (id) on delete cascade,
      first_name text, last_name text, employee_id text, email text,
      start_date text not null, end_date text, created_at text not null)`,
    copy: `insert into profiles_new (id, user_id, first_name, last_name, employee_id, email, start_date, end_date, created_at)
      select cast(id as text), cast(user_id as text), first_name, last_name, employee_id, email, start_date, end_date, created_at from profiles`,
    indexes: [],
  },
  {
    name: 'api_tokens',
    create: `create table api_tokens_new (
      id text not null primary key, user_id text not null references users_new (id) on delete cascade,
      name text not null, token_hash text not null unique, scopes text not null,
      created_at text not null, expires_at text, revoked_at text)`,
    copy: `insert into api_tokens_new (id, user_id, name, token_hash, scopes, created_at, expires_at, revoked_at)
      select cast(id as text), cast(user_id as text), name, token_hash, scopes, created_at, expires_at, revoked_at from api_tokens`,
    indexes: ['create index api_tokens_user_id on api_tokens (user_id)'],
  },
  {
    name: 'items',
    create: `create table items_new (
      id integer primary key autoincrement, owner_id text not null references users_new (id) on delete cascade,
      name text not null, description text, created_at text not null, updated_at text not null)`,
    copy: `insert into items_new (id, owner_id, name, description, created_at, updated_at)
      select id, cast(owner_id as text), name, description, created_at, updated_at from items`,
    indexes: ['create index items_owner_id_id on items (owner_id, id)'],
  },
]

/**
 * SQLite cannot change a column's type: each table is rebuilt (create, copy, drop, rename). This runs
 * inside the migration's transaction, where `foreign_keys` cannot be switched off — so the order
 * does the work instead: parents are copied first; the old tables are dropped children first, and
 * the new ones point at `*_new` names, so the implicit DELETE of a dropped parent cascades into
 * nothing; each rename then rewrites the references to the final names.
 */
async function rebuildSqliteTables(db: Kysely<any>): Promise<void> {
  await sql`pragma legacy_alter_table = off`.execute(db) // RENAME must rewrite references in other tables
  // items is AUTOINCREMENT: an id once used (even deleted) must never come back.
  const { rows: sequence } = await sql<{ seq: number }>`select seq from sqlite_sequence where name = 'items'`.execute(
    db,
  )
  for (const table of SQLITE_TABLES) await sql.raw(table.create).execute(db)
  for (const table of SQLITE_TABLES) await sql.raw(table.copy).execute(db)
  for (const table of [...SQLITE_TABLES].reverse()) await sql.raw(`drop table ${table.name}`).execute(db)
  for (const table of SQLITE_TABLES) await sql.raw(`alter table ${table.name}_new rename to ${table.name}`).execute(db)
  for (const table of SQLITE_TABLES) for (const index of table.indexes) await sql.raw(index).execute(db)
  const used = Math.max(
    Number(sequence[0]?.seq ?? 0),
    Number((await sql<{ m: number | null }>`select max(id) as m from items`.execute(db)).rows[0]?.m ?? 0),
  )
  await sql`delete from sqlite_sequence where name in ('items', 'items_new')`.execute(db)
  if (used > 0) await sql`insert into sqlite_sequence (name, seq) values ('items', ${used})`.execute(db)
  const { rows: broken } = await sql`pragma foreign_key_check`.execute(db)
  if (broken.length > 0)
    throw new Error(
      `0006_identity_string_ids: ${broken.length} rows lost their reference: ${JSON.stringify(broken.slice(0, 5))}`,
    )
}

/** Each id column, and what points at it (with its ON DELETE). */
const PG_REFERENCES: {
  table: string
  children: { table: string; column: string; onDelete: 'cascade' | 'no action' }[]
}[] = [
  {
    table: 'users',
    children: [
      { table: 'profiles', column: 'user_id', onDelete: 'cascade' },
      { table: 'api_tokens', column: 'user_id', onDelete: 'cascade' },
      { table: 'items', column: 'owner_id', onDelete: 'cascade' },
    ],
  },
  { table: 'profiles', children: [] },
  { table: 'api_tokens', children: [] },
]

/** PostgreSQL changes the types in place (ALTER … TYPE text), with the foreign keys dropped meanwhile. */
async function alterPostgresColumns(db: Kysely<any>): Promise<void> {
  const parents = PG_REFERENCES.map((p) => p.table)
  const { rows: foreignKeys } = await sql<{ child: string; name: string }>`
    select conrelid::regclass::text as child, conname as name from pg_constraint
    where contype = 'f' and confrelid::regclass::text in (${sql.join(parents)})`.execute(db)
  for (const fk of foreignKeys)
    await sql`alter table ${sql.id(fk.child)} drop constraint ${sql.id(fk.name)}`.execute(db)
  for (const parent of PG_REFERENCES) {
    const { rows } = await sql<{
      seq: string | null
    }>`select pg_get_serial_sequence(${parent.table}, 'id') as seq`.execute(db)
    await sql`alter table ${sql.id(parent.table)} alter column id drop default, alter column id type text using id::text`.execute(
      db,
    )
    if (rows[0]?.seq) await sql.raw(`drop sequence if exists ${rows[0].seq}`).execute(db)
    for (const child of parent.children) {
      await sql`alter table ${sql.id(child.table)} alter column ${sql.id(child.column)} type text using ${sql.ref(child.column)}::text`.execute(
        db,
      )
      await sql
        .raw(
          `alter table ${child.table} add constraint ${child.table}_${child.column}_fkey foreign key (${child.column}) references ${parent.table} (id) on delete ${child.onDelete}`,
        )
        .execute(db)
    }
  }
}
