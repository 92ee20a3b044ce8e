/** No lost updates: N concurrent increments always add N and write N log rows (SPEC §2.2). */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, WRITE_HEADERS } from '../../helpers/app.js'
import { postgresql, sqlite } from '../../helpers/databases.js'

const N = 500

const increment = (app: FastifyInstance) =>
  app.inject({ method: 'POST', url: '/update', headers: WRITE_HEADERS, payload: '{"increment":1}' })

async function stateAndLogCount(app: FastifyInstance) {
  const status = (await app.inject({ url: '/status' })).json()
  const logs = (await app.inject({ url: '/logs?limit=100' })).json()
  return { counter: status.counter, version: status.version, total: logs.total }
}

describe('concurrent increments', () => {
  it(`${N} concurrent increments on SQLite add ${N} and write ${N} log rows`, async (t) => {
    const app = await buildTestApp(t, sqlite)
    const responses = await Promise.all(Array.from({ length: N }, () => increment(app)))
    assert.deepEqual([...new Set(responses.map((r) => r.statusCode))], [200])
    // Every response saw a distinct version: no two requests read the same state.
    assert.equal(new Set(responses.map((r) => r.json().version)).size, N)
    const { counter, version, total } = await stateAndLogCount(app)
    assert.deepEqual({ counter, version, total }, { counter: N, version: N, total: N })
    const rows = await app.db.kysely
      .selectFrom('state_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    assert.equal(Number(rows.n), N)
  })

  it(`${N} concurrent increments split across two app instances on one PostgreSQL database`, {
    skip: postgresql.skip,
  }, async (t) => {
    const a = await buildTestApp(t, postgresql)
    const b = await buildTestApp(t, postgresql, { database: a.database })
    const responses = await Promise.all(Array.from({ length: N }, (_, i) => increment(i % 2 ? a : b)))
    assert.deepEqual([...new Set(responses.map((r) => r.statusCode))], [200])
    assert.equal(new Set(responses.map((r) => r.json().version)).size, N)
    const fromA = await stateAndLogCount(a)
    const fromB = await stateAndLogCount(b)
    assert.deepEqual(fromA, { counter: N, version: N, total: N })
    assert.deepEqual(fromB, fromA)
    const rows = await a.db.kysely
      .selectFrom('state_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    assert.equal(Number(rows.n), N)
  })
})
