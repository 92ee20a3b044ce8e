/**
 * Development harness for the dashboard: the real app (buildApp, whose ui module serves ui/dist at
 * /ui/) on a temporary SQLite database with the development data (users, builds).
 *
 *   npx tsx test/ui/serve-dev.ts            → prints the URL; run `node ui/build.mjs --watch` beside it
 *
 * Imported, startDevServer() gives the same on a free port (test/ui/screenshots.ts uses it).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const UI_DIST = path.join(ROOT, 'ui', 'dist')
export const DEV_API_KEY = 'ui-dev-key-0123456789abcdef'

export interface DevServer {
  app: FastifyInstance
  url: string
  close: () => Promise<void>
}

export async function startDevServer(
  opts: {
    port?: number
    env?: Record<string, string> /** more routes (e.g. a stand-in /events) */
    extend?: (app: FastifyInstance) => void
  } = {},
): Promise<DevServer> {
  if (!fs.existsSync(path.join(UI_DIST, 'index.html')))
    throw new Error('ui/dist is missing: run `node ui/build.mjs` first')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-ui-'))
  const config = loadConfig({
    ENVIRONMENT: 'development',
    DATABASE_URL: `sqlite://${path.join(dir, 'statehouse.db')}`,
    DATA_DIR: dir,
    API_KEY: DEV_API_KEY,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
    AIRCRAFT_SOURCE: `file:${path.join(ROOT, 'data', 'sample-aircraft')}`,
    ...opts.env,
  })
  // The ui module (src/modules/ui) serves ui/dist under /ui/ with the strict page CSP.
  const app = await buildApp(config)
  opts.extend?.(app)
  await app.listen({ host: '127.0.0.1', port: opts.port ?? 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await app.close()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const server = await startDevServer({ port: Number(process.env.PORT ?? 5055) })
  console.log(`dashboard: ${server.url}/ui/   API key: ${DEV_API_KEY}   users: admin/admin123, testuser/testpass`)
  const stop = () => void server.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
