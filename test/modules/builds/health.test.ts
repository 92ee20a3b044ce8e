/**
 * Acceptance 4 of the builds issue, through TCP proxies the tests own (the shared servers stay up):
 * losing PostgreSQL or Redis turns /ready 503 and the background probe behind /status unhealthy
 * (HEALTH_PROBE_INTERVAL_MS ≤ 5 s, left at its default here), requests answer 503 or fall back
 * rather than crash, and everything recovers when the dependency returns.
 * (test/platform/platform.test.ts covers /ready answering 503 at once on a cut database.)
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp } from '../../helpers/app.js'
import { postgresql, postgresThroughProxy, sqlite } from '../../helpers/databases.js'
import { assertProblem } from '../../helpers/problem.js'
import { redisSkip, TEST_REDIS_URL } from '../../helpers/redis.js'
import { startTcpProxy } from '../../helpers/tcp-proxy.js'
import { eventually, get, newBuild, post } from './helpers.js'

const component = (body: { components: { name: string; status: string }[] }, name: string) =>
  body.components.find((c) => c.name === name)?.status

describe('build tracker while a dependency is lost', () => {
  it('PostgreSQL cut: the background probe reports it unhealthy (no /ready call needed), build routes answer 503, then all recover', {
    skip: postgresql.skip,
  }, async (t) => {
    const { database, proxy } = await postgresThroughProxy(t)
    const app = await buildTestApp(t, postgresql, { database })
    await post(app, '/builds', newBuild('before-outage'))
    await eventually(async () => component((await get(app, '/status')).json(), 'database') === 'healthy', 'first probe')

    proxy.cut()
    await eventually(
      async () => app.health.snapshot().components.find((c) => c.name === 'database')?.status === 'unhealthy',
      'probe sees the outage',
    )
    assert.equal(app.health.snapshot().overall, 'unhealthy')
    const ready = await get(app, '/ready')
    assert.equal(ready.statusCode, 503)
    // Not ready is a problem+json 503 carrying the readiness members.
    assert.match(String(ready.headers['content-type']), /^application\/problem\+json/)
    assert.deepEqual((({ database, redis, overall }) => ({ database, redis, overall }))(ready.json()), {
      database: false,
      redis: null,
      overall: false,
    })
    // Without the database: a clear 503 to retry, never a 500 or a crash.
    assertProblem(await post(app, '/builds', newBuild('during-outage')), 503)
    assertProblem(await post(app, '/builds/before-outage/state', { state_code: 10 }), 503)
    assertProblem(await get(app, '/builds/before-outage'), 503)
    assertProblem(await get(app, '/dashboard/recent?limit=7'), 503)

    proxy.restore()
    await eventually(async () => {
      const res = await get(app, '/status')
      return (
        res.statusCode === 200 &&
        component(res.json(), 'database') === 'healthy' &&
        res.json().overall_status === 'healthy'
      )
    }, '/status healthy again')
    assert.equal((await get(app, '/ready')).statusCode, 200)
    assert.equal((await post(app, '/builds/before-outage/state', { state_code: 10 })).statusCode, 200)
    assert.equal((await get(app, '/builds/during-outage')).statusCode, 404, 'the write that got 503 was not stored')
    assert.equal((await get(app, '/dashboard/summary')).json().recent_builds[0].current_state, 10)
  })

  it('Redis cut: /ready 503 and /status lists redis unhealthy (degraded); dashboards come from the database and are not stale after it returns', {
    skip: redisSkip,
  }, async (t) => {
    const target = new URL(TEST_REDIS_URL)
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 6379))
    t.after(() => proxy.close())
    const app = await buildTestApp(t, sqlite, { env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}` } })
    await post(app, '/builds', newBuild('r1'))
    await get(app, '/dashboard/summary')
    assert.equal((await get(app, '/dashboard/summary')).headers['x-cache'], 'hit')
    assert.deepEqual((await get(app, '/ready')).json(), {
      database: true,
      redis: true,
      overall: true,
      checks: { database: true, redis: true, writes: true },
    })

    proxy.cut()
    const ready = await get(app, '/ready')
    assert.equal(ready.statusCode, 503)
    // Not ready is a problem+json 503 carrying the readiness members.
    assert.match(String(ready.headers['content-type']), /^application\/problem\+json/)
    assert.deepEqual((({ database, redis, overall }) => ({ database, redis, overall }))(ready.json()), {
      database: true,
      redis: false,
      overall: false,
    })
    await eventually(async () => {
      const status = await get(app, '/status')
      return (
        status.statusCode === 200 &&
        component(status.json(), 'redis') === 'unhealthy' &&
        status.json().overall_status === 'degraded'
      )
    }, '/status reports redis unhealthy')
    assert.equal(component((await get(app, '/status')).json(), 'database'), 'healthy')
    // Writes still work; the summary is computed from the database meanwhile.
    assert.equal((await post(app, '/builds/r1/state', { state_code: 100 })).statusCode, 200)
    const during = await get(app, '/dashboard/summary')
    assert.equal(during.statusCode, 200)
    assert.equal(during.headers['x-cache'], 'bypass')
    assert.deepEqual(during.json().status_counts, { completed: 1, failed: 0, in_progress: 0 })

    proxy.restore()
    await eventually(async () => (await get(app, '/ready')).statusCode === 200, '/ready 200 again')
    await eventually(
      async () => component((await get(app, '/status')).json(), 'redis') === 'healthy',
      '/status redis healthy again',
    )
    // The entry cached before the outage predates the state write: it must not come back.
    await eventually(
      async () => (await get(app, '/dashboard/summary')).headers['x-cache'] !== 'bypass',
      'cache in use again',
    )
    assert.deepEqual((await get(app, '/dashboard/summary')).json().status_counts, {
      completed: 1,
      failed: 0,
      in_progress: 0,
    })
  })
})
