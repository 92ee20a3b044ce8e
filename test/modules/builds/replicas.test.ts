/** Two replicas (two buildApp instances) on one PostgreSQL database and one Redis: the dashboard cache is shared and never stale. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Redis } from 'ioredis'
import { buildTestApp } from '../../helpers/app.js'
import { postgresql } from '../../helpers/databases.js'
import { redisSkip, TEST_REDIS_URL } from '../../helpers/redis.js'
import { get, newBuild, post } from './helpers.js'

describe('dashboard cache across replicas (PostgreSQL + Redis)', { skip: postgresql.skip || redisSkip }, () => {
  it('a write on one replica is visible on the next read of the other, which had the view cached', async (t) => {
    const database = await postgresql.create()
    t.after(() => database.drop())
    const env = { REDIS_URL: TEST_REDIS_URL }
    const a = await buildTestApp(t, postgresql, { database, env })
    const b = await buildTestApp(t, postgresql, { database, env })
    // Each test database names its own cache scope, so these keys are this test's alone.
    const { scope } = await a.db.kysely.selectFrom('build_cache_scope').select('scope').executeTakeFirstOrThrow()
    const redis = new Redis(TEST_REDIS_URL)
    t.after(async () => {
      const keys = await redis.keys(`statehouse:cache:builds:${scope}:*`)
      if (keys.length > 0) await redis.del(...keys)
      redis.disconnect()
    })

    await post(a, '/builds', newBuild('shared-1'))
    assert.equal((await get(a, '/dashboard/summary')).headers['x-cache'], 'miss')
    const fromB = await get(b, '/dashboard/summary')
    assert.equal(fromB.headers['x-cache'], 'hit', 'B is served the entry A stored in Redis')
    assert.equal(fromB.json().total_builds, 1)
    assert.ok(
      (await redis.keys(`statehouse:cache:builds:${scope}:*`)).length >= 2,
      'the generation and the entry live in Redis',
    )

    // A state on A: B's next read sees it.
    await post(a, '/builds/shared-1/state', { state_code: 100 })
    const afterState = await get(b, '/dashboard/summary')
    assert.equal(afterState.headers['x-cache'], 'miss')
    assert.deepEqual(afterState.json().status_counts, { completed: 1, failed: 0, in_progress: 0 })

    // A failure on B: A's next read sees it (both directions, every view).
    await post(a, '/builds', newBuild('shared-2', { platform: 'gcp' }))
    for (const app of [a, b]) {
      await get(app, '/dashboard/recent?limit=5')
      await get(app, '/dashboard/platform/gcp')
      await get(app, '/dashboard/summary')
    }
    assert.equal((await get(a, '/dashboard/platform/gcp')).headers['x-cache'], 'hit')
    await post(b, '/builds/shared-2/failure', { error_message: 'disk full', details: { free_bytes: 0 } })
    const summary = (await get(a, '/dashboard/summary')).json()
    assert.deepEqual(summary.status_counts, { completed: 1, failed: 1, in_progress: 0 })
    assert.equal((await get(a, '/dashboard/recent?limit=5')).json().recent_builds[0].status, 'failed')
    assert.equal((await get(a, '/dashboard/platform/gcp')).json().builds[0].status, 'failed')
  })

  it('many writes racing with reads on both replicas: once they settle, both serve the final counts', async (t) => {
    const database = await postgresql.create()
    t.after(() => database.drop())
    const env = { REDIS_URL: TEST_REDIS_URL }
    const a = await buildTestApp(t, postgresql, { database, env })
    const b = await buildTestApp(t, postgresql, { database, env })
    const ids = Array.from({ length: 12 }, (_, i) => `race-${i}`)
    await Promise.all(ids.map((id, i) => post(i % 2 ? a : b, '/builds', newBuild(id))))
    // Writers on one replica and readers on both at once: a reader that computed before a write must
    // never leave that old view behind for later reads.
    await Promise.all([
      ...ids.map((id, i) => post(i % 2 ? b : a, `/builds/${id}/state`, { state_code: i < 5 ? 100 : 50 })),
      ...Array.from({ length: 24 }, (_, i) => get(i % 2 ? a : b, '/dashboard/summary')),
    ])
    for (const app of [a, b]) {
      const summary = (await get(app, '/dashboard/summary')).json()
      assert.deepEqual(summary.status_counts, { completed: 5, failed: 0, in_progress: 7 })
    }
  })
})
