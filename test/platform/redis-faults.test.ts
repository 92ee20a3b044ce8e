/**
 * Redis faults on request paths (issue 14): a dead Redis (a closed port), a hung one (accepts, never
 * answers) or one that goes and comes back costs a request milliseconds, never a 5xx; rate limits and
 * caches skip it; the log says so once when it goes and once when it returns.
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import { describe, it, type TestContext } from 'node:test'
import { buildTestApp } from '../helpers/app.js'
import { describeOnEachDialect, sqlite } from '../helpers/databases.js'
import { redisSkip, TEST_REDIS_URL } from '../helpers/redis.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { eventually, READ_HEADERS } from '../modules/builds/helpers.js'

/** Generous: a request that waits for Redis took ~2 s before the fix; a healthy one takes ~1 ms. */
const BOUND_MS = 1000

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** A "Redis" that accepts connections and never answers. */
async function hungServer(t: TestContext): Promise<number> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return (server.address() as net.AddressInfo).port
}

/** Rate limits on (counted in Redis) and the dashboard cache on, so every path below asks Redis. */
const limited = { RATE_LIMIT_PER_MINUTE: '10000', ITEMS_RATE_LIMIT_PER_MINUTE: '10000', CACHE_TTL: '60' }

const redisLines = (logs: Record<string, unknown>[], pattern: RegExp) =>
  logs.filter((l) => typeof l.msg === 'string' && pattern.test(l.msg))

/** 20 rounds of the paths that touch Redis; each request within BOUND_MS and below 500. */
async function requestsStayFast(app: Awaited<ReturnType<typeof buildTestApp>>, rounds = 20) {
  for (let i = 0; i < rounds; i++) {
    for (const [url, headers] of [
      ['/status', {}],
      ['/logs', {}],
      ['/dashboard/summary', READ_HEADERS],
      ['/items', {}], // its own per-client limit; 401 without a token, never a 5xx
    ] as const) {
      const started = performance.now()
      const res = await app.inject({ url, headers })
      const ms = performance.now() - started
      assert.ok(ms < BOUND_MS, `GET ${url} took ${Math.round(ms)} ms with Redis away (round ${i + 1})`)
      assert.ok(res.statusCode < 500, `GET ${url}: ${res.statusCode} ${res.body}`)
      if (url === '/dashboard/summary') assert.equal(res.headers['x-cache'], 'bypass')
    }
  }
}

describeOnEachDialect('Redis faults', (dialect) => {
  it('a closed Redis port: /status, /logs, dashboards and rate-limited routes answer fast, no 5xx, one log line', async (t) => {
    const logs: Record<string, unknown>[] = []
    const app = await buildTestApp(t, dialect, {
      logs,
      env: { ...limited, REQUEST_LOG: 'false', REDIS_URL: `redis://:s3cret@127.0.0.1:${await closedPort()}` },
    })
    await requestsStayFast(app)
    const down = redisLines(logs, /Redis/)
    assert.equal(down.length, 1, `one line about Redis, not one per request: ${JSON.stringify(down)}`)
    assert.match(String(down[0]?.msg), /Redis unreachable/)
    assert.equal(down[0]?.level, 40, 'a warning')
    assert.doesNotMatch(JSON.stringify(down), /s3cret/, 'the password is not logged')
    // /ready says what /status says, just as fast.
    const ready = await app.inject({ url: '/ready' })
    assert.equal(ready.statusCode, 503)
    assert.equal(ready.json().redis, false)
  })
})

describe('Redis faults', () => {
  it('a Redis that accepts and never answers: requests still answer within the bound', {
    timeout: 60_000,
  }, async (t) => {
    const app = await buildTestApp(t, sqlite, {
      env: { ...limited, REDIS_URL: `redis://127.0.0.1:${await hungServer(t)}` },
    })
    await requestsStayFast(app, 5)
  })

  it('Redis goes and returns: one line each way, requests fast meanwhile, Redis used again after', {
    skip: redisSkip,
  }, async (t) => {
    const target = new URL(TEST_REDIS_URL)
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 6379))
    t.after(() => proxy.close())
    const logs: Record<string, unknown>[] = []
    const app = await buildTestApp(t, sqlite, {
      logs,
      env: { ...limited, REQUEST_LOG: 'false', REDIS_URL: `redis://127.0.0.1:${proxy.port}` },
    })
    await app.inject({ url: '/dashboard/summary', headers: READ_HEADERS })
    assert.equal(
      (await app.inject({ url: '/dashboard/summary', headers: READ_HEADERS })).headers['x-cache'],
      'hit',
      'Redis in use at start',
    )
    assert.deepEqual(redisLines(logs, /Redis/), [], 'nothing to say while Redis is fine')

    proxy.cut()
    await eventually(async () => redisLines(logs, /Redis unreachable/).length > 0, 'the outage is logged', 10_000)
    await requestsStayFast(app, 10)

    proxy.restore()
    await eventually(async () => redisLines(logs, /Redis reachable again/).length > 0, 'the return is logged', 10_000)
    await eventually(
      async () =>
        (await app.inject({ url: '/dashboard/summary', headers: READ_HEADERS })).headers['x-cache'] !== 'bypass',
      'the cache uses Redis again',
      10_000,
    )
    assert.equal(redisLines(logs, /Redis unreachable/).length, 1, JSON.stringify(redisLines(logs, /Redis/)))
    assert.equal(redisLines(logs, /Redis reachable again/).length, 1)
    assert.equal((await app.inject({ url: '/ready' })).statusCode, 200)
  })
})
