/**
 * Fan-out across replicas: two app instances on one database, wake-ups over Redis pub/sub or
 * PostgreSQL LISTEN/NOTIFY, and Redis cut mid-stream (through a TCP proxy the test owns).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, WRITE_HEADERS } from '../../helpers/app.js'
import { type Dialect, describeOnEachDialect, postgresql } from '../../helpers/databases.js'
import { startTcpProxy } from '../../helpers/tcp-proxy.js'
import { listen, SseClient } from './sse.js'

const REDIS = 'redis://127.0.0.1:6379'

const increment = (app: FastifyInstance) =>
  app.inject({ method: 'POST', url: '/update', headers: WRITE_HEADERS, payload: '{"increment":1}' })
const versions = (sse: SseClient) => sse.of('state.updated').map((m) => JSON.parse(m.data).version as number)
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** Two instances on one database, each with a subscriber; `env` on both. */
async function twoReplicas(t: TestContext, dialect: Dialect, env: Record<string, string>) {
  const a = await buildTestApp(t, dialect, { env })
  const b = await buildTestApp(t, dialect, { env, database: a.database })
  const subscribers: SseClient[] = []
  for (const app of [a, b]) {
    const sse = await SseClient.open(await listen(app), '/events?topics=state')
    t.after(() => sse.close())
    await sse.opened()
    subscribers.push(sse)
  }
  return { apps: [a, b], subscribers }
}

async function concurrentIncrements(apps: FastifyInstance[], total: number) {
  const results = await Promise.all(
    Array.from({ length: total }, (_, i) => increment(apps[i % apps.length] as FastifyInstance)),
  )
  for (const res of results) assert.equal(res.statusCode, 200, res.body)
}

describe('events across two instances on PostgreSQL', { skip: postgresql.skip }, () => {
  // The safety poll is pushed out of the way: delivery here must come through the wake-ups.
  const slowPoll = { EVENTS_POLL_MS: '600000' }

  it('with Redis: 500 concurrent increments over both → each subscriber gets exactly 500, consecutive', async (t) => {
    const env = { ...slowPoll, REDIS_URL: REDIS, EVENTS_CHANNEL: `test:events:${randomBytes(6).toString('hex')}` }
    const { apps, subscribers } = await twoReplicas(t, postgresql, env)
    await concurrentIncrements(apps, 500)
    for (const sse of subscribers) {
      await sse.until(() => sse.of().length >= 500, '500 events')
      assert.deepEqual(versions(sse), range(1, 500))
    }
    const counter = (await (apps[0] as FastifyInstance).inject({ url: '/status' })).json().counter
    assert.equal(counter, 500)
  })

  it('without Redis, over LISTEN/NOTIFY: 200 concurrent increments over both → each subscriber gets all', async (t) => {
    const { apps, subscribers } = await twoReplicas(t, postgresql, slowPoll)
    await concurrentIncrements(apps, 200)
    for (const sse of subscribers) {
      await sse.until(() => sse.of().length >= 200, '200 events')
      assert.deepEqual(versions(sse), range(1, 200))
    }
  })
})

describeOnEachDialect('events with Redis cut mid-stream', (dialect) => {
  it('keep flowing from the outbox and lose nothing', async (t) => {
    const proxy = await startTcpProxy('127.0.0.1', 6379)
    t.after(() => proxy.close())
    const env = {
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      EVENTS_CHANNEL: `test:events:${randomBytes(6).toString('hex')}`,
      EVENTS_POLL_MS: '200',
    }
    // SQLite has one writer (one instance); PostgreSQL: writes on one instance, the subscriber on the other.
    const writer = await buildTestApp(t, dialect, { env })
    const other =
      dialect.name === 'postgresql' ? await buildTestApp(t, dialect, { env, database: writer.database }) : writer
    const sse = await SseClient.open(await listen(other), '/events?topics=state')
    t.after(() => sse.close())
    await sse.opened()

    for (let i = 0; i < 10; i++) assert.equal((await increment(writer)).statusCode, 200)
    await sse.until(() => sse.of().length >= 10, 'events with Redis up')
    proxy.cut()
    for (let i = 0; i < 10; i++) assert.equal((await increment(writer)).statusCode, 200)
    await sse.until(() => sse.of().length >= 20, 'events with Redis cut')
    proxy.restore()
    for (let i = 0; i < 10; i++) assert.equal((await increment(writer)).statusCode, 200)
    await sse.until(() => sse.of().length >= 30, 'events after Redis returns')
    assert.deepEqual(versions(sse), range(1, 30), 'all of them, once each, in order')
    assert.equal(sse.ended, false, 'the stream itself never broke')
  })
})
