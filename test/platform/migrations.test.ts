/** One migration set on both engines: idempotent, and safe when several replicas start at once. */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { describe, it } from 'node:test'
import { modules } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import type { Database } from '../../src/database.js'
import { createDb as createUntypedDb, type Db, tablesOf } from '../../src/platform/db/index.js'
import { gatherMigrations, migrateToLatest as migrateWith } from '../../src/platform/db/migrate.js'
import { testEnv } from '../helpers/app.js'
import { describeOnEachDialect, postgresql, sqlite } from '../helpers/databases.js'
import { REPO_ROOT } from '../helpers/server-process.js'

const migrations = gatherMigrations(modules)
const createDb = (...args: Parameters<typeof createUntypedDb>) => tablesOf<Database>(createUntypedDb(...args))
const migrateToLatest = (db: Db<Database>) => migrateWith(db, modules)

describeOnEachDialect('migrations', (dialect) => {
  it('apply every migration once, then find nothing to do', async (t) => {
    const database = await dialect.create()
    t.after(() => database.drop())
    const db = createDb(loadConfig(testEnv(database.url)).database)
    t.after(() => db.close())
    const first = await migrateToLatest(db)
    assert.deepEqual(
      first.results?.map((r) => [r.migrationName, r.status]),
      Object.keys(migrations).map((name) => [name, 'Success']),
    )
    const second = await migrateToLatest(db)
    assert.deepEqual(second.results, [])
    const state = await db.kysely.selectFrom('state').selectAll().execute()
    assert.equal(state.length, 1, 'the seeded state row exists exactly once')
  })
})

describe('concurrent start-up on PostgreSQL', { skip: postgresql.skip }, () => {
  it('six processes migrating one database at once: all succeed, each migration applied once', async (t) => {
    const database = await postgresql.create()
    t.after(() => database.drop())
    const dbs = Array.from({ length: 6 }, () => createDb(loadConfig(testEnv(database.url)).database))
    t.after(() => Promise.all(dbs.map((d) => d.close())))
    const results = await Promise.all(dbs.map((d) => migrateToLatest(d)))
    const applied = results.flatMap((r) => r.results ?? []).filter((r) => r.status === 'Success')
    assert.deepEqual(applied.map((r) => r.migrationName).sort(), Object.keys(migrations).sort())
    const first = dbs[0]!
    assert.equal((await first.kysely.selectFrom('state').selectAll().execute()).length, 1)
  })
})

describe('concurrent start-up on one SQLite file', () => {
  it('two app instances in one process migrating one new file together: both succeed (no event-loop deadlock)', async (t) => {
    const database = await sqlite.create()
    t.after(() => database.drop())
    const dbs = [0, 1].map(() => createDb(loadConfig(testEnv(database.url)).database))
    t.after(() => Promise.all(dbs.map((d) => d.close())))
    const results = await Promise.all(dbs.map((d) => migrateToLatest(d)))
    const applied = results.flatMap((r) => r.results ?? []).filter((r) => r.status === 'Success')
    assert.deepEqual(applied.map((r) => r.migrationName).sort(), Object.keys(migrations).sort())
  })

  it('four processes migrating one new file at the same instant: all succeed, each migration applied once', async (t) => {
    const database = await sqlite.create()
    t.after(() => database.drop())
    // Separate processes (each its own connection and file locks, as separate replicas), loaded
    // first and then released together, so their migrations really overlap.
    const startAt = Date.now() + 8000
    const script = `
      import { modules } from './src/app.ts'
      import { createDb } from './src/platform/db/index.ts'
      import { migrateToLatest } from './src/platform/db/migrate.ts'
      const db = createDb({ engine: 'sqlite', filename: process.env.DB_FILE })
      while (Date.now() < ${startAt}) await new Promise((r) => setTimeout(r, 5))
      await migrateToLatest(db, modules)
      await db.close()`
    const runs = Array.from(
      { length: 4 },
      () =>
        new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
            cwd: REPO_ROOT,
            env: { ...process.env, DB_FILE: database.url.replace(/^sqlite:/, '') },
          })
          let out = ''
          child.stdout.on('data', (d) => (out += d))
          child.stderr.on('data', (d) => (out += d))
          child.on('exit', (code) => resolve({ code, out }))
        }),
    )
    const results = await Promise.all(runs)
    for (const r of results) assert.equal(r.code, 0, r.out)
    const db = createDb(loadConfig(testEnv(database.url)).database)
    t.after(() => db.close())
    const applied = await db.kysely
      .selectFrom('kysely_migration' as never)
      .select('name' as never)
      .execute()
    assert.deepEqual((applied as { name: string }[]).map((r) => r.name).sort(), Object.keys(migrations).sort())
    assert.equal((await db.kysely.selectFrom('state').selectAll().execute()).length, 1)
  })
})
