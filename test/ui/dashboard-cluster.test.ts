/**
 * The dashboard through the scale-out deployment (issue 13, acceptance 3): Debian's nginx with
 * deploy/nginx/statehouse.conf (its SSE location included) in front of three production-configured
 * replicas on one PostgreSQL database and Redis, as test/e2e/cluster.test.ts starts them. A page
 * opened through nginx holds one /events stream on whichever replica nginx picked; writes made on
 * each replica directly must all reach it. Everything started here is stopped again, on failure too.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { findNginx, NGINX_SNIPPET, startNginx, writeBareNginxConfig } from '../deploy/nginx-harness.js'
import { launchBrowser } from '../helpers/browser.js'
import { postgresql, tempDir } from '../helpers/databases.js'
import { redisSkip } from '../helpers/redis.js'
import { freePort, REPO_ROOT, type ServerProcess, startServer } from '../helpers/server-process.js'
import { assertAccessible, exactText, watchedContext } from './page-checks.js'

const CI = process.env.CI === 'true'
const REDIS = { host: '127.0.0.1', port: 6379 }
/** A write on a replica the page is not connected to crosses Redis/PostgreSQL: generous, not a measurement. */
const FOLLOWS_WITHIN_MS = 10_000

const nginx = findNginx()
const missing = [
  nginx ? null : 'nginx is not installed (apt-get install nginx; .ci/run installs it)',
  postgresql.skip || null,
  redisSkip || null,
  fs.existsSync(path.join(REPO_ROOT, 'ui', 'dist', 'index.html')) ? null : 'ui/dist is missing: npm run build:ui',
].filter((m): m is string => m !== null)
if (missing.length > 0 && CI)
  throw new Error(`CI=true but the dashboard cluster test cannot run: ${missing.join('; ')}`)
if (missing.length > 0)
  console.warn(`\n*** SKIPPING the dashboard through nginx + 3 replicas: ${missing.join('; ')} ***\n`)

describe('dashboard through nginx in front of 3 replicas (PostgreSQL + Redis)', () => {
  it('the live counter on a page opened through nginx follows writes made on every replica', {
    skip: missing.length > 0 && missing.join('; '),
    timeout: 300_000,
  }, async (t: TestContext) => {
    const cleanups: (() => unknown)[] = []
    const onCleanup = (fn: () => unknown) => cleanups.unshift(fn)
    t.after(async () => {
      for (const fn of cleanups) await Promise.resolve(fn()).catch((err: unknown) => console.error('cleanup:', err))
    })
    const dir = tempDir('statehouse-ui-cluster-')
    onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }))
    const database = await postgresql.create()
    onCleanup(() => database.drop())
    const apiKey = `ui-cluster-${randomBytes(12).toString('hex')}`
    const env = {
      ENVIRONMENT: 'production',
      DATABASE_URL: database.url,
      // A Redis database of its own (1-15), as the cluster test does, for its cache and limits.
      REDIS_URL: `redis://${REDIS.host}:${REDIS.port}/${1 + (randomBytes(1).readUInt8(0) % 15)}`,
      API_KEY: apiKey,
      JWT_SECRET: randomBytes(32).toString('hex'),
      TRUST_PROXY: '1',
      LOG_LEVEL: 'warn',
      DB_POOL_SIZE: '4',
      HEALTH_PROBE_INTERVAL_MS: '500',
    }
    const servers: ServerProcess[] = []
    onCleanup(() =>
      Promise.all(
        servers.map(async (s) => {
          const timer = setTimeout(() => s.child.kill('SIGKILL'), 15_000)
          await s.stop()
          clearTimeout(timer)
        }),
      ),
    )
    const started = await Promise.allSettled(
      [1, 2, 3].map((n) => startServer({ ...env, DATA_DIR: path.join(dir, `data${n}`) }, { timeoutMs: 120_000 })),
    )
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value)
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected')
    if (failed) throw failed.reason

    const listen = await freePort()
    const nginxDir = tempDir('statehouse-ui-cluster-nginx-')
    onCleanup(() => fs.rmSync(nginxDir, { recursive: true, force: true }))
    const conf = writeBareNginxConfig(
      fs.readFileSync(NGINX_SNIPPET, 'utf8'),
      nginxDir,
      servers.map((s) => s.port),
      listen,
    )
    assert.ok(nginx)
    const proxy = await startNginx(nginx, nginxDir, conf, listen)
    onCleanup(() => proxy.stop())

    const browser = await launchBrowser()
    onCleanup(() => browser.close())
    const { page, assertClean } = await watchedContext(browser, proxy.url)
    const opened = await page.goto(`${proxy.url}/ui/`)
    assert.equal(opened?.status(), 200)
    await page.locator('p.live.live-live').waitFor()
    await assertAccessible(page, 'the state view through nginx')

    const write = async (server: ServerProcess) => {
      const res = await fetch(`${server.url}/update`, {
        method: 'POST',
        headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ increment: 1, message: `written on replica :${server.port}` }),
        signal: AbortSignal.timeout(15_000),
      })
      const text = await res.text()
      assert.equal(res.status, 200, text)
      return JSON.parse(text) as { new_state: { counter: number }; version: number }
    }
    // Twice round the replicas: whichever one holds the page's stream, the other two are crossed.
    for (const server of [...servers, ...servers]) {
      const { new_state, version } = await write(server)
      await exactText(page, '[data-testid=counter]', new_state.counter.toLocaleString('en-US')).waitFor({
        timeout: FOLLOWS_WITHIN_MS,
      })
      await exactText(page, '[data-testid=version]', version).waitFor({ timeout: FOLLOWS_WITHIN_MS })
      await page
        .getByTestId('message')
        .filter({ hasText: `written on replica :${server.port}` })
        .waitFor()
    }
    assertClean()
    // The stream went through nginx, not around it: nginx logs it once the page lets it go.
    await page.context().close()
    const streamed = /GET \/events upstream=127\.0\.0\.1:\d+/
    for (let i = 0; i < 50 && !streamed.test(proxy.accessLog()); i++) await new Promise((r) => setTimeout(r, 100))
    assert.match(proxy.accessLog(), streamed)
  })
})
