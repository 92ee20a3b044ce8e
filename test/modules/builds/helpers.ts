/** Shared by the build-state tests: Redis availability (loud skip, or a failure with CI=true) and request shorthands. */
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { TEST_API_KEY, WRITE_HEADERS } from '../../helpers/app.js'

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

async function redisProblem(): Promise<string | null> {
  const client = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.ping()
    return null
  } catch (err) {
    return (err as Error).message || 'unreachable'
  } finally {
    client.disconnect()
  }
}

const problem = await redisProblem()
if (problem && process.env.CI === 'true') {
  throw new Error(`CI=true but Redis at ${TEST_REDIS_URL} is unreachable (${problem}); .ci/run must start it`)
}
if (problem) console.warn(`\n*** SKIPPING Redis tests: ${TEST_REDIS_URL} unreachable (${problem}) ***\n`)

/** false, or why the Redis tests are skipped on this machine. */
export const redisSkip: false | string = problem ? `Redis unreachable: ${problem}` : false

export const READ_HEADERS = { 'x-api-key': TEST_API_KEY }

export interface Reply {
  statusCode: number
  headers: Record<string, unknown>
  body: string
  json(): any
}

export function post(
  app: FastifyInstance,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return app.inject({
    method: 'POST',
    url,
    headers: { ...WRITE_HEADERS, ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  }) as Promise<Reply>
}

export function get(app: FastifyInstance, url: string, headers: Record<string, string> = READ_HEADERS): Promise<Reply> {
  return app.inject({ method: 'GET', url, headers }) as Promise<Reply>
}

export const newBuild = (build_id: string, extra: Record<string, unknown> = {}) => ({
  platform: 'aws-commercial',
  os_version: 'rhel-9.2',
  image_type: 'base',
  build_id,
  ...extra,
})

/** Asserts an application/problem+json answer with `status`, and returns its body. */
export function assertProblem(res: Reply, status: number) {
  assert.equal(res.statusCode, status, `expected ${status}, got ${res.statusCode}: ${res.body}`)
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
  const body = res.json()
  assert.equal(body.status, status)
  for (const field of ['type', 'title', 'detail', 'instance']) assert.equal(typeof body[field], 'string', field)
  return body
}

/** Polls `check` until it returns true (an upper bound only catches a hang; no timing is asserted). */
export async function eventually(check: () => Promise<boolean>, what: string, boundMs = 20_000): Promise<void> {
  const deadline = Date.now() + boundMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
