/**
 * Applies the one migration set to either engine. On PostgreSQL a session advisory lock wraps the
 * whole run, so replicas that start together migrate once and the others wait, then find nothing to do;
 * on SQLite one immediate transaction does the same for processes sharing a file.
 */
import { type Kysely, type Migration, type MigrationResultSet, Migrator, sql } from 'kysely'
import type { Db } from './index.js'
import * as m0001 from './migrations/0001_state.js'
import * as m0002 from './migrations/0002_identity.js'
import * as m0003 from './migrations/0003_items.js'
import * as m0004 from './migrations/0004_builds.js'
import * as m0005 from './migrations/0005_aircraft.js'
import * as m0006 from './migrations/0006_string_ids.js'
import * as m0007 from './migrations/0007_aircraft_icao_case.js'

/** Ordered by name; append only. */
export const migrations: Record<string, Migration> = {
  '0001_state': m0001,
  '0002_identity': m0002,
  '0003_items': m0003,
  '0004_builds': m0004,
  '0005_aircraft': m0005,
  '0006_string_ids': m0006,
  '0007_aircraft_icao_case': m0007,
}

const MIGRATION_LOCK_KEY = 7_462_001 // arbitrary, fixed: "statehouse migrations"

export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  const run = (kysely: Kysely<any>) =>
    // Unordered: modules were given their numbers up front and land in any order, so a database
    // that already ran 0005 must still accept 0002 later.
    new Migrator({ db: kysely, provider: { getMigrations: async () => migrations }, allowUnorderedMigrations: true }).migrateToLatest()
  const result =
    db.engine === 'postgresql'
      ? await db.kysely.connection().execute(async (conn) => {
          await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn)
          try {
            return await run(conn)
          } finally {
            await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn)
          }
        })
      : await db.kysely.connection().execute(async (conn) => {
          // SQLite has no advisory lock, but BEGIN IMMEDIATE takes the file's write lock up front:
          // another process (or app instance) starting on the same file waits, then finds nothing to do.
          await beginImmediateWaitingAsync(conn)
          try {
            const outcome = await run(conn)
            await sql.raw(outcome.error ? 'rollback' : 'commit').execute(conn)
            return outcome
          } catch (err) {
            await sql`rollback`.execute(conn).catch(() => {})
            throw err
          }
        })
  if (result.error) throw result.error
  return result
}

/**
 * BEGIN IMMEDIATE, retried on a timer while another connection holds the write lock. SQLite's own
 * busy timeout would wait inside the call and block the event loop — a deadlock when the holder is
 * another app instance in this same process — so it is off for the attempt.
 */
async function beginImmediateWaitingAsync(conn: Kysely<any>, timeoutMs = 60_000): Promise<void> {
  const { rows } = await sql<{ timeout: number }>`pragma busy_timeout`.execute(conn)
  const busyTimeout = Number(rows[0]?.timeout ?? 0)
  await sql`pragma busy_timeout = 0`.execute(conn)
  const deadline = Date.now() + timeoutMs
  try {
    for (;;) {
      try {
        await sql`begin immediate`.execute(conn)
        return
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    }
  } finally {
    await sql.raw(`pragma busy_timeout = ${busyTimeout}`).execute(conn)
  }
}
