/**
 * What every dashboard page in a browser test must satisfy (issue 13, acceptance 2), attached to a
 * browser context: no request to any host but the server (such requests are aborted and recorded),
 * no console error or uncaught exception (CSP violations are console errors in Chromium), and
 * axe-core finding no serious or critical violation. Failed requests a test provokes on purpose
 * (a 412, a 404) are excluded by URL, nothing else.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { REPO_ROOT } from '../helpers/server-process.js'

export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'docs', 'screenshots')
/** Screenshots are written only when asked (UPDATE_SCREENSHOTS=1), so a CI run leaves the tree clean. */
export const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1'

export const DESKTOP = { width: 1280, height: 800 }
export const MOBILE = { width: 375, height: 800 }

/** Bounds on every wait: a step that does not happen fails the test instead of hanging it. */
export const STEP_TIMEOUT_MS = 15_000

export interface WatchedContext {
  context: BrowserContext
  page: Page
  /** Everything that went wrong so far, one line each. */
  problems: string[]
  /** Asserts nothing went wrong (call at the end of the test, after the last step). */
  assertClean(): void
}

export interface WatchOptions {
  viewport?: { width: number; height: number }
  /** URLs whose failed loads Chromium may report as console errors (requests the test provokes). */
  expectedFailures?: RegExp
  /** Runs in the page before its own scripts (e.g. a credential already in this tab's sessionStorage). */
  initScript?: string
}

export async function watchedContext(
  browser: Browser,
  origin: string,
  opts: WatchOptions = {},
): Promise<WatchedContext> {
  const context = await browser.newContext({ viewport: opts.viewport ?? DESKTOP, locale: 'en-US', timezoneId: 'UTC' })
  context.setDefaultTimeout(STEP_TIMEOUT_MS)
  const problems: string[] = []
  // Only foreign URLs are intercepted (same-origin ones, /events included, go straight through).
  await context.route(
    (url) => url.origin !== origin && url.protocol !== 'data:',
    async (route) => {
      problems.push(`request to another host: ${route.request().url()}`)
      await route.abort('blockedbyclient')
    },
  )
  if (opts.initScript) await context.addInitScript(opts.initScript)
  const page = await context.newPage()
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (url.origin !== origin && url.protocol !== 'data:') problems.push(`request to another host: ${request.url()}`)
  })
  page.on('console', (message) => {
    if (message.type() !== 'error') return
    const where = message.location().url
    if (opts.expectedFailures?.test(where)) return
    problems.push(`console error: ${message.text()} (${where})`)
  })
  page.on('pageerror', (error) => problems.push(`uncaught exception: ${error.message}`))
  return {
    context,
    page,
    problems,
    assertClean: () => assert.deepEqual(problems, [], problems.join('\n')),
  }
}

/** axe-core on the page as it is now: no serious or critical violations (WCAG 2.x A/AA rules and best practices). */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze()
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `accessibility of ${what} (${page.url()})`,
  )
}

/** docs/screenshots/`name`.png of the viewport, when UPDATE_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!UPDATE_SCREENSHOTS) return
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true })
  // The live badge and any entry animation settle before the picture is taken.
  await page.evaluate(() => document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(r))))
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), animations: 'disabled', caret: 'hide' })
}

/** A locator's element whose whole text is exactly `text` (a wait for a value, not for any text). */
export function exactText(page: Page, selector: string, text: string | number) {
  const escaped = String(text).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return page.locator(selector, { hasText: new RegExp(`^\\s*${escaped}\\s*$`) })
}
