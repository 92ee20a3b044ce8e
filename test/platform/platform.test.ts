/** Cross-cutting behaviour (SPEC §8): docs, metrics, health, rate limits, CORS, headers, logs. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Validator } from '@seriousme/openapi-schema-validator'
import pg from 'pg'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { buildTestApp, TEST_API_KEY, testEnv, WRITE_HEADERS } from '../helpers/app.js'
import { PG_ADMIN_URL, postgresql, postgresThroughProxy, sqlite } from '../helpers/databases.js'

describe('platform', () => {
  it('serves a valid OpenAPI 3 document listing every route, Swagger UI at /docs and ReDoc at /redoc', async (t) => {
    const app = await buildTestApp(t, sqlite)
    const spec = (await app.inject({ url: '/openapi.json' })).json()
    const result = await new Validator().validate(spec)
    assert.equal(result.valid, true, JSON.stringify(result.errors))
    assert.match(spec.openapi, /^3\./)
    const routes = Object.entries(spec.paths).flatMap(([p, ops]) =>
      Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${p}`),
    )
    for (const route of [
      'GET /',
      'GET /status',
      'POST /update',
      'GET /logs',
      'GET /health',
      'GET /ready',
      'GET /metrics',
    ]) {
      assert.ok(routes.includes(route), `${route} missing from ${routes}`)
    }
    assert.deepEqual(spec.paths['/update'].post.security, [{ apiKey: [] }])
    const docs = await app.inject({ url: '/docs/' })
    assert.equal(docs.statusCode, 200)
    assert.match(docs.body, /swagger-ui/i)
    const asset = await app.inject({ url: '/docs/static/swagger-ui-bundle.js' })
    assert.equal(asset.statusCode, 200, 'Swagger UI assets are served locally')
    const redoc = await app.inject({ url: '/redoc' })
    assert.equal(redoc.statusCode, 200)
    assert.match(redoc.body, /<redoc spec-url="\/openapi.json">/)
    assert.doesNotMatch(redoc.body, /https?:\/\//, 'no CDN')
    const bundle = await app.inject({ url: '/redoc/redoc.standalone.js' })
    assert.equal(bundle.statusCode, 200)
    assert.ok(bundle.body.length > 100_000)
  })

  it('exposes Prometheus metrics with request counts by route and status', async (t) => {
    const app = await buildTestApp(t, sqlite)
    await app.inject({ url: '/status' })
    await app.inject({ url: '/nope' })
    const res = await app.inject({ url: '/metrics' })
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /text\/plain/)
    assert.match(res.body, /http_requests_total\{method="GET",route="\/status",status="200"\} 1/)
    assert.match(res.body, /http_requests_total\{method="GET",route="unmatched",status="404"\} 1/)
    assert.match(res.body, /http_request_duration_seconds_bucket/)
    assert.match(res.body, /process_resident_memory_bytes/)
  })

  it('a start-up that fails after migrating leaves no database connection open', {
    skip: postgresql.skip,
  }, async (t) => {
    const database = await postgresql.create()
    t.after(() => database.drop())
    // An IDM_JWKS_URL that is no http(s) URL: the identity module refuses it, after the migrations ran.
    await assert.rejects(
      buildApp(
        loadConfig(
          testEnv(database.url, {
            IDM_JWKS_URL: 'ftp://idm.example/jwks',
            IDM_ISSUER: 'idm',
            IDM_AUDIENCE: 'statehouse',
          }),
        ),
      ),
      /IDM_JWKS_URL/,
    )
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
    await admin.connect()
    t.after(() => admin.end())
    const name = new URL(database.url).pathname.slice(1)
    const open = async () =>
      (await admin.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1', [name]))
        .rows[0]?.n
    for (let i = 0; i < 50 && (await open()) !== 0; i++) await new Promise((r) => setTimeout(r, 100))
    assert.equal(await open(), 0, 'the failed start-up left connections to its database open')
  })

  it('/health is liveness; /ready reports the database', async (t) => {
    const app = await buildTestApp(t, sqlite)
    assert.deepEqual((await app.inject({ url: '/health' })).json(), { status: 'healthy' })
    const ready = await app.inject({ url: '/ready' })
    assert.equal(ready.statusCode, 200)
    assert.deepEqual(ready.json(), {
      database: true,
      redis: null,
      overall: true,
      checks: { database: true, writes: true },
    })
  })

  it('/ready answers 503 and /status reports the database unhealthy while PostgreSQL is unreachable, then recovers', {
    skip: postgresql.skip,
  }, async (t) => {
    const { database, proxy } = await postgresThroughProxy(t)
    const app = await buildTestApp(t, postgresql, { database, env: { HEALTH_PROBE_INTERVAL_MS: '200' } })
    assert.equal((await app.inject({ url: '/ready' })).statusCode, 200)

    proxy.cut()
    const down = await app.inject({ url: '/ready' })
    assert.equal(down.statusCode, 503)
    // Not ready is a problem+json 503 carrying the readiness members.
    assert.match(String(down.headers['content-type']), /^application\/problem\+json/)
    assert.deepEqual((({ database, redis, overall }) => ({ database, redis, overall }))(down.json()), {
      database: false,
      redis: null,
      overall: false,
    })
    const status = await app.inject({ url: '/status' })
    assert.equal(status.statusCode, 503, 'a read without its database is a 503 to retry, not a 500 or a hang')
    assert.equal(status.headers['retry-after'], '1')
    assert.match(String(status.headers['content-type']), /problem\+json/)
    // The 503 still reports the components, from the background probe (within its interval).
    for (let i = 0; i < 50 && app.health.snapshot().overall !== 'unhealthy'; i++)
      await new Promise((r) => setTimeout(r, 100))
    const reported = (await app.inject({ url: '/status' })).json()
    assert.equal(reported.overall_status, 'unhealthy')
    assert.equal(reported.components.find((c: { name: string }) => c.name === 'database')?.status, 'unhealthy')
    assert.equal(app.health.snapshot().overall, 'unhealthy')
    assert.equal(app.health.snapshot().components.find((c) => c.name === 'database')?.status, 'unhealthy')

    proxy.restore()
    assert.equal((await app.inject({ url: '/ready' })).statusCode, 200)
    assert.equal((await app.inject({ url: '/status' })).json().overall_status, 'healthy')
  })

  it('rate-limits each client globally with 429, Retry-After and X-RateLimit headers; health routes are exempt', async (t) => {
    const app = await buildTestApp(t, sqlite, { env: { RATE_LIMIT_PER_MINUTE: '3' } })
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ url: '/status' })
      assert.equal(res.statusCode, 200)
      assert.equal(res.headers['x-ratelimit-limit'], '3')
    }
    const limited = await app.inject({ url: '/logs' })
    assert.equal(limited.statusCode, 429)
    assert.match(String(limited.headers['content-type']), /problem\+json/)
    assert.ok(Number(limited.headers['retry-after']) > 0)
    assert.equal(limited.headers['x-ratelimit-remaining'], '0')
    for (const url of ['/health', '/ready', '/metrics']) assert.equal((await app.inject({ url })).statusCode, 200, url)
    const other = await app.inject({ url: '/status', remoteAddress: '10.1.2.3' })
    assert.equal(other.statusCode, 200, 'another client has its own budget')
  })

  it('uses X-Forwarded-For for the client only when TRUST_PROXY is set', async (t) => {
    const untrusted = await buildTestApp(t, sqlite, { env: { RATE_LIMIT_PER_MINUTE: '1' } })
    assert.equal(
      (await untrusted.inject({ url: '/status', headers: { 'x-forwarded-for': '1.1.1.1' } })).statusCode,
      200,
    )
    assert.equal(
      (await untrusted.inject({ url: '/status', headers: { 'x-forwarded-for': '2.2.2.2' } })).statusCode,
      429,
    )
    const trusted = await buildTestApp(t, sqlite, { env: { RATE_LIMIT_PER_MINUTE: '1', TRUST_PROXY: 'true' } })
    assert.equal((await trusted.inject({ url: '/status', headers: { 'x-forwarded-for': '1.1.1.1' } })).statusCode, 200)
    assert.equal((await trusted.inject({ url: '/status', headers: { 'x-forwarded-for': '2.2.2.2' } })).statusCode, 200)
  })

  it('sends security headers; CORS is off unless CORS_ORIGINS is set', async (t) => {
    const closed = await buildTestApp(t, sqlite)
    const res = await closed.inject({ url: '/status', headers: { origin: 'https://evil.example' } })
    assert.equal(res.headers['x-content-type-options'], 'nosniff')
    // A JSON response may not be rendered or framed; pages keep helmet's full set.
    assert.equal(res.headers['content-security-policy'], "default-src 'none';frame-ancestors 'none'")
    assert.equal(res.headers['x-frame-options'], 'DENY')
    assert.equal(res.headers['strict-transport-security'], undefined) // plain HTTP: see security-headers.test.ts
    const docs = await closed.inject({ url: '/docs/' })
    assert.match(String(docs.headers['content-security-policy']), /script-src 'self'/)
    assert.equal(docs.headers['x-dns-prefetch-control'], 'off')
    assert.equal(res.headers['x-dns-prefetch-control'], undefined)
    assert.equal(res.headers['access-control-allow-origin'], undefined)
    const open = await buildTestApp(t, sqlite, { env: { CORS_ORIGINS: 'https://ui.example' } })
    const allowed = await open.inject({ url: '/status', headers: { origin: 'https://ui.example' } })
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://ui.example')
    const denied = await open.inject({ url: '/status', headers: { origin: 'https://evil.example' } })
    assert.notEqual(denied.headers['access-control-allow-origin'], 'https://evil.example')
  })

  it('logs one access line per request with the request id, and never the API key', async (t) => {
    const logs: Record<string, unknown>[] = []
    const app = await buildTestApp(t, sqlite, { logs })
    await app.inject({
      method: 'POST',
      url: '/update',
      headers: { ...WRITE_HEADERS, 'x-request-id': 'req-1' },
      payload: '{"increment":1}',
    })
    await app.inject({
      method: 'POST',
      url: '/update',
      headers: { 'x-api-key': 'wrong-secret-value', 'content-type': 'application/json' },
      payload: '{}',
    })
    app.log.info(
      { headers: { 'x-api-key': TEST_API_KEY, authorization: `Bearer ${TEST_API_KEY}` } },
      'a handler logging headers by mistake',
    )
    await new Promise(setImmediate) // access lines are written in batches, at the end of the event-loop turn
    const access = logs.filter((l) => l.msg === 'request')
    assert.equal(access.length, 2)
    assert.equal(access[0]?.reqId, 'req-1')
    assert.equal(access[0]?.status, 200)
    assert.equal(access[1]?.status, 401)
    const text = JSON.stringify(logs)
    assert.ok(!text.includes(TEST_API_KEY), 'the API key leaked into a log line')
    assert.ok(!text.includes('wrong-secret-value'))
    assert.match(text, /\[redacted\]/)
  })
})
