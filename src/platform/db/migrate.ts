/**
 * Applies the modules' migrations, gathered into one set, to either engine. On PostgreSQL a session
 * advisory lock wraps the whole run, so replicas that start together migrate once and the others
 * wait, then find nothing to do; on SQLite one immediate transaction does the same for processes
 * sharing a file.
 */
import { type Kysely, type Migration, type MigrationResultSet, Migrator, sql } from 'kysely'
import type { Db } from './index.js'

/** Whoever brings migrations (a module): its name for error messages, and its migrations by name. */
export interface MigrationSource {
  name: string
  migrations: Readonly<Record<string, Migration>>
}

/**
 * One map of every source's migrations, ordered by name (Kysely runs them in that order). Names are
 * what kysely_migration records, so they must be unique across modules: a duplicate fails loudly.
 */
export function gatherMigrations(sources: readonly MigrationSource[]): Record<string, Migration> {
  const owner = new Map<string, string>()
  const entries: [string, Migration][] = []
  for (const source of sources) {
    for (const [name, migration] of Object.entries(source.migrations)) {
      const other = owner.get(name)
      if (other !== undefined) throw new Error(`migration ${name} is defined by both ${other} and ${source.name}`)
      owner.set(name, source.name)
      entries.push([name, migration])
    }
  }
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

const MIGRATION_LOCK_KEY = 7_462_001 // arbitrary, fixed: "statehouse migrations"

export async function migrateToLatest<DB>(
  db: Db<DB>,
  sources: readonly MigrationSource[],
): Promise<MigrationResultSet> {
  const migrations = gatherMigrations(sources)
  const run = (kysely: Kysely<DB>) =>
    // Unordered: modules were given their numbers up front and land in any order, so a database
    // that already ran 0005 must still accept 0002 later.
    new Migrator({
      db: kysely,
      provider: { getMigrations: async () => migrations },
      allowUnorderedMigrations: true,
    }).migrateToLatest()
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
async function beginImmediateWaitingAsync<DB>(conn: Kysely<DB>, timeoutMs = 60_000): Promise<void> {
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
