/**
 * /docs and /redoc as a browser shows them at a deployed host over plain HTTP (the EC2 stack's
 * http://<public dns>): every asset loads from this server, none is blocked or upgraded to https,
 * and nothing is requested from another host (ReDoc's footer logo included).
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { launchBrowser } from '../helpers/browser.js'
import { tempDir } from '../helpers/databases.js'
import { type ServerProcess, startServer } from '../helpers/server-process.js'

const HOST = 'statehouse.test'

describe('docs pages in headless Chromium at a non-localhost host over HTTP', () => {
  let server: ServerProcess
  let browser: Browser
  before(async () => {
    const dir = tempDir()
    server = await startServer({
      DATABASE_URL: `sqlite:${path.join(dir, 'docs.db')}`,
      API_KEY: 'docs-key-0123456789',
      ENVIRONMENT: 'test',
      LOG_LEVEL: 'warn',
    })
    browser = await launchBrowser({ hosts: [HOST] })
  })
  after(async () => {
    await browser?.close()
    await server?.stop('SIGKILL')
  })

  for (const [page, ready] of [
    ['/docs', '.swagger-ui .opblock'],
    ['/redoc', 'img[alt="redocly logo"]'],
  ] as const) {
    it(`${page} renders with every asset from this server and none blocked`, { timeout: 120_000 }, async (t) => {
      const origin = `http://${HOST}:${server.port}`
      const context = await browser.newContext()
      t.after(() => context.close())
      const tab = await context.newPage()
      const requests: string[] = []
      const failures: string[] = []
      const violations: string[] = []
      tab.on('request', (r) => void requests.push(r.url()))
      tab.on('requestfailed', (r) => void failures.push(`${r.url()}: ${r.failure()?.errorText}`))
      tab.on('response', (r) => void (r.status() >= 400 && failures.push(`${r.url()}: HTTP ${r.status()}`)))
      tab.on('console', (m) => void (m.type() === 'error' && violations.push(m.text())))
      await tab.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) =>
          console.error(`CSP blocked ${e.blockedURI} (${e.violatedDirective})`),
        )
      })
      const response = await tab.goto(`${origin}${page}`, { waitUntil: 'networkidle', timeout: 60_000 })
      assert.equal(response?.status(), 200)
      await tab.waitForSelector(ready, { state: 'attached', timeout: 60_000 })
      if (page === '/redoc') {
        await tab.waitForLoadState('networkidle')
        const logoLoaded = await tab.$eval(
          ready,
          (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0,
        )
        assert.ok(logoLoaded, 'the ReDoc footer logo did not load')
      }
      const elsewhere = requests.filter(
        (url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:') && !url.startsWith('blob:'),
      )
      assert.deepEqual(elsewhere, [], 'requests to another origin (a CDN, or an https:// upgrade)')
      assert.deepEqual(failures, [], 'failed requests')
      assert.deepEqual(violations, [], 'console errors (blocked assets)')
      assert.ok(requests.length >= 2, `only ${requests.length} requests: the page loaded no assets`)
    })
  }
})
