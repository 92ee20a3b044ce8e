/**
 * Takes a screenshot of every dashboard view at 1280×800 and 375×800 in headless Chromium, against
 * the dev harness (real app, SQLite, development data, an ingest of the sample aircraft), and fails
 * on a console error, a CSP violation, or a request to any host but the server.
 *
 *   node ui/build.mjs && npx tsx test/ui/screenshots.ts [out-dir]    (default: $TMPDIR/statehouse-ui-shots)
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { launchBrowser } from '../helpers/browser.js'
import { DEV_API_KEY, startDevServer } from './serve-dev.js'

const out = path.resolve(process.argv[2] ?? path.join(os.tmpdir(), 'statehouse-ui-shots'))
fs.mkdirSync(out, { recursive: true })

const server = await startDevServer()
const json = { 'x-api-key': DEV_API_KEY, 'content-type': 'application/json' }
const post = (url: string, body: unknown, headers: Record<string, string> = json) =>
  fetch(server.url + url, { method: 'POST', headers, body: JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    body: await r.json(),
  }))

const problems: string[] = []
try {
  for (const body of [
    { increment: 1, message: 'deployed web-42' },
    { increment: 4 },
    { message: 'hello from the screenshot run' },
  ])
    await post('/update', body)
  const ingest = await post('/process-s3-data', {})
  console.log(`ingest: ${ingest.status} ${JSON.stringify(ingest.body).slice(0, 120)}`)
  const aircraft = (await (await fetch(`${server.url}/aircraft?page=1&limit=5`)).json()) as { icao: string }[]
  const icao = aircraft[0]?.icao ?? 'abc123'
  const summary = (await (await fetch(`${server.url}/dashboard/summary`, { headers: json })).json()) as {
    recent_builds: { id: string; failures?: unknown }[]
  }
  const build = summary.recent_builds[0]?.id ?? 'none'
  await post(`/builds/${build}/failure`, {
    error_message: 'terraform apply timed out',
    error_code: 'TF_TIMEOUT',
    component: 'network',
  })

  const browser = await launchBrowser()
  for (const [name, width] of [
    ['desktop', 1280],
    ['mobile', 375],
  ] as const) {
    const context = await browser.newContext({ viewport: { width, height: 800 } })
    const page = await context.newPage()
    const origin = new URL(server.url).origin
    // Chromium logs every failed request; these are expected here: /events is not built yet (issue 12),
    // the conflict answers 412 and the unknown build 404.
    const expected = /\/events(\/tickets)?(\?|$)|\/update$|\/builds\/no-such-build$/
    page.on(
      'console',
      (m) =>
        m.type() === 'error' &&
        !expected.test(m.location().url) &&
        problems.push(`${name} console: ${m.text()} (${m.location().url})`),
    )
    page.on('pageerror', (e) => problems.push(`${name} page error: ${e.message}`))
    page.on(
      'request',
      (r) =>
        new URL(r.url()).origin !== origin &&
        !r.url().startsWith('data:') &&
        problems.push(`${name} foreign request: ${r.url()}`),
    )
    const shot = async (view: string, p: Page = page) => {
      await p.waitForTimeout(300)
      await p.screenshot({ path: path.join(out, `${view}-${name}.png`), fullPage: true })
    }

    await page.goto(`${server.url}/ui/`)
    await page.getByTestId('counter').waitFor()
    await page.getByLabel('API key (write scope)').fill(DEV_API_KEY)
    await page.getByRole('button', { name: 'Use this key' }).click()
    const before = await page.getByTestId('counter').textContent()
    await page.getByRole('button', { name: 'Increment', exact: true }).click()
    await page.getByText(/^Saved: version/).waitFor()
    const after = await page.getByTestId('counter').textContent()
    if (before === after) problems.push(`${name}: increment did not change the counter (${before})`)
    await shot('state')

    // A stale If-Match: tick the box, let someone else write, then submit.
    await page.getByLabel(/Only if nobody changed it/).check()
    await post('/update', { increment: 10 })
    await page.getByLabel('Set the counter to').fill('7')
    await page.getByRole('button', { name: 'Set counter' }).click()
    await page.getByText(/Someone changed it first/).waitFor()
    await shot('state-conflict')

    await page.goto(`${server.url}/ui/log`)
    await page.locator('table.log tbody tr').first().waitFor()
    await shot('log')

    await page.goto(`${server.url}/ui/signin`)
    await page.getByLabel('Username').fill('admin')
    await page.getByLabel('Password').fill('admin123')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByTestId('signed-in').waitFor()
    await shot('signin')

    await page.goto(`${server.url}/ui/builds`)
    await page.getByTestId('total-builds').waitFor()
    await shot('builds')
    await page.goto(`${server.url}/ui/builds/${build}`)
    await page.getByTestId('build-state').waitFor()
    await shot('build')

    await page.goto(`${server.url}/ui/aircraft`)
    await page
      .getByRole('heading', { name: /Some aircraft with data|No aircraft ingested yet/ })
      .or(page.getByText('No aircraft ingested yet'))
      .first()
      .waitFor()
    await shot('aircraft')
    await page.goto(`${server.url}/ui/aircraft/${icao}`)
    await page.getByTestId('observations').waitFor()
    await shot('aircraft-icao')

    await page.goto(`${server.url}/ui/builds/no-such-build`)
    await page.getByRole('alert').first().waitFor()
    await shot('build-404')
    await context.close()
  }
  await browser.close()
} finally {
  await server.close()
}
console.log(`screenshots in ${out}`)
if (problems.length) {
  console.error(problems.join('\n'))
  process.exitCode = 1
}
