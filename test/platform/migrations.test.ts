/** One migration set on both engines: idempotent, and safe when several replicas start at once. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createDb } from '../../src/platform/db/index.js'
import { migrateToLatest, migrations } from '../../src/platform/db/migrate.js'
import { loadConfig } from '../../src/config.js'
import { DIALECTS, postgresql } from '../helpers/databases.js'
import { testEnv } from '../helpers/app.js'

for (const dialect of DIALECTS) {
  describe(`migrations on ${dialect.name}`, { skip: dialect.skip }, () => {
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
}

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
