/** Small set-up shared by the reliability tests: users through the API, logins, a bounded wait. */
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { TEST_API_KEY } from '../helpers/app.js'

export const RELIABILITY_JWT_SECRET = 'reliability-tests-jwt-secret-0123456789abcdef'
export const STATIC_KEY = { 'x-api-key': TEST_API_KEY }
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

export interface User {
  id: string
  username: string
  password: string
}

/** Creates a user with the static key (a superuser when asked). */
export async function createUser(app: FastifyInstance, username: string, is_superuser = false): Promise<User> {
  const password = `${username}-password-1`
  const res = await app.inject({
    method: 'POST',
    url: '/users',
    headers: STATIC_KEY,
    payload: { username, password, is_superuser },
  })
  assert.equal(res.statusCode, 200, res.body)
  return { id: res.json().id, username, password }
}

/** POST /token → the access token. */
export async function login(app: FastifyInstance, user: { username: string; password: string }): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/token',
    payload: { username: user.username, password: user.password },
  })
  assert.equal(res.statusCode, 200, res.body)
  return res.json().access_token
}

/** Polls (bounded) until `check` holds. */
export async function until(check: () => Promise<boolean>, what: string, rounds = 100, pauseMs = 100) {
  for (let i = 0; i < rounds; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, pauseMs))
  }
  assert.fail(`${what}: not within ${rounds} tries`)
}

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** false, or why Redis cannot be used here (with CI=true the suite fails instead of skipping). */
export const redisSkip: false | string = await (async () => {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.ping()
    return false
  } catch (err) {
    if (process.env.CI === 'true') throw new Error(`CI=true but Redis at ${REDIS_URL} is unreachable`)
    return `Redis unreachable: ${(err as Error).message}`
  } finally {
    client.disconnect()
  }
})()
