/**
 * The Redis wake-up bus through a flapping Redis: a connection lost again before its SUBSCRIBE is
 * answered must not reject a promise nobody handles (that ends a Node process), and the bus must
 * subscribe again on the next connection.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createWakeBus } from '../../src/platform/events/bus.js'
import { createRedis } from '../../src/platform/redis.js'
import { redisSkip, TEST_REDIS_URL } from '../helpers/redis.js'

/**
 * Forwards to Redis; `dropNextSubscribe()` makes the next connection that asks to SUBSCRIBE vanish at
 * that moment, before Redis sees the command (once); `dropAll()` drops every open connection.
 */
async function subscribeDroppingProxy() {
  const target = new URL(TEST_REDIS_URL)
  const sockets = new Set<net.Socket>()
  let dropSubscribe = false
  let connections = 0
  const server = net.createServer((client) => {
    connections++
    const upstream = net.connect(Number(target.port || 6379), target.hostname)
    sockets.add(client).add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.on('data', (chunk: Buffer) => {
      if (dropSubscribe && /subscribe/i.test(chunk.toString('latin1'))) {
        dropSubscribe = false
        return drop()
      }
      upstream.write(chunk)
    })
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `redis://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    get connections() {
      return connections
    },
    get subscribeDropped() {
      return !dropSubscribe
    },
    dropNextSubscribe() {
      dropSubscribe = true
    },
    dropAll() {
      for (const s of sockets) s.destroy()
      sockets.clear()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

async function until(condition: () => boolean, what: string) {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 10_000) assert.fail(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

describe('Redis wake-up bus', { skip: redisSkip }, () => {
  it('a connection lost before its re-SUBSCRIBE is answered: nothing unhandled, and it subscribes again', async (t) => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    t.after(() => process.off('unhandledRejection', onUnhandled))

    const proxy = await subscribeDroppingProxy()
    t.after(() => proxy.close())
    const publisher = createRedis(proxy.url)
    const direct = createRedis(TEST_REDIS_URL)
    t.after(() => {
      publisher.disconnect()
      direct.disconnect()
    })
    const channel = `test:wake:${randomBytes(6).toString('hex')}`
    const links: boolean[] = []
    const bus = createWakeBus({ redis: publisher, channel, onLinkChange: (up) => links.push(up) })
    t.after(() => bus.close())
    let wakes = 0
    await bus.start(() => wakes++)
    await until(() => links.includes(true), 'the first subscription')

    proxy.dropNextSubscribe()
    proxy.dropAll()
    await until(() => proxy.subscribeDropped, 'the re-SUBSCRIBE to be dropped')
    await until(() => links.filter(Boolean).length >= 2, 'a subscription on a later connection')
    const before = wakes
    await direct.publish(channel, '1')
    await until(() => wakes > before, 'a wake-up from a message published after the flap')

    await sleep(50) // a rejection nobody handled is reported on a later tick
    assert.deepEqual(unhandled, [], 'no promise rejected unhandled')
    assert.ok(proxy.connections >= 3, 'it reconnected past the dropped connection')
    assert.deepEqual(links.slice(0, 3), [true, false, true], 'the link went down once and came back once')
  })
})
