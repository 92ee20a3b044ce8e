/**
 * GET /events scaled out for real (issue 12, acceptance 3): Debian's nginx with
 * deploy/nginx/statehouse.conf in front of three statehouse processes on one PostgreSQL database and
 * Redis (the harness of cluster.test.ts). Subscribers sit on every replica, directly and through
 * nginx; writes go to every replica. One replica is killed with SIGKILL while writes go on: its
 * clients reconnect through nginx with Last-Event-ID, and every subscriber ends up with every event
 * exactly once, in id order. The outbox safety poll is pushed out of the way, so delivery to the
 * other replicas can only come through the Redis wake-ups.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { findNginx, NGINX_SNIPPET, startNginx, writeBareNginxConfig } from '../deploy/nginx-harness.js'
import { postgresql, tempDir } from '../helpers/databases.js'
import { redisSkip } from '../helpers/redis.js'
import { freePort, type ServerProcess, startServer } from '../helpers/server-process.js'
import { SseClient, type SseMessage } from '../modules/events/sse.js'

const CI = process.env.CI === 'true'
const REDIS_HOST = '127.0.0.1'
const REDIS_PORT = 6379
const PHASE_ONE = 30 // writes before the kill, over all three replicas and nginx
const PHASE_TWO = 30 // writes on the two survivors; the kill lands after the fifth
const TOTAL = PHASE_ONE + PHASE_TWO
// /metrics is closed in production without a token.
const METRICS_TOKEN = randomBytes(16).toString('hex')

const nginx = findNginx()
const missing = [
  nginx ? null : 'nginx is not installed (apt-get install nginx; .ci/run installs it)',
  postgresql.skip || null,
  redisSkip || null,
].filter((m): m is string => m !== null)
if (missing.length > 0 && CI) throw new Error(`CI=true but the events cluster test cannot run: ${missing.join('; ')}`)
if (missing.length > 0) console.warn(`\n*** SKIPPING the events cluster test: ${missing.join('; ')} ***\n`)

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** One logical subscriber: its streams in order (a reconnect appends one). */
class Subscriber {
  readonly streams: SseClient[]
  constructor(
    readonly name: string,
    first: SseClient,
  ) {
    this.streams = [first]
  }
  get current(): SseClient {
    return this.streams.at(-1) as SseClient
  }
  events(): SseMessage[] {
    return this.streams.flatMap((s) => s.of('state.updated'))
  }
  versions(): number[] {
    return this.events().map((m) => JSON.parse(m.data).version as number)
  }
  ids(): number[] {
    return this.events().map((m) => Number(m.id))
  }
}

async function openStream(base: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const sse = await SseClient.open(base, '/events?topics=state', headers)
  assert.equal(sse.status, 200, `GET /events on ${base} answered ${sse.status}`)
  await sse.opened()
  return sse
}

async function subscriberGauge(base: string): Promise<number> {
  const res = await fetch(`${base}/metrics`, {
    headers: { connection: 'close', authorization: `Bearer ${METRICS_TOKEN}` },
  })
  const text = await res.text()
  assert.equal(res.status, 200, `GET /metrics on ${base}: ${text}`)
  const line = text.split('\n').find((l) => l.startsWith('statehouse_events_subscribers '))
  return line ? Number(line.split(' ')[1]) : Number.NaN
}

async function stopAll(servers: ServerProcess[]): Promise<void> {
  await Promise.all(
    servers.map(async (s) => {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return
      const timer = setTimeout(() => s.child.kill('SIGKILL'), 15_000)
      await s.stop('SIGTERM')
      clearTimeout(timer)
    }),
  )
}

describe('events cluster: nginx in front of 3 replicas on PostgreSQL + Redis', () => {
  it('a write on any replica reaches every subscriber; after kill -9 its clients resume through nginx, missing nothing', {
    skip: missing.length > 0 && missing.join('; '),
    timeout: 300_000,
  }, async (t: TestContext) => {
    const cleanups: (() => unknown)[] = []
    const onCleanup = (fn: () => unknown) => cleanups.unshift(fn)
    t.after(async () => {
      for (const fn of cleanups)
        await Promise.resolve(fn()).catch((err: unknown) => console.error('events cluster cleanup:', err))
    })
    const dir = tempDir('statehouse-events-cluster-')
    onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }))
    const aircraftDir = path.join(dir, 'aircraft')
    fs.mkdirSync(aircraftDir)

    const database = await postgresql.create()
    onCleanup(() => database.drop())
    const apiKey = `events-cluster-${randomBytes(12).toString('hex')}`
    const env = {
      ENVIRONMENT: 'production',
      DATABASE_URL: database.url,
      // A Redis database of its own (1-15) for rate limits and idempotency keys; a channel of its own.
      REDIS_URL: `redis://${REDIS_HOST}:${REDIS_PORT}/${1 + ((randomBytes(1)[0] ?? 0) % 15)}`,
      EVENTS_CHANNEL: `test:events-cluster:${randomBytes(6).toString('hex')}`,
      // No safety poll within the test: the other replicas learn of a write only through Redis.
      EVENTS_POLL_MS: '600000',
      AIRCRAFT_SOURCE: `file:${aircraftDir}`,
      TRUST_PROXY: '1',
      LOG_LEVEL: 'warn',
      DB_POOL_SIZE: '4',
      INGEST_WORKERS: '1',
      API_KEY: apiKey,
      METRICS_TOKEN,
      JWT_SECRET: randomBytes(32).toString('hex'),
      ADMIN_USERNAME: 'events-admin',
      ADMIN_PASSWORD: `pw-${randomBytes(12).toString('hex')}`,
    }

    const servers: ServerProcess[] = []
    onCleanup(() => stopAll(servers))
    const started = await Promise.allSettled(
      [1, 2, 3].map((n) => startServer({ ...env, DATA_DIR: path.join(dir, `data${n}`) }, { timeoutMs: 120_000 })),
    )
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value)
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected')
    if (failed) throw failed.reason
    const listenPort = await freePort()
    const nginxDir = tempDir('statehouse-events-cluster-nginx-')
    onCleanup(() => fs.rmSync(nginxDir, { recursive: true, force: true }))
    const conf = writeBareNginxConfig(
      fs.readFileSync(NGINX_SNIPPET, 'utf8'),
      nginxDir,
      servers.map((s) => s.port),
      listenPort,
    )
    const proxy = await startNginx(nginx as string, nginxDir, conf, listenPort)
    onCleanup(() => proxy.stop())
    const logs = () =>
      `--- nginx ---\n${proxy.output()}\n--- replicas ---\n${servers.map((s) => s.output()).join('\n')}`

    // One subscriber directly on each replica, then six through nginx; each nginx stream's replica is
    // read off the replicas' subscriber gauges (least_conn spreads them).
    const subscribers: Subscriber[] = []
    const replicaOf = new Map<Subscriber, number>()
    onCleanup(() => {
      for (const s of subscribers) for (const stream of s.streams) stream.close()
    })
    for (const [i, server] of servers.entries()) {
      const sub = new Subscriber(`direct-${i + 1}`, await openStream(server.url))
      subscribers.push(sub)
      replicaOf.set(sub, i)
    }
    for (let n = 0; n < 6; n++) {
      const before = await Promise.all(servers.map((s) => subscriberGauge(s.url)))
      const sub = new Subscriber(`nginx-${n + 1}`, await openStream(proxy.url))
      subscribers.push(sub)
      const after = await Promise.all(servers.map((s) => subscriberGauge(s.url)))
      const grew = after.map((a, i) => a - (before[i] ?? 0))
      assert.equal(grew.filter((g) => g === 1).length, 1, `nginx stream ${n + 1}: gauges went ${before} → ${after}`)
      replicaOf.set(sub, grew.indexOf(1))
    }

    let written = 0
    const write = async (base: string) => {
      const res = await fetch(`${base}/update`, {
        method: 'POST',
        headers: { 'x-api-key': apiKey, 'content-type': 'application/json', connection: 'close' },
        body: '{"increment":1}',
      })
      const body = await res.text()
      assert.equal(res.status, 200, `POST /update on ${base}: ${body}`)
      written++
    }
    const waitForAll = async (count: number, subs: Subscriber[]) => {
      for (const sub of subs)
        await sub.current.until(() => sub.events().length >= count, `${sub.name}: ${count} events\n${logs()}`, 60_000)
    }

    // Phase one: writes on every replica and through nginx; every subscriber sees all of them.
    for (let i = 0; i < PHASE_ONE; i++) await write(i % 4 === 3 ? proxy.url : (servers[i % 3] as ServerProcess).url)
    await waitForAll(PHASE_ONE, subscribers)

    // The victim: the replica with the most nginx streams (at least one of six, by pigeonhole).
    const nginxCount = [0, 1, 2].map(
      (r) => subscribers.filter((s) => s.name.startsWith('nginx') && replicaOf.get(s) === r).length,
    )
    const victim = nginxCount.indexOf(Math.max(...nginxCount))
    const victims = subscribers.filter((s) => replicaOf.get(s) === victim)
    const survivors = servers.filter((_, i) => i !== victim)
    assert.ok(
      victims.some((s) => s.name.startsWith('nginx')),
      'no nginx stream on the victim',
    )

    // Phase two: writes on the survivors, kill -9 after the fifth, while writes go on.
    const writes = (async () => {
      for (let i = 0; i < PHASE_TWO; i++) {
        await write((survivors[i % 2] as ServerProcess).url)
        if (i === 4) (servers[victim] as ServerProcess).child.kill('SIGKILL')
      }
    })()

    // Each of the victim's clients sees its stream end, then reconnects through nginx with the last id it got.
    await Promise.all(
      victims.map(async (sub) => {
        const ended = await Promise.race([sub.current.closed.then(() => true), sleep(60_000).then(() => false)])
        assert.ok(ended, `${sub.name}: its stream did not end after kill -9\n${logs()}`)
        const lastId = sub.events().at(-1)?.id
        assert.ok(lastId, `${sub.name}: no event before the kill`)
        for (let attempt = 1; ; attempt++) {
          const sse = await SseClient.open(proxy.url, '/events?topics=state', { 'last-event-id': lastId })
          if (sse.status === 200) {
            await sse.opened()
            sub.streams.push(sse)
            return
          }
          sse.close()
          assert.ok(attempt < 20, `${sub.name}: reconnect through nginx answered ${sse.status} ${attempt} times`)
          await sleep(250)
        }
      }),
    )
    await writes
    assert.equal(written, TOTAL)
    await waitForAll(TOTAL, subscribers)

    // Every subscriber: every version once, in order; the same ids everywhere, strictly increasing.
    const reference = (subscribers.find((s) => !victims.includes(s)) as Subscriber).ids()
    assert.equal(reference.length, TOTAL)
    for (let i = 1; i < reference.length; i++)
      assert.ok((reference[i] as number) > (reference[i - 1] as number), `ids out of order: ${reference}`)
    for (const sub of subscribers) {
      assert.deepEqual(sub.versions(), range(1, TOTAL), `${sub.name}: versions`)
      assert.deepEqual(sub.ids(), reference, `${sub.name}: ids`)
    }
    for (const sub of victims) assert.equal(sub.streams.length, 2, `${sub.name} reconnected once`)
  })
})
