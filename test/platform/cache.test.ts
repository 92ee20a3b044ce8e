/** The read-through cache (src/platform/cache.ts) in-process and in Redis: hits, TTL, invalidation across instances, the reader/writer race, Redis outages. */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it, type TestContext } from 'node:test'
import { Redis } from 'ioredis'
import { Cache } from '../../src/platform/cache.js'
import { createRedis, redisReady } from '../../src/platform/redis.js'
import { redisSkip, TEST_REDIS_URL } from '../helpers/redis.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'

function counter() {
  let calls = 0
  return { compute: async () => ({ n: ++calls }), calls: () => calls }
}

/** The app's client, connected (it has no offline queue: a command before it is ready fails). */
async function redisFor(t: TestContext, url = TEST_REDIS_URL): Promise<Redis> {
  const redis = createRedis(url)
  t.after(() => redis.disconnect())
  await redisReady(redis)
  return redis
}

function uniquePrefix(t: TestContext): string {
  const prefix = `statehouse:test:cache:${randomBytes(6).toString('hex')}:`
  t.after(async () => {
    const redis = new Redis(TEST_REDIS_URL)
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
  })
  return prefix
}

describe('cache in-process', () => {
  it('computes once, then hits; invalidate makes the next read compute again', async () => {
    const cache = new Cache({ ttlSeconds: 60, prefix: 'p:' })
    const c = counter()
    assert.deepEqual(await cache.getOrCompute('v', c.compute), { value: { n: 1 }, outcome: 'miss' })
    assert.deepEqual(await cache.getOrCompute('v', c.compute), { value: { n: 1 }, outcome: 'hit' })
    assert.deepEqual(await cache.getOrCompute('other', c.compute), { value: { n: 2 }, outcome: 'miss' })
    await cache.invalidate()
    assert.deepEqual(await cache.getOrCompute('v', c.compute), { value: { n: 3 }, outcome: 'miss' })
  })

  it('hands out copies: a caller changing its value does not change the cache', async () => {
    const cache = new Cache({ ttlSeconds: 60, prefix: 'p:' })
    await cache.getOrCompute('v', async () => ({ list: [1] }))
    const { value } = await cache.getOrCompute('v', async () => ({ list: [9] }))
    value.list.push(2)
    assert.deepEqual((await cache.getOrCompute('v', async () => ({ list: [9] }))).value, { list: [1] })
  })

  it('an entry expires after the TTL', async () => {
    const cache = new Cache({ ttlSeconds: 0.05, prefix: 'p:' })
    const c = counter()
    await cache.getOrCompute('v', c.compute)
    await new Promise((r) => setTimeout(r, 120))
    assert.equal((await cache.getOrCompute('v', c.compute)).outcome, 'miss')
    assert.equal(c.calls(), 2)
  })

  it('a read that computed before an invalidation does not store its (old) value', async () => {
    const cache = new Cache({ ttlSeconds: 60, prefix: 'p:' })
    let release!: () => void
    const slow = cache.getOrCompute('v', () => new Promise<string>((resolve) => (release = () => resolve('old'))))
    await new Promise((r) => setImmediate(r))
    await cache.invalidate() // the write committed while the read was computing
    release()
    assert.equal((await slow).value, 'old')
    assert.deepEqual(await cache.getOrCompute('v', async () => 'new'), { value: 'new', outcome: 'miss' })
  })

  it('ttlSeconds 0 never caches', async () => {
    const cache = new Cache({ ttlSeconds: 0, prefix: 'p:' })
    const c = counter()
    await cache.getOrCompute('v', c.compute)
    assert.equal((await cache.getOrCompute('v', c.compute)).outcome, 'bypass')
    assert.equal(c.calls(), 2)
  })
})

describe('cache in Redis', { skip: redisSkip }, () => {
  it('two instances on one prefix share entries, and an invalidation on one is seen by the other', async (t) => {
    const prefix = uniquePrefix(t)
    const one = new Cache({ redis: await redisFor(t), ttlSeconds: 60, prefix })
    const two = new Cache({ redis: await redisFor(t), ttlSeconds: 60, prefix })
    const c = counter()
    assert.equal((await one.getOrCompute('v', c.compute)).outcome, 'miss')
    assert.deepEqual(await two.getOrCompute('v', c.compute), { value: { n: 1 }, outcome: 'hit' })
    await one.invalidate()
    assert.deepEqual(await two.getOrCompute('v', c.compute), { value: { n: 2 }, outcome: 'miss' })
    assert.deepEqual(await one.getOrCompute('v', c.compute), { value: { n: 2 }, outcome: 'hit' })
    // Another prefix is another cache.
    const elsewhere = new Cache({ redis: await redisFor(t), ttlSeconds: 60, prefix: uniquePrefix(t) })
    assert.equal((await elsewhere.getOrCompute('v', c.compute)).outcome, 'miss')
  })

  it('entries carry the TTL in Redis and expire', async (t) => {
    const prefix = uniquePrefix(t)
    const redis = await redisFor(t)
    const cache = new Cache({ redis, ttlSeconds: 0.2, prefix })
    const c = counter()
    await cache.getOrCompute('v', c.compute)
    const [key] = await redis.keys(`${prefix}*:v`)
    assert.ok(key, 'the entry is in Redis')
    const ttl = await redis.pttl(key)
    assert.ok(ttl > 0 && ttl <= 200, `PTTL ${ttl}`)
    await new Promise((r) => setTimeout(r, 400))
    assert.equal((await cache.getOrCompute('v', c.compute)).outcome, 'miss')
  })

  it('a read on one replica that computed before a write on another never leaves the old value behind', async (t) => {
    const prefix = uniquePrefix(t)
    const reader = new Cache({ redis: await redisFor(t), ttlSeconds: 60, prefix })
    const writer = new Cache({ redis: await redisFor(t), ttlSeconds: 60, prefix })
    let release!: () => void
    const slow = reader.getOrCompute('v', () => new Promise<string>((resolve) => (release = () => resolve('old'))))
    while (!release) await new Promise((r) => setTimeout(r, 5))
    await writer.invalidate()
    release()
    await slow
    assert.deepEqual(await writer.getOrCompute('v', async () => 'new'), { value: 'new', outcome: 'miss' })
    assert.deepEqual(await reader.getOrCompute('v', async () => 'newer'), { value: 'new', outcome: 'hit' })
  })

  it('while Redis is unreachable reads compute (no error), and a missed invalidation is retried before the cache is trusted', async (t) => {
    const target = new URL(TEST_REDIS_URL)
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 6379))
    t.after(() => proxy.close())
    const prefix = uniquePrefix(t)
    const errors: string[] = []
    const cut = new Cache({
      redis: await redisFor(t, `redis://127.0.0.1:${proxy.port}`),
      ttlSeconds: 60,
      prefix,
      onError: (_e, op) => errors.push(op),
    })
    const other = new Cache({ redis: await redisFor(t), ttlSeconds: 60, prefix })
    await cut.getOrCompute('v', async () => 'before')

    proxy.cut()
    assert.deepEqual(await cut.getOrCompute('v', async () => 'during'), { value: 'during', outcome: 'bypass' })
    await cut.invalidate() // a write committed while Redis was away: the INCR fails
    // At most the first failure is reported (the client itself logs a disconnection), not one per call.
    assert.ok(errors.length <= 1, errors.join())
    assert.deepEqual(
      await other.getOrCompute('v', async () => 'x'),
      { value: 'before', outcome: 'hit' },
      'not yet invalidated in Redis',
    )

    proxy.restore()
    // The next read on the replica that missed its invalidation retries it first.
    let outcome = await cut.getOrCompute('v', async () => 'after')
    for (let i = 0; i < 100 && outcome.outcome === 'bypass'; i++) {
      await new Promise((r) => setTimeout(r, 100))
      outcome = await cut.getOrCompute('v', async () => 'after')
    }
    assert.deepEqual(outcome, { value: 'after', outcome: 'miss' })
    assert.deepEqual(await other.getOrCompute('v', async () => 'x'), { value: 'after', outcome: 'hit' })
  })
})
