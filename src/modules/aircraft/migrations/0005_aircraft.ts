import type { Kysely } from 'kysely'
import { withoutRowIdOnSqlite as clustered } from '../../../platform/db/dialect.js'

// WITHOUT ROWID on SQLite for the narrow text-keyed tables (positions grow by ~7,000 rows per snapshot).

/** Aircraft ingest (SPEC §6): stats, positions, processed files, jobs and the one-job lease. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('aircraft_stats')
    .addColumn('icao', 'text', (c) => c.primaryKey())
    .addColumn('registration', 'text')
    .addColumn('type', 'text')
    .addColumn('observations', 'bigint', (c) => c.notNull())
    .addColumn('max_altitude_baro', 'double precision')
    .addColumn('max_ground_speed', 'double precision')
    .addColumn('sum_altitude', 'double precision', (c) => c.notNull())
    .addColumn('altitude_count', 'bigint', (c) => c.notNull())
    .addColumn('sum_speed', 'double precision', (c) => c.notNull())
    .addColumn('speed_count', 'bigint', (c) => c.notNull())
    .addColumn('had_emergency', 'integer', (c) => c.notNull())
    .addColumn('first_seen', 'text')
    .addColumn('last_seen', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute() // a rowid table: its rows are wide (14 columns), where WITHOUT ROWID measured slower
  await db.schema
    .createTable('aircraft_positions')
    .addColumn('icao', 'text', (c) => c.notNull())
    .addColumn('timestamp', 'text', (c) => c.notNull())
    .addColumn('lat', 'double precision', (c) => c.notNull())
    .addColumn('lon', 'double precision', (c) => c.notNull())
    .addPrimaryKeyConstraint('aircraft_positions_pk', ['icao', 'timestamp']) // also serves reads by aircraft, in time order
    .$call(clustered(db))
    .execute()
  // SQLite's staging area for positions (no key, no index: appends only); unused on PostgreSQL.
  await db.schema
    .createTable('aircraft_positions_staged')
    .addColumn('icao', 'text', (c) => c.notNull())
    .addColumn('timestamp', 'text', (c) => c.notNull())
    .addColumn('lat', 'double precision', (c) => c.notNull())
    .addColumn('lon', 'double precision', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('ingest_files')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('etag', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('records', 'bigint', (c) => c.notNull())
    .addColumn('processed_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('ingest_files_pk', ['source', 'key'])
    .$call(clustered(db))
    .execute()
  await db.schema
    .createTable('ingest_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('files_total', 'bigint', (c) => c.notNull())
    .addColumn('files_done', 'bigint', (c) => c.notNull())
    .addColumn('files_skipped', 'bigint', (c) => c.notNull())
    .addColumn('records', 'bigint', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('errors', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('ingest_lease')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('job_id', 'text')
    .addColumn('owner', 'text')
    .addColumn('expires_at', 'text')
    .execute()
  await db.insertInto('ingest_lease').values({ id: 1, job_id: null, owner: null, expires_at: null }).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'ingest_lease',
    'ingest_jobs',
    'ingest_files',
    'aircraft_positions_staged',
    'aircraft_positions',
    'aircraft_stats',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
