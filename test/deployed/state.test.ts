/**
 * Smoke: the shared state of a deployment (SPEC §2, §5.6) — health, status, an update with the API
 * key, and the audit log row it wrote. Written to run against a live, shared deployment: it only adds
 * (one increment of 1 with its own marker message) and finds its own rows by id and marker.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { API_KEY, API_URL, assertProblem, call, ISO_UTC, marker, skipUnless, withKey } from './target.js'

interface Value {
  counter: number
  message: string
}
interface Status extends Value {
  state: Value
  version: number
  timestamp: string
  uptime_seconds: number
  overall_status: string
  components: { name: string; status: string; details: unknown }[]
}
interface UpdateReply {
  success: boolean
  message: string
  old_state: Value
  new_state: Value
  state: Value
  version: number
}
interface LogRow {
  id: number
  timestamp: string
  old_counter: number
  new_counter: number
  old_message: string
  new_message: string
  update_type: string
  old_value: Value
  new_value: Value
}
interface LogsPage {
  logs: LogRow[]
  page: number
  limit: number
  total: number
  total_pages: number
  next_cursor: string | null
}

describe('deployed: health and status', () => {
  const skip = skipUnless({ what: 'status', paths: ['/status', '/health', '/ready'] })

  it('GET /health is 200 {status: "healthy"} and /ready says every dependency is up', { skip }, async () => {
    const health = await call('GET', '/health')
    assert.equal(health.status, 200)
    assert.deepEqual(health.body, { status: 'healthy' })
    const ready = await call<{ database: boolean; redis: boolean | null; overall: boolean }>('GET', '/ready')
    assert.equal(ready.status, 200, JSON.stringify(ready.body))
    assert.equal(ready.body.database, true)
    assert.notEqual(ready.body.redis, false, 'redis is configured but down')
    assert.equal(ready.body.overall, true)
  })

  it('GET /status has the SPEC shape, a healthy probe and an ETag that answers 304', { skip }, async () => {
    const res = await call<Status>('GET', '/status')
    assert.equal(res.status, 200)
    const s = res.body
    assert.ok(Number.isSafeInteger(s.counter), `counter ${s.counter}`)
    assert.equal(typeof s.message, 'string')
    assert.deepEqual(s.state, { counter: s.counter, message: s.message })
    assert.ok(Number.isSafeInteger(s.version) && s.version >= 0)
    assert.match(s.timestamp, ISO_UTC)
    assert.equal(typeof s.uptime_seconds, 'number')
    assert.equal(s.overall_status, 'healthy', JSON.stringify(s.components))
    const names = s.components.map((c) => c.name)
    assert.ok(names.includes('database') && names.includes('api'), `components: ${names.join(', ')}`)
    for (const c of s.components) assert.equal(c.status, 'healthy', `${c.name}: ${JSON.stringify(c.details)}`)
    const etag = res.headers.get('etag')
    assert.equal(etag, `"${s.version}"`)
    const again = await call('GET', '/status', { headers: { 'if-none-match': etag! } })
    // Another client may have written in between: then the tag is stale and the answer is a fresh 200.
    if (again.status === 200) assert.notEqual(again.headers.get('etag'), etag)
    else assert.equal(again.status, 304)
  })

  it('GET / lists the routes and the docs are served', { skip }, async () => {
    const index = await call<{ service: string; endpoints: Record<string, string>; docs: string }>('GET', '/', {
      headers: { accept: 'application/json' },
    })
    assert.equal(index.status, 200)
    assert.equal(index.body.service, 'statehouse')
    for (const route of ['GET /status', 'POST /update', 'GET /logs'])
      assert.ok(route in index.body.endpoints, `${route} not listed`)
    assert.equal((await call('GET', index.body.docs)).status, 200)
  })

  it('a request id is kept end to end: the one sent comes back', { skip }, async () => {
    const id = marker('smoke-request')
    const res = await call('GET', '/status', { headers: { 'x-request-id': id } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('x-request-id'), id)
  })

  it('an unknown route is a problem+json 404', { skip }, async () => {
    assertProblem(await call('GET', `/${marker('no-such-route')}`), 404, 'unknown route')
  })
})

describe('deployed: update with the API key, then the log', () => {
  const skip = skipUnless({ what: 'update', vars: { API_KEY }, paths: ['/update', '/logs'] })
  const message = marker('smoke')

  it('POST /update without a key, or with a wrong one, is 401 with WWW-Authenticate', { skip }, async () => {
    const none = await call('POST', '/update', { json: { increment: 1, message } })
    assertProblem(none, 401, 'no key')
    assert.ok(none.headers.get('www-authenticate'), 'no WWW-Authenticate')
    assertProblem(
      await call('POST', '/update', { json: { increment: 1, message }, headers: { 'x-api-key': `${API_KEY}-wrong` } }),
      401,
      'wrong key',
    )
  })

  it('bad input is a 4xx problem and writes no log row', { skip }, async () => {
    assertProblem(
      await call('POST', '/update', { json: { counter: '5', message }, headers: withKey() }),
      422,
      'string counter',
    )
    assertProblem(
      await call('POST', '/update', { json: { counter: 1, increment: 1, message }, headers: withKey() }),
      422,
      'counter with increment',
    )
    assertProblem(
      await call('POST', '/update', { json: { message, colour: 'red' }, headers: withKey() }),
      422,
      'unknown field',
    )
    const broken = await fetch(`${API_URL}/update`, {
      method: 'POST',
      headers: { ...withKey(), 'content-type': 'application/json', connection: 'close' },
      body: '{"increment": ',
    })
    assert.equal(broken.status, 400)
    assert.match(await broken.text(), /"status":400/)
    assertProblem(await call('GET', '/logs?page=1&limit=0'), 422, 'limit 0')
    // Past the app's 64 KiB body limit (a proxy in front must let the app answer, not replace it).
    assertProblem(
      await call('POST', '/update', { json: { message: `${message}${'x'.repeat(100_000)}` }, headers: withKey() }),
      413,
      'a 100 KB body',
    )
    const logs = await call<LogsPage>('GET', '/logs?page=1&limit=100')
    assert.equal(logs.status, 200)
    assert.deepEqual(
      logs.body.logs.filter((l) => l.new_message === message),
      [],
      'a rejected update wrote a log row',
    )
  })

  let version = 0
  let before: Value
  it('POST /update with the key increments the counter and sets the message', { skip }, async () => {
    const res = await call<UpdateReply>('POST', '/update', { json: { increment: 1, message }, headers: withKey() })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    const u = res.body
    assert.equal(u.success, true)
    assert.equal(u.message, 'State updated successfully')
    before = u.old_state
    assert.equal(u.new_state.counter, u.old_state.counter + 1)
    assert.equal(u.new_state.message, message)
    assert.deepEqual(u.state, u.new_state)
    assert.ok(Number.isSafeInteger(u.version) && u.version >= 1)
    version = u.version
    const status = await call<Status>('GET', '/status')
    assert.ok(
      status.body.version >= version,
      `status version ${status.body.version} is behind the acknowledged ${version}`,
    )
    if (status.body.version === version) assert.equal(status.body.message, message)
  })

  it('GET /logs holds the row that update wrote (its id is the version), with the SPEC shape', { skip }, async () => {
    assert.ok(version > 0, 'the update test did not run')
    const res = await call<LogsPage>('GET', '/logs?page=1&limit=100')
    assert.equal(res.status, 200)
    const page = res.body
    assert.equal(page.page, 1)
    assert.equal(page.limit, 100)
    assert.ok(page.total >= version, `total ${page.total} < version ${version}`)
    assert.equal(page.total_pages, Math.max(1, Math.ceil(page.total / page.limit)))
    const ids = page.logs.map((l) => l.id)
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
      'not newest first',
    )
    const row = page.logs.find((l) => l.id === version)
    assert.ok(row, `no log row ${version} on the first page`)
    assert.equal(row.new_message, message)
    assert.equal(row.new_counter, before.counter + 1)
    assert.equal(row.old_counter, before.counter)
    assert.equal(row.old_message, before.message)
    assert.equal(row.update_type, 'counter, message') // what the request named, not what differed
    assert.deepEqual(row.old_value, before)
    assert.deepEqual(row.new_value, { counter: before.counter + 1, message })
    assert.match(row.timestamp, ISO_UTC)
    // The cursor walks on to older rows.
    if (page.next_cursor) {
      const older = await call<LogsPage>('GET', `/logs?cursor=${encodeURIComponent(page.next_cursor)}&limit=1`)
      assert.equal(older.status, 200)
      assert.ok(older.body.logs.every((l) => l.id < (ids.at(-1) ?? 0)))
    }
  })

  it('an Idempotency-Key update sent twice is applied once (the first response is replayed)', { skip }, async () => {
    // Through a load balancer the two requests usually land on different replicas.
    const key = marker('smoke-idempotency')
    const body = { increment: 1, message: `${message}-once` }
    const first = await call<UpdateReply>('POST', '/update', {
      json: body,
      headers: { ...withKey(), 'idempotency-key': key },
    })
    assert.equal(first.status, 200, JSON.stringify(first.body))
    const again = await call<UpdateReply>('POST', '/update', {
      json: body,
      headers: { ...withKey(), 'idempotency-key': key },
    })
    assert.equal(again.status, 200, JSON.stringify(again.body))
    assert.deepEqual(again.body, first.body)
    assertProblem(
      await call('POST', '/update', {
        json: { ...body, increment: 2 },
        headers: { ...withKey(), 'idempotency-key': key },
      }),
      422,
      'same key, other body',
    )
    const logs = await call<LogsPage>('GET', '/logs?page=1&limit=100')
    assert.deepEqual(
      logs.body.logs.filter((l) => l.new_message === body.message).map((l) => l.id),
      [first.body.version],
      'applied more than once',
    )
  })

  it('If-Match with a stale version is 412 and changes nothing', { skip }, async () => {
    assert.ok(version > 0, 'the update test did not run')
    const stale = await call('POST', '/update', {
      json: { message: `${message}-stale` },
      headers: { ...withKey(), 'if-match': `"${version - 1}"` },
    })
    assertProblem(stale, 412, 'stale If-Match')
    const logs = await call<LogsPage>('GET', '/logs?page=1&limit=100')
    assert.deepEqual(
      logs.body.logs.filter((l) => l.new_message === `${message}-stale`),
      [],
    )
  })
})
