/**
 * PostgreSQL faults through a proxy the test owns (issue 17): a half-open network (the proxy keeps
 * every connection open and forwards nothing, so no FIN or RST ever arrives) must not stop writes
 * for good. Writes answer 503 + Retry-After within the commit deadline, /ready turns 503, and after
 * the network heals writes succeed again with every acknowledged write stored. A refused database
 * (connections cut and refused) answers 503 too, and a connection lost mid-transaction is a 503.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import pg from 'pg'
import { buildTestApp, WRITE_HEADERS } from '../helpers/app.js'
import { PG_ADMIN_URL, postgresql, postgresThroughProxy } from '../helpers/databases.js'

/** Short deadlines so the test runs in seconds; the defaults are 5 s statements and a 10 s commit deadline. */
const FAST = {
  DB_STATEMENT_TIMEOUT_MS: '400',
  DB_CONNECT_TIMEOUT_MS: '500',
  WRITE_DEADLINE_MS: '1000',
  HEALTH_PROBE_INTERVAL_MS: '200',
}
/** Generous: the deadline plus slack for a loaded machine (before the fix a write never answered). */
const ANSWER_BOUND_MS = 8000

type App = Awaited<ReturnType<typeof buildTestApp>>

async function timedUpdate(app: App, body: object, key: string) {
  const started = performance.now()
  const res = await app.inject({
    method: 'POST',
    url: '/update',
    headers: { ...WRITE_HEADERS, 'idempotency-key': key },
    payload: body,
  })
  return { res, ms: performance.now() - started }
}

/** Polls (bounded) until `check` holds. */
async function until(check: () => Promise<boolean>, what: string, rounds = 100, pauseMs = 200) {
  for (let i = 0; i < rounds; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, pauseMs))
  }
  assert.fail(`${what}: not within ${rounds} tries`)
}

/** The stored log, read straight from the database (not through the proxy). */
async function storedLog(url: string): Promise<Map<number, number>> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query('select id, new_counter from state_log')
    return new Map(rows.map((r: { id: string; new_counter: string }) => [Number(r.id), Number(r.new_counter)]))
  } finally {
    await client.end()
  }
}

describe('PostgreSQL faults', { skip: postgresql.skip }, () => {
  it('half-open: writes answer 503 within the deadline, /ready 503, then writes resume and none acknowledged is lost', {
    timeout: 90_000,
  }, async (t) => {
    const { database, proxy } = await postgresThroughProxy(t)
    const realUrl = new URL(database.url)
    realUrl.host = new URL(PG_ADMIN_URL).host
    const app = await buildTestApp(t, postgresql, { database, env: FAST })
    const acknowledged = new Map<number, number>() // version → counter it set
    let n = 0
    const write = async () => {
      n++
      const { res, ms } = await timedUpdate(app, { counter: n }, `k-${n}`)
      if (res.statusCode === 200) acknowledged.set(res.json().version, n)
      return { res, ms }
    }
    for (let i = 0; i < 5; i++) assert.equal((await write()).res.statusCode, 200)
    assert.equal((await app.inject({ url: '/ready' })).statusCode, 200)

    proxy.blackhole()
    // Concurrent writes, in two waves: each wave is one batch that must fail alone, not hang the next.
    for (let wave = 0; wave < 2; wave++) {
      const answers = await Promise.all(Array.from({ length: 5 }, () => write()))
      for (const { res, ms } of answers) {
        assert.equal(res.statusCode, 503, res.body)
        assert.match(String(res.headers['content-type']), /application\/problem\+json/)
        assert.ok(res.headers['retry-after'], 'Retry-After is set')
        assert.ok(ms < ANSWER_BOUND_MS, `a write took ${Math.round(ms)} ms on a half-open connection`)
      }
    }
    await until(async () => (await app.inject({ url: '/ready' })).statusCode === 503, '/ready turns 503')

    proxy.resume()
    await until(async () => (await write()).res.statusCode === 200, 'writes succeed after the network heals')
    for (let i = 0; i < 5; i++) assert.equal((await write()).res.statusCode, 200)
    await until(async () => (await app.inject({ url: '/ready' })).statusCode === 200, '/ready turns 200 again')

    const stored = await storedLog(realUrl.toString())
    for (const [version, counter] of acknowledged) {
      assert.equal(stored.get(version), counter, `acknowledged version ${version} (counter ${counter}) is stored`)
    }
  })

  it('refused: writes and reads answer 503 problem+json at once, and work again after', {
    timeout: 60_000,
  }, async (t) => {
    const { database, proxy } = await postgresThroughProxy(t)
    const app = await buildTestApp(t, postgresql, { database, env: FAST })
    assert.equal((await timedUpdate(app, { counter: 1 }, 'r-1')).res.statusCode, 200)
    proxy.cut()
    for (let i = 0; i < 3; i++) {
      const { res, ms } = await timedUpdate(app, { counter: 2 + i }, `r-${2 + i}`)
      assert.equal(res.statusCode, 503, res.body)
      assert.ok(ms < ANSWER_BOUND_MS, `${Math.round(ms)} ms`)
      const logs = await app.inject({ url: '/logs' })
      assert.equal(logs.statusCode, 503, logs.body)
    }
    proxy.restore()
    await until(async () => (await timedUpdate(app, { counter: 9 }, 'r-9')).res.statusCode === 200, 'writes resume')
  })
})
