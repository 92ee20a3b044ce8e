/**
 * Builds the real app (the same buildApp production runs) on a fresh database of the given dialect,
 * and closes it (and drops the database) when the test ends.
 */
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { type ConformanceCheck, checkConformance } from './conformance.js'
import type { Dialect, TestDatabase } from './databases.js'

export const TEST_API_KEY = 'test-key-0123456789abcdef'
export const WRITE_HEADERS = { 'x-api-key': TEST_API_KEY, 'content-type': 'application/json' }

export interface TestAppOptions {
  env?: Record<string, string>
  /** Reuse a database (restart tests, two instances on one database). */
  database?: TestDatabase
  /** Capture log lines (as parsed JSON objects) here. */
  logs?: Record<string, unknown>[]
  /** Adds routes of the test's own before the app is ready (e.g. one that breaks its documentation). */
  extraRoutes?: (app: FastifyInstance) => void
}

export function testEnv(url: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ENVIRONMENT: 'test',
    DATABASE_URL: url,
    API_KEY: TEST_API_KEY,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '0',
    DATA_DIR: '/nonexistent-data-dir',
    ...extra,
  }
}

export async function buildTestApp(
  t: TestContext,
  dialect: Dialect,
  opts: TestAppOptions = {},
): Promise<FastifyInstance & { database: TestDatabase; conformance: ConformanceCheck }> {
  const database = opts.database ?? (await dialect.create())
  if (!opts.database) t.after(() => database.drop())
  const config = loadConfig(testEnv(database.url, { ...(opts.logs ? { LOG_LEVEL: 'info' } : {}), ...opts.env }))
  const logs = opts.logs
  const logStream = logs
    ? new Writable({
        write(chunk, _enc, done) {
          for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line))
          done()
        },
      })
    : undefined
  const app = await buildApp(config, logStream ? { logStream } : {})
  t.after(() => app.close())
  // Every response of every test app is checked against /openapi.json (issue 15): a mismatch fails
  // the inject that got it, or the test when it ends (requests to a listening app).
  opts.extraRoutes?.(app)
  const conformance = checkConformance(app)
  t.after(() => assert.deepEqual(conformance.mismatches, [], 'responses that do not conform to /openapi.json'))
  await app.ready()
  return Object.assign(app, { database, conformance })
}
