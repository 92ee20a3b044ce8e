/**
 * SQLite backup and restore for `statehouse backup|restore`. A backup is SQLite's online backup
 * (better-sqlite3's db.backup()): a consistent snapshot while a server keeps writing, checked with
 * PRAGMA integrity_check before it is put in place. A restore refuses a file that is not a sound
 * statehouse database, and a database file that another process (a server) has open.
 * PostgreSQL has its own tools (pg_dump / pg_restore, RDS snapshots): see README "Backups".
 */
import fs from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'

export class BackupError extends Error {}

/** `ok`, or the first problems PRAGMA integrity_check reports (a non-database file throws). */
function integrity(file: string): string {
  let db: SQLite.Database
  try {
    db = new SQLite(file, { readonly: true, fileMustExist: true })
  } catch (err) {
    throw new BackupError(`${file}: cannot be opened as SQLite (${(err as Error).message})`)
  }
  try {
    const rows = db.pragma('integrity_check(10)') as { integrity_check: string }[]
    const tables = db.prepare("select name from sqlite_master where type = 'table' and name = 'kysely_migration'").all()
    if (rows.length !== 1 || rows[0]?.integrity_check !== 'ok') return rows.map((r) => r.integrity_check).join('; ')
    if (tables.length === 0)
      throw new BackupError(`${file}: is SQLite but not a statehouse database (no kysely_migration table)`)
    return 'ok'
  } catch (err) {
    if (err instanceof BackupError) throw err
    throw new BackupError(`${file}: is not a sound SQLite database (${(err as Error).message})`)
  } finally {
    db.close()
  }
}

/** Copies the live database `source` to `dest` (written beside it, checked, then renamed into place). */
export async function backupSqlite(source: string, dest: string): Promise<{ bytes: number }> {
  if (!fs.existsSync(source)) throw new BackupError(`${source}: no such database (nothing to back up)`)
  if (fs.existsSync(dest)) throw new BackupError(`${dest}: already exists (choose a new file name)`)
  const partial = `${dest}.partial-${process.pid}`
  const db = new SQLite(source, { fileMustExist: true })
  try {
    db.pragma('busy_timeout = 5000')
    // After the first step of 100 pages, copy the rest in one step: a write between steps restarts
    // the copy, and one step holds a read snapshot, so a busy server cannot keep it from finishing.
    await db.backup(partial, { progress: ({ totalPages }) => Math.max(totalPages, 100) })
  } catch (err) {
    fs.rmSync(partial, { force: true })
    throw new BackupError(`backup of ${source} failed: ${(err as Error).message}`)
  } finally {
    db.close()
  }
  const check = integrity(partial)
  if (check !== 'ok') {
    fs.rmSync(partial, { force: true })
    throw new BackupError(`the backup failed PRAGMA integrity_check: ${check}`)
  }
  fs.renameSync(partial, dest)
  return { bytes: fs.statSync(dest).size }
}

/** Replaces the database `target` with the backup `source`, when nothing has `target` open. */
export async function restoreSqlite(source: string, target: string): Promise<{ bytes: number }> {
  if (!fs.existsSync(source)) throw new BackupError(`${source}: no such file`)
  const check = integrity(source)
  if (check !== 'ok') throw new BackupError(`${source}: fails PRAGMA integrity_check: ${check}`)
  if (fs.existsSync(target)) {
    // Leaving WAL mode needs the only connection to the file: a running server makes this fail.
    const live = new SQLite(target, { fileMustExist: true })
    try {
      live.pragma('busy_timeout = 0')
      const mode = live.pragma('journal_mode = DELETE', { simple: true })
      if (mode !== 'delete') throw new Error(`journal mode stays ${mode}`)
    } catch (err) {
      throw new BackupError(
        `${target}: is in use by another process (a running server?); stop it, then restore (${(err as Error).message})`,
      )
    } finally {
      live.close()
    }
  }
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true })
  const partial = `${target}.restore-${process.pid}`
  const db = new SQLite(source, { readonly: true, fileMustExist: true })
  try {
    await db.backup(partial)
  } finally {
    db.close()
  }
  for (const suffix of ['-wal', '-shm', '-journal']) fs.rmSync(`${target}${suffix}`, { force: true })
  fs.renameSync(partial, target)
  return { bytes: fs.statSync(target).size }
}
