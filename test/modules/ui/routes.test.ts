/**
 * The ui module's HTTP contract (docs/ui.md "What the server module must do"): files of the build by
 * plain name with the right caching, index.html for every other path (deep links), 404 for a missing
 * file, /ui → /ui/, the strict page CSP, a clear 503 when the page is not built, and GET / sending a
 * browser to /ui/ only when a dashboard route exists. The module has no tables, so the route-level
 * tests run on a folder of their own; the whole app is checked once against the real ui/dist.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import { stateRoutes } from '../../../src/modules/state/routes.js'
import { UI_DIST } from '../../../src/modules/ui/index.js'
import { uiRoutes } from '../../../src/modules/ui/routes.js'
import { ProblemSchema, registerErrorHandling } from '../../../src/platform/errors.js'
import { registerSecurityHeaders } from '../../../src/platform/security-headers.js'
import { buildTestApp } from '../../helpers/app.js'
import { sqlite, tempDir } from '../../helpers/databases.js'

const INDEX = '<!doctype html><html lang="en"><title>t</title><script type="module" src="app-AB12CD.js"></script>'
const IMMUTABLE = 'public, max-age=31536000, immutable'

function writeBuild(dir: string) {
  fs.writeFileSync(path.join(dir, 'index.html'), INDEX)
  fs.writeFileSync(path.join(dir, 'app-AB12CD.js'), 'console.log(1)\n')
  fs.writeFileSync(path.join(dir, 'app-EF34GH.css'), 'body{}\n')
  fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
  fs.writeFileSync(path.join(dir, '.env'), 'SECRET=1\n')
  fs.mkdirSync(path.join(dir, 'nested'))
  fs.writeFileSync(path.join(dir, 'nested', 'inner.js'), 'x')
}

/** The platform pieces the module relies on (problems, security headers) and the module's routes on `dist`. */
async function uiApp(t: TestContext, dist: string): Promise<FastifyInstance> {
  const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } })
  registerErrorHandling(app)
  registerSecurityHeaders(app)
  await app.register(uiRoutes, { dist })
  t.after(() => app.close())
  return app
}

function built(t: TestContext): string {
  const dir = tempDir('statehouse-ui-dist-')
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  writeBuild(dir)
  return dir
}

describe('ui module: ui/dist under /ui/', () => {
  it('serves hashed assets immutable, index.html and the favicon no-cache', async (t) => {
    const app = await uiApp(t, built(t))
    const js = await app.inject('/ui/app-AB12CD.js')
    assert.equal(js.statusCode, 200)
    assert.equal(js.body, 'console.log(1)\n')
    assert.match(String(js.headers['content-type']), /javascript/)
    assert.equal(js.headers['cache-control'], IMMUTABLE)
    const css = await app.inject('/ui/app-EF34GH.css')
    assert.equal(css.statusCode, 200)
    assert.match(String(css.headers['content-type']), /^text\/css/)
    assert.equal(css.headers['cache-control'], IMMUTABLE)
    const icon = await app.inject('/ui/favicon.svg')
    assert.equal(icon.statusCode, 200)
    assert.equal(icon.headers['cache-control'], 'no-cache')
    for (const url of ['/ui/', '/ui/index.html']) {
      const page = await app.inject(url)
      assert.equal(page.statusCode, 200, url)
      assert.equal(page.body, INDEX, url)
      assert.match(String(page.headers['content-type']), /^text\/html/, url)
      assert.equal(page.headers['cache-control'], 'no-cache', url)
    }
  })

  it('answers every other path under /ui/ with index.html (deep links), query strings included', async (t) => {
    const app = await uiApp(t, built(t))
    for (const url of [
      '/ui/builds',
      '/ui/builds/3f1c-uuid',
      '/ui/log?page=3',
      '/ui/aircraft/abc123?page=2',
      '/ui/x/',
    ]) {
      const res = await app.inject(url)
      assert.equal(res.statusCode, 200, url)
      assert.equal(res.body, INDEX, url)
      assert.equal(res.headers['cache-control'], 'no-cache', url)
    }
  })

  it('404s (problem+json) a path that looks like a file but is not one of the build, never index.html', async (t) => {
    const app = await uiApp(t, built(t))
    for (const url of [
      '/ui/app-OLDHASH.js',
      '/ui/app-OLDHASH.css',
      '/ui/app-AB12CD.js.map',
      '/ui/builds/app-AB12CD.js', // a relative URL resolved against a deep link
      '/ui/nested/inner.js', // folders of ui/dist are not served
      '/ui/../package.json',
      '/ui/%2e%2e%2fpackage.json',
      '/ui/logo.png',
    ]) {
      const res = await app.inject(url)
      assert.equal(res.statusCode, 404, url)
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/, url)
      assert.equal(res.json().status, 404, url)
    }
    // A dot file is not served; its name is not a file of the page, so it is a route of the page.
    const dot = await app.inject('/ui/.env')
    assert.doesNotMatch(dot.body, /SECRET/)
  })

  it('redirects /ui to /ui/ (301), keeping the query', async (t) => {
    const app = await uiApp(t, built(t))
    const bare = await app.inject('/ui')
    assert.equal(bare.statusCode, 301)
    assert.equal(bare.headers.location, '/ui/')
    const query = await app.inject('/ui?x=1')
    assert.equal(query.statusCode, 301)
    assert.equal(query.headers.location, '/ui/?x=1')
  })

  it("sends the strict page CSP: everything 'self', frames none, nothing inline, no data:", async (t) => {
    const app = await uiApp(t, built(t))
    for (const url of ['/ui/', '/ui/builds/x', '/ui/app-AB12CD.js']) {
      const csp = String((await app.inject(url)).headers['content-security-policy'])
      const directives = new Map(
        csp.split(';').map((d) => {
          const [name = '', ...values] = d.trim().split(/\s+/)
          return [name, values] as const
        }),
      )
      for (const name of ['default-src', 'script-src', 'style-src', 'img-src', 'font-src', 'base-uri', 'form-action'])
        assert.deepEqual(directives.get(name), ["'self'"], `${url}: ${name} in ${csp}`)
      assert.deepEqual(directives.get('frame-ancestors'), ["'none'"], csp)
      assert.deepEqual(directives.get('object-src'), ["'none'"], csp)
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|data:|https:|\*/, csp)
      // Over plain HTTP, upgrade-insecure-requests would send the page's assets to https and break it.
      assert.doesNotMatch(csp, /upgrade-insecure-requests/, csp)
    }
  })

  it('says how to build the page when ui/dist is missing (503), and serves it once built', async (t) => {
    const dist = path.join(built(t), 'not-yet')
    const app = await uiApp(t, dist)
    for (const url of ['/ui/', '/ui/builds/x', '/ui/app-AB12CD.js']) {
      const res = await app.inject(url)
      assert.equal(res.statusCode, 503, url)
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/, url)
      assert.equal(res.json().title, 'Dashboard not built')
      assert.match(res.json().detail, /npm run build:ui/)
    }
    fs.mkdirSync(dist)
    writeBuild(dist)
    assert.equal((await app.inject('/ui/builds/x')).body, INDEX)
  })
})

describe('GET / from a browser', () => {
  /** State's routes alone, optionally beside a /ui/ route: GET / needs neither the service nor the probe. */
  async function stateApp(t: TestContext, withDashboard: boolean) {
    const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } })
    app.addSchema(ProblemSchema)
    await app.register(stateRoutes, { state: {} as never, health: {} as never, endpoints: new Map() })
    if (withDashboard) await app.register(uiRoutes, { dist: built(t) })
    t.after(() => app.close())
    return app
  }

  it('is sent to /ui/ when the dashboard is served, and gets the JSON index otherwise', async (t) => {
    const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }
    const withUi = await stateApp(t, true)
    const redirected = await withUi.inject({ url: '/', headers: html })
    assert.equal(redirected.statusCode, 302)
    assert.equal(redirected.headers.location, '/ui/')
    assert.equal((await withUi.inject({ url: '/', headers: { accept: 'application/json' } })).statusCode, 200)
    const without = await stateApp(t, false)
    const json = await without.inject({ url: '/', headers: html })
    assert.equal(json.statusCode, 200)
    assert.equal(json.json().service, 'statehouse')
  })

  it('the whole app: / → /ui/ → the built page, which names assets the server has', async (t) => {
    assert.ok(fs.existsSync(path.join(UI_DIST, 'index.html')), 'ui/dist is missing: npm run build:ui')
    const app = await buildTestApp(t, sqlite)
    const root = await app.inject({ url: '/', headers: { accept: 'text/html' } })
    assert.equal(root.statusCode, 302)
    assert.equal(root.headers.location, '/ui/')
    const page = await app.inject('/ui/')
    assert.equal(page.statusCode, 200)
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string)
    assert.ok(assets.some((a) => /app-\w+\.js$/.test(a)) && assets.some((a) => /app-\w+\.css$/.test(a)), page.body)
    for (const asset of assets) {
      const res = await app.inject(new URL(asset, 'http://x/ui/').pathname)
      assert.equal(res.statusCode, 200, asset)
    }
    // Not an API route: hidden from GET / and the OpenAPI document.
    const index = (await app.inject('/')).json()
    assert.ok(!Object.keys(index.endpoints).some((route) => route.includes('/ui')), JSON.stringify(index.endpoints))
  })
})
