import { type Kysely, sql } from 'kysely'
import { isSqlite } from '../../../platform/db/dialect.js'

/**
 * String ids (SPEC §5): builds are named by strings. A build that exists keeps its integer id as
 * decimal text ("5"), so the ids old clients stored keep working; new builds get UUIDv7s from the
 * application. The columns that point at a build become text with it: build_states.build_pk and
 * build_failures.build_pk; states and failures keep their integer ids. Builds are listed newest
 * first by (created_at, id) now that ids are not serials.
 * (Users, profiles and tokens got string ids at the same time: 0006_identity_string_ids.)
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (isSqlite(db)) await rebuildSqliteTables(db)
  else await alterPostgresColumns(db)
  // Lists and dashboards read newest first, optionally within a platform and/or status.
  for (const name of ['builds_platform_id', 'builds_status_id', 'builds_platform_status_id']) {
    await db.schema.dropIndex(name).ifExists().execute()
  }
  await db.schema.createIndex('builds_created_at_id').on('builds').columns(['created_at', 'id']).execute()
  await db.schema
    .createIndex('builds_platform_created_at_id')
    .on('builds')
    .columns(['platform', 'created_at', 'id'])
    .execute()
  await db.schema
    .createIndex('builds_status_created_at_id')
    .on('builds')
    .columns(['status', 'created_at', 'id'])
    .execute()
  await db.schema
    .createIndex('builds_platform_status_created_at_id')
    .on('builds')
    .columns(['platform', 'status', 'created_at', 'id'])
    .execute()
}

// No down: a UUID has no integer to go back to.

/** Each table, as it is after this migration, under a `_new` name that its references use too. */
const SQLITE_TABLES: { name: string; create: string; copy: string; indexes: string[] }[] = [
  {
    name: 'builds',
    create: `create table builds_new (
      id text not null primary key, build_id text not null unique,
      platform text not null references platforms (id), os_version text not null references os_versions (id),
      image_type text not null references image_types (id), pipeline_url text, commit_hash text,
      current_state integer not null, status text not null, failure_count integer not null default 0,
      created_at text not null, updated_at text not null)`,
    copy: `insert into builds_new (id, build_id, platform, os_version, image_type, pipeline_url, commit_hash, current_state, status, failure_count, created_at, updated_at)
      select cast(id as text), build_id, platform, os_version, image_type, pipeline_url, commit_hash, current_state, status, failure_count, created_at, updated_at from builds`,
    indexes: [],
  },
  {
    name: 'build_states',
    create: `create table build_states_new (
      id integer primary key, build_pk text not null references builds_new (id),
      state_code integer not null, message text, transitioned_at text not null)`,
    copy: `insert into build_states_new (id, build_pk, state_code, message, transitioned_at)
      select id, cast(build_pk as text), state_code, message, transitioned_at from build_states`,
    indexes: ['create index build_states_build_pk_id on build_states (build_pk, id)'],
  },
  {
    name: 'build_failures',
    create: `create table build_failures_new (
      id integer primary key, build_pk text not null references builds_new (id), state_code integer not null,
      error_message text not null, error_code text, component text, details text, recorded_at text not null)`,
    copy: `insert into build_failures_new (id, build_pk, state_code, error_message, error_code, component, details, recorded_at)
      select id, cast(build_pk as text), state_code, error_message, error_code, component, details, recorded_at from build_failures`,
    indexes: ['create index build_failures_build_pk_id on build_failures (build_pk, id)'],
  },
]

/**
 * SQLite cannot change a column's type: each table is rebuilt (create, copy, drop, rename). This runs
 * inside the migration's transaction, where `foreign_keys` cannot be switched off — so the order
 * does the work instead: the parent is copied first; the old tables are dropped children first, and
 * the new ones point at `builds_new`, so the implicit DELETE of the dropped parent touches nothing;
 * each rename then rewrites the references to the final names.
 */
async function rebuildSqliteTables(db: Kysely<any>): Promise<void> {
  await sql`pragma legacy_alter_table = off`.execute(db) // RENAME must rewrite references in other tables
  for (const table of SQLITE_TABLES) await sql.raw(table.create).execute(db)
  for (const table of SQLITE_TABLES) await sql.raw(table.copy).execute(db)
  for (const table of [...SQLITE_TABLES].reverse()) await sql.raw(`drop table ${table.name}`).execute(db)
  for (const table of SQLITE_TABLES) await sql.raw(`alter table ${table.name}_new rename to ${table.name}`).execute(db)
  for (const table of SQLITE_TABLES) for (const index of table.indexes) await sql.raw(index).execute(db)
  const { rows: broken } = await sql`pragma foreign_key_check`.execute(db)
  if (broken.length > 0)
    throw new Error(
      `0006_builds_string_ids: ${broken.length} rows lost their reference: ${JSON.stringify(broken.slice(0, 5))}`,
    )
}

/** What points at builds.id (with its ON DELETE). */
const PG_CHILDREN: { table: string; column: string; onDelete: 'cascade' | 'no action' }[] = [
  { table: 'build_states', column: 'build_pk', onDelete: 'no action' },
  { table: 'build_failures', column: 'build_pk', onDelete: 'no action' },
]

/** PostgreSQL changes the types in place (ALTER … TYPE text), with the foreign keys dropped meanwhile. */
async function alterPostgresColumns(db: Kysely<any>): Promise<void> {
  const { rows: foreignKeys } = await sql<{ child: string; name: string }>`
    select conrelid::regclass::text as child, conname as name from pg_constraint
    where contype = 'f' and confrelid::regclass::text = 'builds'`.execute(db)
  for (const fk of foreignKeys)
    await sql`alter table ${sql.id(fk.child)} drop constraint ${sql.id(fk.name)}`.execute(db)
  const { rows } = await sql<{ seq: string | null }>`select pg_get_serial_sequence('builds', 'id') as seq`.execute(db)
  await sql`alter table builds alter column id drop default, alter column id type text using id::text`.execute(db)
  if (rows[0]?.seq) await sql.raw(`drop sequence if exists ${rows[0].seq}`).execute(db)
  for (const child of PG_CHILDREN) {
    await sql`alter table ${sql.id(child.table)} alter column ${sql.id(child.column)} type text using ${sql.ref(child.column)}::text`.execute(
      db,
    )
    await sql
      .raw(
        `alter table ${child.table} add constraint ${child.table}_${child.column}_fkey foreign key (${child.column}) references builds (id) on delete ${child.onDelete}`,
      )
      .execute(db)
  }
}
