/** Users for any test: an app with a known JWT key, users made through the API, logins. */
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, TEST_API_KEY, type TestAppOptions } from './app.js'
import type { Dialect } from './databases.js'

export const TEST_JWT_SECRET = 'identity-tests-jwt-secret-0123456789abcdef'

export type TestApp = FastifyInstance & { database: { url: string; drop(): Promise<void> } }

/** The real app with a known JWT key; the per-route limits are off unless a test turns them on. */
export function identityApp(t: TestContext, dialect: Dialect, opts: TestAppOptions = {}): Promise<TestApp> {
  return buildTestApp(t, dialect, {
    ...opts,
    env: {
      JWT_SECRET: TEST_JWT_SECRET,
      LOGIN_RATE_LIMIT_PER_MINUTE: '0',
      ITEMS_RATE_LIMIT_PER_MINUTE: '0',
      ...opts.env,
    },
  })
}

export const STATIC_KEY = { 'x-api-key': TEST_API_KEY }
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

export interface TestUser {
  id: string
  username: string
  password: string
}

/** Creates a user through the API with the static key. */
export async function createUser(
  app: FastifyInstance,
  username: string,
  extra: { password?: string; is_superuser?: boolean; is_active?: boolean; email?: string } = {},
): Promise<TestUser> {
  const password = extra.password ?? `${username}-password`
  const res = await app.inject({
    method: 'POST',
    url: '/users',
    headers: STATIC_KEY,
    payload: { username, ...extra, password },
  })
  assert.equal(res.statusCode, 200, res.body)
  return { id: res.json().id, username, password }
}

/** Logs in through POST /token and returns the access token. */
export async function login(app: FastifyInstance, user: { username: string; password: string }): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/token',
    payload: { username: user.username, password: user.password },
  })
  assert.equal(res.statusCode, 200, res.body)
  return res.json().access_token
}

/** A user and a bearer header for it. */
export async function userWithToken(app: FastifyInstance, username: string, extra: { is_superuser?: boolean } = {}) {
  const user = await createUser(app, username, extra)
  return { ...user, headers: bearer(await login(app, user)) }
}
