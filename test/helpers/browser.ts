/**
 * Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) for tests that load a
 * page as a person would. `hosts` maps names to 127.0.0.1 inside the browser only, so a page can be
 * reached at a non-localhost host (browsers treat localhost as a secure context, hiding the faults
 * a real deployment has) without touching /etc/hosts or any network.
 */
import fs from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export async function launchBrowser(opts: { hosts?: string[] } = {}): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (.ci/run installs it), or set CHROMIUM_PATH`,
    )
  }
  const rules = (opts.hosts ?? []).map((host) => `MAP ${host} 127.0.0.1`).join(', ')
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 60_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(rules ? [`--host-resolver-rules=${rules}`] : []),
    ],
  })
}
