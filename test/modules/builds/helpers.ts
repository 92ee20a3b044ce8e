/** Shared by the build-state tests: request shorthands and a bounded wait. */
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { TEST_API_KEY, WRITE_HEADERS } from '../../helpers/app.js'
import type { InjectedReply } from '../../helpers/problem.js'

export const READ_HEADERS = { 'x-api-key': TEST_API_KEY }

export function post(
  app: FastifyInstance,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<InjectedReply> {
  return app.inject({
    method: 'POST',
    url,
    headers: { ...WRITE_HEADERS, ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

export function get(
  app: FastifyInstance,
  url: string,
  headers: Record<string, string> = READ_HEADERS,
): Promise<InjectedReply> {
  return app.inject({ method: 'GET', url, headers })
}

export const newBuild = (build_id: string, extra: Record<string, unknown> = {}) => ({
  platform: 'aws-commercial',
  os_version: 'rhel-9.2',
  image_type: 'base',
  build_id,
  ...extra,
})

/** Polls `check` until it returns true (an upper bound only catches a hang; no timing is asserted). */
export async function eventually(check: () => Promise<boolean>, what: string, boundMs = 20_000): Promise<void> {
  const deadline = Date.now() + boundMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
