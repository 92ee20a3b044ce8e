/**
 * The deployment a smoke test talks to, from the environment:
 *
 *   API_URL       base URL of a running statehouse (required; e.g. the `api_url` Terraform output)
 *   API_KEY       a static key or an issued token with the write and admin scopes (update, builds, ingest)
 *   API_USERNAME  an active user of that deployment, and its API_PASSWORD (login → items)
 *
 * Without API_URL every smoke test skips, and says so loudly; without API_KEY or the credentials the
 * tests that need them skip the same way. A route the deployment does not serve (it is missing from
 * its /openapi.json: an older build) skips its section loudly too — never a pass.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { assertProblemBody } from '../helpers/problem.js'

export const API_URL = process.env.API_URL?.replace(/\/+$/, '') || undefined
export const API_KEY = process.env.API_KEY || undefined
export const API_USERNAME = process.env.API_USERNAME || undefined
export const API_PASSWORD = process.env.API_PASSWORD || undefined

function loud(reason: string): string {
  console.warn(`\n*** SKIPPING deployed smoke tests: ${reason} ***\n`)
  return reason
}

/** Why the whole suite cannot run here (false when API_URL is set). */
export const noTarget: false | string = API_URL
  ? false
  : loud('API_URL is not set (e.g. API_URL=http://localhost:8080 npm run test:deployed)')

/** Paths the deployment documents (`/openapi.json`), `{param}` style; empty without a target. */
const documentedPaths: Set<string> = await (async () => {
  if (!API_URL) return new Set<string>()
  const res = await fetch(`${API_URL}/openapi.json`, { headers: { connection: 'close' } }).catch((err: Error) => {
    throw new Error(
      `API_URL=${API_URL} is unreachable: ${err.message} (${String((err.cause as Error | undefined)?.message ?? '')})`,
    )
  })
  assert.equal(res.status, 200, `${API_URL}/openapi.json answered ${res.status}: is API_URL a statehouse?`)
  return new Set(Object.keys(((await res.json()) as { paths: Record<string, unknown> }).paths))
})()

/**
 * false when the suite can run, else the loud reason to skip: no target, a missing variable, or a
 * route the deployment does not serve. Pass it to every `it` (not to `describe`), so the runner's
 * summary counts each skipped test.
 */
export function skipUnless(opts: {
  vars?: Record<string, string | undefined>
  paths?: string[]
  what: string
}): false | string {
  if (noTarget) return noTarget
  const missingVars = Object.entries(opts.vars ?? {})
    .filter(([, v]) => !v)
    .map(([k]) => k)
  if (missingVars.length > 0) return loud(`${opts.what}: ${missingVars.join(' and ')} not set`)
  const missingPaths = (opts.paths ?? []).filter((p) => !documentedPaths.has(p))
  if (missingPaths.length > 0) return loud(`${opts.what}: ${API_URL} does not serve ${missingPaths.join(', ')}`)
  return false
}

/** A marker no other client writes, so a test can find its own rows on a shared deployment. */
export function marker(prefix: string): string {
  return `${prefix}-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(4).toString('hex')}`
}

export interface Reply<T = unknown> {
  status: number
  headers: Headers
  body: T
}

/** One HTTP request against API_URL; JSON bodies are sent and parsed (other bodies are returned as text). */
export async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  opts: { json?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  assert.ok(API_URL, 'API_URL is not set')
  // One connection per request: an idle keep-alive socket (the server offers 72 s) would hold the
  // test process open long after the last test.
  const headers: Record<string, string> = { connection: 'close', ...opts.headers }
  let body: string | undefined
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(opts.json)
  } else if (opts.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(opts.form).toString()
  }
  const res = await fetch(`${API_URL}${path}`, { method, headers, body, redirect: 'manual' })
  const text = await res.text()
  const type = res.headers.get('content-type') ?? ''
  const parsed = /json/.test(type) && text !== '' ? (JSON.parse(text) as T) : (text as T)
  return { status: res.status, headers: res.headers, body: parsed }
}

/** The request with the API key. */
export const withKey = (): Record<string, string> => ({ 'x-api-key': API_KEY ?? '' })

/** Asserts a problem+json error with this status (and that it is not a 5xx in disguise). */
export function assertProblem(reply: Reply, status: number, what: string): void {
  assert.equal(reply.status, status, `${what}: expected ${status}, got ${reply.status} ${JSON.stringify(reply.body)}`)
  assert.match(reply.headers.get('content-type') ?? '', /^application\/problem\+json/, `${what}: not problem+json`)
  assertProblemBody(reply.body, status, what)
}

/** ISO 8601 UTC ending in Z. */
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/
