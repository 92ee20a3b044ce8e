/**
 * The scale-out deployment for real (issue 6, acceptance 4; SPEC §1 "Scale-out", §10): Debian's
 * nginx with deploy/nginx/statehouse.conf — the very file compose mounts, its upstream pointed at
 * local ports — in front of three statehouse processes on one fresh PostgreSQL database and Redis,
 * configured as production (ENVIRONMENT=production, every secret given, a bootstrap admin, aircraft
 * from a folder of generated sample files). The test/deployed smoke suite then runs through nginx
 * exactly as `npm run test:deployed` runs against a real deployment; afterwards every replica must
 * have served part of it, all three must agree on the state, and the service must survive losing a
 * replica. Everything started here is stopped again, on failure too.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { gzipSync } from 'node:zlib'
import { generateFlatRecords, generateSnapshots } from '../../scripts/aircraft-sample-generator.js'
import { assertWholeSuitePassed, runDeployedSuite } from '../deploy/deployed-suite.js'
import { findNginx, NGINX_SNIPPET, startNginx, writeBareNginxConfig } from '../deploy/nginx-harness.js'
import { postgresql, tempDir } from '../helpers/databases.js'
import { redisSkip } from '../helpers/redis.js'
import { freePort, type ServerProcess, startServer } from '../helpers/server-process.js'

const CI = process.env.CI === 'true'
const REDIS_HOST = '127.0.0.1'
const REDIS_PORT = 6379

const nginx = findNginx()
const missing = [
  nginx ? null : 'nginx is not installed (apt-get install nginx; .ci/run installs it)',
  postgresql.skip || null,
  redisSkip || null,
].filter((m): m is string => m !== null)
if (missing.length > 0 && CI) throw new Error(`CI=true but the cluster test cannot run: ${missing.join('; ')}`)
if (missing.length > 0) console.warn(`\n*** SKIPPING the nginx + 3 replicas cluster test: ${missing.join('; ')} ***\n`)

/** A folder of generated readsb-hist snapshots (every other one gzipped) and one flat-record file. */
function writeSampleAircraft(dir: string): void {
  fs.mkdirSync(dir, { recursive: true })
  let i = 0
  for (const s of generateSnapshots({ files: 6, aircraft: 25, seed: 6 })) {
    const gzip = i++ % 2 === 1
    fs.writeFileSync(path.join(dir, gzip ? `${s.name}.gz` : s.name), gzip ? gzipSync(s.body) : s.body)
  }
  fs.writeFileSync(path.join(dir, 'flat-records.json'), generateFlatRecords(20, 6))
}

async function stopAll(servers: ServerProcess[]): Promise<void> {
  await Promise.all(
    servers.map(async (s) => {
      const timer = setTimeout(() => s.child.kill('SIGKILL'), 15_000)
      await s.stop('SIGTERM')
      clearTimeout(timer)
    }),
  )
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers: { connection: 'close' } })
  return { status: res.status, body: (await res.json()) as T }
}

describe('cluster: deploy/nginx/statehouse.conf in front of 3 replicas on PostgreSQL + Redis', () => {
  it('serves the whole deployed smoke suite through nginx, on every replica, and survives losing one', {
    skip: missing.length > 0 && missing.join('; '),
    timeout: 600_000,
  }, async (t: TestContext) => {
    // Stopped in reverse order of starting (nginx, replicas, database, files), on failure too.
    const cleanups: (() => unknown)[] = []
    const onCleanup = (fn: () => unknown) => cleanups.unshift(fn)
    t.after(async () => {
      for (const fn of cleanups)
        await Promise.resolve(fn()).catch((err: unknown) => console.error('cluster cleanup:', err))
    })
    const dir = tempDir('statehouse-cluster-')
    onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }))
    const aircraftDir = path.join(dir, 'aircraft')
    writeSampleAircraft(aircraftDir)

    const database = await postgresql.create()
    onCleanup(() => database.drop())

    const secrets = {
      API_KEY: `cluster-key-${randomBytes(12).toString('hex')}`,
      JWT_SECRET: randomBytes(32).toString('hex'),
      ADMIN_USERNAME: 'cluster-admin',
      ADMIN_PASSWORD: `pw-${randomBytes(12).toString('hex')}`,
    }
    // A Redis database of its own (1-15; the other tests use 0): rate-limit windows, dashboard cache
    // and idempotency keys of this cluster never meet another test's. The app has no key prefix option.
    const redisUrl = `redis://${REDIS_HOST}:${REDIS_PORT}/${1 + (randomBytes(1)[0]! % 15)}`
    const env = {
      ENVIRONMENT: 'production',
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      AIRCRAFT_SOURCE: `file:${aircraftDir}`,
      // As compose sets it: trust one hop (nginx), so the client is the address nginx appended.
      TRUST_PROXY: '1',
      LOG_LEVEL: 'warn',
      DB_POOL_SIZE: '4',
      INGEST_WORKERS: '1',
      HEALTH_PROBE_INTERVAL_MS: '500',
      ...secrets,
    }

    // Three replicas start at once, as compose starts them: migrations must run once between them.
    const servers: ServerProcess[] = []
    onCleanup(() => stopAll(servers))
    const started = await Promise.allSettled(
      [1, 2, 3].map((n) => startServer({ ...env, DATA_DIR: path.join(dir, `data${n}`) }, { timeoutMs: 120_000 })),
    )
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value)
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected')
    if (failed) throw failed.reason
    const ports = servers.map((s) => s.port)

    const listen = await freePort()
    // Its own prefix: a root master's workers (nobody) cannot enter the private temp dir above.
    const nginxDir = tempDir('statehouse-cluster-nginx-')
    onCleanup(() => fs.rmSync(nginxDir, { recursive: true, force: true }))
    const conf = writeBareNginxConfig(fs.readFileSync(NGINX_SNIPPET, 'utf8'), nginxDir, ports, listen)
    const proxy = await startNginx(nginx!, nginxDir, conf, listen)
    onCleanup(() => proxy.stop())

    const run = await runDeployedSuite({
      API_URL: proxy.url,
      API_KEY: secrets.API_KEY,
      API_USERNAME: secrets.ADMIN_USERNAME,
      API_PASSWORD: secrets.ADMIN_PASSWORD,
    })
    assertWholeSuitePassed(run, () => `--- replica logs ---\n${servers.map((s) => s.output()).join('\n')}`)

    // least_conn spread the suite over all three upstreams, through the snippet's upstream block.
    const log = proxy.accessLog()
    const perUpstream = ports.map((p) => log.split('\n').filter((l) => l.includes(`upstream=127.0.0.1:${p}`)).length)
    for (const [i, n] of perUpstream.entries())
      assert.ok(n > 0, `replica ${i + 1} (port ${ports[i]}) served nothing:\n${log}`)

    // The three replicas share one state: each reports the same version and counter directly.
    const direct = await Promise.all(
      servers.map((s) => getJson<{ version: number; counter: number; overall_status: string }>(`${s.url}/status`)),
    )
    const through = await getJson<{ version: number; counter: number }>(`${proxy.url}/status`)
    for (const d of direct) {
      assert.equal(d.status, 200)
      assert.equal(d.body.overall_status, 'healthy')
      assert.deepEqual([d.body.version, d.body.counter], [through.body.version, through.body.counter])
    }
    assert.ok(through.body.version >= 1, 'the smoke suite wrote no state')

    // Losing a replica: nginx's passive checks (proxy_next_upstream error) route around it, and
    // every request — reads and an acknowledged write — still succeeds.
    await servers[0]!.stop('SIGTERM')
    const statuses: number[] = []
    for (let i = 0; i < 12; i++)
      statuses.push(
        await fetch(`${proxy.url}/status`, { headers: { connection: 'close' } }).then(
          async (r) => (await r.text(), r.status),
        ),
      )
    assert.deepEqual(statuses, Array(12).fill(200))
    const write = await fetch(`${proxy.url}/update`, {
      method: 'POST',
      headers: { 'x-api-key': secrets.API_KEY, 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify({ increment: 1 }),
    })
    const written = (await write.json()) as { version: number }
    assert.equal(write.status, 200, JSON.stringify(written))
    assert.equal(written.version, through.body.version + 1)
    for (const s of servers.slice(1))
      assert.equal((await getJson<{ version: number }>(`${s.url}/status`)).body.version, written.version)
  })
})
