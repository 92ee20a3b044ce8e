/** Every route of SPEC §2 (bar /events) through app.inject, on every engine. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { loadConfig } from '../../../src/config.js'
import type { StateTables } from '../../../src/modules/state/tables.js'
import { createDb, tablesOf } from '../../../src/platform/db/index.js'
import { buildTestApp, TEST_API_KEY, testEnv, WRITE_HEADERS } from '../../helpers/app.js'
import { describeOnEachDialect } from '../../helpers/databases.js'
import { assertProblem } from '../../helpers/problem.js'

const MAX = Number.MAX_SAFE_INTEGER

function update(app: FastifyInstance, body: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/update',
    headers: { ...WRITE_HEADERS, ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

describeOnEachDialect('shared state', (dialect) => {
  it('GET /status answers the full shape with an ETag, and 304 for a matching If-None-Match', async (t) => {
    const app = await buildTestApp(t, dialect)
    const res = await app.inject({ url: '/status' })
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.deepEqual(
      Object.keys(body).sort(),
      ['components', 'counter', 'message', 'overall_status', 'state', 'timestamp', 'uptime_seconds', 'version'].sort(),
    )
    assert.equal(body.counter, 0)
    assert.equal(body.message, '')
    assert.deepEqual(body.state, { counter: 0, message: '' })
    assert.equal(body.version, 0)
    assert.match(body.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
    assert.equal(typeof body.uptime_seconds, 'number')
    assert.ok(['healthy', 'degraded', 'unhealthy'].includes(body.overall_status))
    const names = body.components.map((c: { name: string }) => c.name)
    assert.ok(names.includes('database') && names.includes('api'), names.join())
    assert.ok(!names.includes('redis'), 'redis is only listed when configured')
    assert.equal(res.headers.etag, '"0"')

    const notModified = await app.inject({ url: '/status', headers: { 'if-none-match': '"0"' } })
    assert.equal(notModified.statusCode, 304)
    assert.equal(notModified.body, '')
    await update(app, { increment: 1 })
    const changed = await app.inject({ url: '/status', headers: { 'if-none-match': '"0"' } })
    assert.equal(changed.statusCode, 200)
    assert.equal(changed.headers.etag, '"1"')
  })

  it('POST /update sets counter and message and answers the superset shape', async (t) => {
    const app = await buildTestApp(t, dialect)
    const res = await update(app, { counter: 42, message: 'hello' })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), {
      success: true,
      message: 'State updated successfully',
      old_state: { counter: 0, message: '' },
      new_state: { counter: 42, message: 'hello' },
      state: { counter: 42, message: 'hello' },
      version: 1,
    })
    const inc = await update(app, { increment: -50 })
    assert.deepEqual(inc.json().new_state, { counter: -8, message: 'hello' })
    const msg = await update(app, { message: 'only the message' })
    assert.deepEqual(msg.json().new_state, { counter: -8, message: 'only the message' })
    const status = (await app.inject({ url: '/status' })).json()
    assert.equal(status.counter, -8)
    assert.equal(status.version, 3)
  })

  it('POST /update accepts the X-API-Key header in any case, and answers 401 without or with a wrong key', async (t) => {
    const app = await buildTestApp(t, dialect)
    const upper = await app.inject({
      method: 'POST',
      url: '/update',
      headers: { 'X-API-KEY': TEST_API_KEY, 'content-type': 'application/json' },
      payload: '{"increment":1}',
    })
    assert.equal(upper.statusCode, 200)
    const missing = await app.inject({
      method: 'POST',
      url: '/update',
      headers: { 'content-type': 'application/json' },
      payload: '{"increment":1}',
    })
    assert.equal(assertProblem(missing, 401).detail, 'Invalid API Key', 'the reference text, exactly')
    assert.match(missing.json().reason, /X-API-Key/, 'the why beside it')
    assert.ok(missing.headers['www-authenticate'])
    const wrong = await update(app, { increment: 1 }, { 'x-api-key': 'not-the-key' })
    assertProblem(wrong, 401)
    assert.equal((await app.inject({ url: '/status' })).json().counter, 1)
  })

  it('checks the key before the body: a missing key with a malformed, mistyped or oversized body is 401', async (t) => {
    const app = await buildTestApp(t, dialect)
    const headers = { 'content-type': 'application/json' }
    for (const payload of ['{not json', '{"counter":"5"}', JSON.stringify({ message: 'x'.repeat(100_000) })]) {
      const res = await app.inject({ method: 'POST', url: '/update', headers, payload })
      assertProblem(res, 401)
    }
    const wrongType = await app.inject({
      method: 'POST',
      url: '/update',
      headers: { 'content-type': 'text/plain' },
      payload: 'x',
    })
    assertProblem(wrongType, 401)
  })

  it('rejects mistyped, unknown, empty and contradictory bodies with 422 naming the field', async (t) => {
    const app = await buildTestApp(t, dialect)
    const cases: [unknown, string][] = [
      [{ counter: '5' }, 'body.counter'],
      [{ counter: true }, 'body.counter'],
      [{ counter: 5.5 }, 'body.counter'],
      [{ counter: null }, 'body.counter'],
      [{ message: 5 }, 'body.message'],
      [{ increment: '1' }, 'body.increment'],
      [{ color: 'red' }, 'body.color'],
      [{}, 'body'],
      [{ counter: 1, increment: 1 }, 'body.increment'],
      [{ message: 'x'.repeat(10_001) }, 'body.message'],
      [[1, 2], 'body'],
      [{ message: 'nul \u0000 byte' }, 'body.message'],
    ]
    for (const [body, path] of cases) {
      const res = await update(app, body)
      const problem = assertProblem(res, 422)
      assert.ok(
        problem.errors?.some((e: { path: string }) => e.path === path),
        `${JSON.stringify(body)} → ${JSON.stringify(problem.errors)} should name ${path}`,
      )
    }
    const both = assertProblem(await update(app, { counter: 'a', message: 1 }), 422)
    assert.deepEqual(both.errors?.map((e: { path: string }) => e.path).sort(), ['body.counter', 'body.message'])
    const status = (await app.inject({ url: '/status' })).json()
    assert.equal(status.version, 0, 'no rejected request changed anything')
  })

  it('answers 400 for malformed or empty JSON, 415 for a wrong content type, 413 for a body over the limit', async (t) => {
    const app = await buildTestApp(t, dialect)
    assertProblem(await update(app, '{"counter": 1'), 400)
    assertProblem(await update(app, ''), 400)
    assertProblem(await update(app, 'counter=1', { 'content-type': 'application/x-www-form-urlencoded' }), 415)
    assertProblem(await update(app, 'hello', { 'content-type': 'text/plain' }), 415)
    assertProblem(await update(app, { message: 'x'.repeat(70_000) }), 413)
    for (const type of ['text/csv', 'application/xml', 'multipart/form-data; boundary=x'])
      assertProblem(await update(app, '{"counter": 1}', { 'content-type': type }), 415)
    // Without a Content-Type header the body is read as JSON, with the same answers as JSON.
    const bare = (payload: string) =>
      app.inject({
        method: 'POST',
        url: '/update',
        headers: { 'x-api-key': TEST_API_KEY },
        payload: Buffer.from(payload),
      })
    assertProblem(await bare('{"counter": 1'), 400)
    assertProblem(await bare('counter=1'), 400)
    assertProblem(await bare('{"counter": "1"}'), 422)
    assertProblem(await bare(JSON.stringify({ message: 'x'.repeat(70_000) })), 413)
    assert.equal((await app.inject({ url: '/status' })).json().version, 0)
    const read = await bare('{"increment": 2}')
    assert.equal(read.statusCode, 200, read.body)
    assert.equal(read.json().new_state.counter, 2)
  })

  it('keeps the counter within ±(2^53−1): values and increments outside → 422, state unchanged', async (t) => {
    const app = await buildTestApp(t, dialect)
    assert.equal((await update(app, { counter: MAX })).statusCode, 200)
    const overflow = assertProblem(await update(app, { increment: 1 }), 422)
    assert.match(overflow.detail, /range/)
    assertProblem(await update(app, '{"counter": 9007199254740992}'), 422)
    assertProblem(await update(app, '{"counter": 1e300}'), 422)
    assertProblem(await update(app, '{"increment": -9007199254740993}'), 422)
    assert.equal((await update(app, { counter: -MAX })).statusCode, 200)
    assertProblem(await update(app, { increment: -1 }), 422)
    const status = (await app.inject({ url: '/status' })).json()
    assert.equal(status.counter, -MAX)
    assert.equal(status.version, 2)
  })

  it('If-Match: the current version applies, a stale one → 412 and nothing changes', async (t) => {
    const app = await buildTestApp(t, dialect)
    await update(app, { counter: 1 })
    const ok = await update(app, { counter: 2 }, { 'if-match': '"1"' })
    assert.equal(ok.statusCode, 200)
    assert.equal(ok.headers.etag, '"2"')
    const stale = assertProblem(await update(app, { counter: 3 }, { 'if-match': '"1"' }), 412)
    assert.match(stale.detail, /version 2/)
    assertProblem(await update(app, { counter: 3 }, { 'if-match': 'banana' }), 422)
    assert.equal((await update(app, { counter: 4 }, { 'if-match': '*' })).statusCode, 200)
    const status = (await app.inject({ url: '/status' })).json()
    assert.deepEqual([status.counter, status.version], [4, 3])
  })

  it('Idempotency-Key: a repeat replays the first response without applying twice; another body → 422', async (t) => {
    const app = await buildTestApp(t, dialect)
    const first = await update(app, { increment: 5 }, { 'idempotency-key': 'abc' })
    assert.equal(first.statusCode, 200)
    const again = await update(app, { increment: 5 }, { 'idempotency-key': 'abc' })
    assert.equal(again.statusCode, 200)
    assert.deepEqual(again.json(), first.json())
    assert.equal(again.headers['idempotent-replayed'], 'true')
    const concurrent = await Promise.all(
      [1, 2, 3].map(() => update(app, { increment: 7 }, { 'idempotency-key': 'burst' })),
    )
    assert.deepEqual(new Set(concurrent.map((r) => r.json().version)).size, 1, 'a burst with one key applies once')
    const other = assertProblem(await update(app, { increment: 6 }, { 'idempotency-key': 'abc' }), 422)
    assert.match(other.detail, /Idempotency-Key/)
    const status = (await app.inject({ url: '/status' })).json()
    assert.equal(status.counter, 12)
    assert.equal(status.version, 2)
    const logs = (await app.inject({ url: '/logs' })).json()
    assert.equal(logs.total, 2)
  })

  it('Idempotency-Key: an expired record with the key is replaced: the request applies, then replays', async (t) => {
    const app = await buildTestApp(t, dialect)
    const db = tablesOf<StateTables>(createDb(loadConfig(testEnv(app.database.url)).database))
    t.after(() => db.close())
    assert.equal((await update(app, { increment: 1 }, { 'idempotency-key': 'old' })).statusCode, 200)
    // A day later: the record has expired, so another body with the key neither replays nor conflicts.
    await db.kysely.updateTable('idempotency_keys').set({ expires_at: '2020-01-02T00:00:00.000Z' }).execute()
    const first = await update(app, { increment: 3 }, { 'idempotency-key': 'old' })
    assert.equal(first.statusCode, 200, first.body)
    assert.notEqual(first.headers['idempotent-replayed'], 'true')
    assert.equal(first.json().version, 2)
    const again = await update(app, { increment: 3 }, { 'idempotency-key': 'old' })
    assert.equal(again.headers['idempotent-replayed'], 'true')
    assert.deepEqual(again.json(), first.json())
    const rows = await db.kysely.selectFrom('idempotency_keys').selectAll().execute()
    assert.equal(rows.length, 1, 'the expired record was replaced, not kept beside the new one')
    assert.ok(rows[0] && rows[0].expires_at > new Date().toISOString())
    assert.equal((await app.inject({ url: '/status' })).json().counter, 4)
  })

  it('GET /logs pages newest first with total, total_pages, update_type and old/new values', async (t) => {
    const app = await buildTestApp(t, dialect)
    await update(app, { counter: 10 })
    await update(app, { message: 'm' })
    await update(app, { increment: 2, message: 'n' })
    const res = await app.inject({ url: '/logs?page=1&limit=2' })
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.equal(body.total, 3)
    assert.equal(body.total_pages, 2)
    assert.equal(body.page, 1)
    assert.equal(body.limit, 2)
    assert.deepEqual(
      body.logs.map((l: { id: number; update_type: string }) => [l.id, l.update_type]),
      [
        [3, 'counter, message'],
        [2, 'message'],
      ],
    )
    const newest = body.logs[0]
    assert.deepEqual(newest.old_value, { counter: 10, message: 'm' })
    assert.deepEqual(newest.new_value, { counter: 12, message: 'n' })
    assert.equal(newest.old_counter, 10)
    assert.equal(newest.new_message, 'n')
    assert.match(newest.timestamp, /Z$/)
    const page2 = (await app.inject({ url: '/logs?page=2&limit=2' })).json()
    assert.deepEqual(
      page2.logs.map((l: { id: number }) => l.id),
      [1],
    )
    assert.equal(page2.logs[0].update_type, 'counter')
    assert.equal(page2.next_cursor, null)
    const past = (await app.inject({ url: '/logs?page=9&limit=2' })).json()
    assert.deepEqual(past.logs, [])
    assert.equal(past.total, 3)
    const defaults = (await app.inject({ url: '/logs' })).json()
    assert.deepEqual([defaults.page, defaults.limit], [1, 10])
    const empty = await buildTestApp(t, dialect)
    const none = (await empty.inject({ url: '/logs' })).json()
    assert.deepEqual([none.total, none.total_pages, none.logs.length, none.next_cursor], [0, 1, 0, null])
  })

  it('GET /logs cursor paging stays stable while new writes arrive', async (t) => {
    const app = await buildTestApp(t, dialect)
    for (let i = 1; i <= 5; i++) await update(app, { counter: i })
    const first = (await app.inject({ url: '/logs?limit=2' })).json()
    assert.deepEqual(
      first.logs.map((l: { id: number }) => l.id),
      [5, 4],
    )
    assert.equal(typeof first.next_cursor, 'string')
    await update(app, { counter: 99 }) // arrives between pages
    const second = (await app.inject({ url: `/logs?limit=2&cursor=${first.next_cursor}` })).json()
    assert.deepEqual(
      second.logs.map((l: { id: number }) => l.id),
      [3, 2],
    )
    const third = (await app.inject({ url: `/logs?limit=2&cursor=${second.next_cursor}` })).json()
    assert.deepEqual(
      third.logs.map((l: { id: number }) => l.id),
      [1],
    )
    assert.equal(third.next_cursor, null)
    assertProblem(await app.inject({ url: '/logs?cursor=garbage' }), 422)
  })

  it('GET /logs rejects bad page and limit with 422', async (t) => {
    const app = await buildTestApp(t, dialect)
    for (const query of ['page=0', 'page=-1', 'page=abc', 'page=1.5', 'limit=0', 'limit=101', 'limit=x']) {
      const problem = assertProblem(await app.inject({ url: `/logs?${query}` }), 422)
      assert.ok(problem.errors?.length, query)
    }
  })

  it('GET / lists every route and points to the docs', async (t) => {
    const app = await buildTestApp(t, dialect)
    const body = (await app.inject({ url: '/' })).json()
    assert.equal(body.message, 'Shared State API')
    assert.equal(body.service, 'statehouse')
    assert.equal(body.docs, '/docs')
    for (const route of ['GET /status', 'POST /update', 'GET /logs', 'GET /health', 'GET /ready']) {
      assert.ok(route in body.endpoints, `${route} missing from ${Object.keys(body.endpoints)}`)
    }
  })

  it('unknown routes → 404 and wrong methods → 405 with Allow, both problem+json', async (t) => {
    const app = await buildTestApp(t, dialect)
    assertProblem(await app.inject({ url: '/nope' }), 404)
    const wrong = assertProblem(await app.inject({ method: 'DELETE', url: '/status' }), 405)
    assert.match(wrong.detail, /GET/)
    const res = await app.inject({ method: 'GET', url: '/update' })
    assertProblem(res, 405)
    assert.equal(res.headers.allow, 'POST')
  })

  it('every response carries a request id, echoing a sane incoming X-Request-Id', async (t) => {
    const app = await buildTestApp(t, dialect)
    const echoed = await app.inject({ url: '/status', headers: { 'x-request-id': 'trace-123' } })
    assert.equal(echoed.headers['x-request-id'], 'trace-123')
    const fresh = await app.inject({ url: '/status', headers: { 'x-request-id': 'bad id with spaces' } })
    assert.match(String(fresh.headers['x-request-id']), /^[0-9a-f-]{36}$/)
  })
})
