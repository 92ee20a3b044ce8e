/**
 * Rate limits of SPEC §3/§4/§8: 5 logins a minute per client on each login route (failed ones
 * count), 60 /items requests a minute, both on top of the global limit; 429 problem+json with
 * Retry-After, never a 5xx; with REDIS_URL two app instances share one budget.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { buildApp } from '../../../src/app.js'
import { loadConfig } from '../../../src/config.js'
import { testEnv } from '../../helpers/app.js'
import { sqlite, type TestDatabase } from '../../helpers/databases.js'
import { assertProblem, type InjectedReply } from '../../helpers/problem.js'
import { redisSkip, TEST_REDIS_URL } from '../../helpers/redis.js'
import { freePort } from '../../helpers/server-process.js'
import { bearer, createUser, identityApp, login, TEST_JWT_SECRET } from '../../helpers/users.js'

const REDIS_URL = TEST_REDIS_URL

function assertLimited(res: InjectedReply) {
  const body = assertProblem(res, 429)
  const retryAfter = Number(res.headers['retry-after'])
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
    `Retry-After ${res.headers['retry-after']}`,
  )
  assert.equal(body.type, 'urn:statehouse:problem:rate-limited')
}

/** An app on a given database with the real limits on (and the global one off unless set). */
async function limitedApp(
  t: TestContext,
  database: TestDatabase,
  env: Record<string, string> = {},
  nameSpace?: string,
): Promise<FastifyInstance> {
  const config = loadConfig(
    testEnv(database.url, {
      JWT_SECRET: TEST_JWT_SECRET,
      LOGIN_RATE_LIMIT_PER_MINUTE: '5',
      ITEMS_RATE_LIMIT_PER_MINUTE: '60',
      ...env,
    }),
  )
  const app = await buildApp(config, nameSpace ? { rateLimitNamespace: nameSpace } : {})
  t.after(() => app.close())
  await app.ready()
  return app
}

describe('login and items rate limits (one instance)', () => {
  it('the 6th login in a minute from one client is 429 with Retry-After, failed attempts included; other clients and routes are unaffected', async (t) => {
    const app = await identityApp(t, sqlite, { env: { LOGIN_RATE_LIMIT_PER_MINUTE: '5', TRUST_PROXY: 'true' } })
    const amy = await createUser(app, 'amy')
    const from = (ip: string, password: string, url = '/token') =>
      app.inject({ method: 'POST', url, headers: { 'x-forwarded-for': ip }, payload: { username: 'amy', password } })
    for (let i = 0; i < 4; i++) assertProblem(await from('203.0.113.7', 'wrong'), 401)
    assert.equal((await from('203.0.113.7', amy.password)).statusCode, 200, 'the 5th attempt still counts as allowed')
    assertLimited(await from('203.0.113.7', amy.password))
    assertLimited(await from('203.0.113.7', 'wrong'))
    assert.equal((await from('198.51.100.9', amy.password)).statusCode, 200, 'another client has its own budget')
    // One budget across every login route (issue 17): another route is no way round it.
    assertLimited(await from('203.0.113.7', amy.password, '/auth/password'))
  })

  it('/auth/login (form) and /auth/idm are limited too', async (t) => {
    const app = await identityApp(t, sqlite, { env: { LOGIN_RATE_LIMIT_PER_MINUTE: '5' } })
    for (let i = 0; i < 5; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/auth/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'username=nobody&password=x',
      })
      assertProblem(res, 401)
    }
    assertLimited(
      await app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'nobody', password: 'x' } }),
    )
    // Another client (the login budget is shared by every login route).
    const idm = () =>
      app.inject({
        method: 'POST',
        url: '/auth/idm',
        remoteAddress: '198.51.100.20',
        payload: { username: 'a', idm_token: 'x' },
      })
    for (let i = 0; i < 5; i++) assertProblem(await idm(), 401)
    assertLimited(await idm())
  })

  it('the 61st /items request in a minute is 429 (every items route counts); the global limit still applies on top', async (t) => {
    const app = await identityApp(t, sqlite, { env: { ITEMS_RATE_LIMIT_PER_MINUTE: '60' } })
    const bo = await createUser(app, 'bo')
    const headers = bearer(await login(app, bo))
    const created = await app.inject({ method: 'POST', url: '/items', headers, payload: { name: 'first' } })
    assert.equal(created.statusCode, 201)
    for (let i = 2; i <= 60; i++) {
      const res =
        i % 3 === 0
          ? await app.inject({ url: `/items/${created.json().id}`, headers })
          : i % 3 === 1
            ? await app.inject({
                method: 'PATCH',
                url: `/items/${created.json().id}`,
                headers,
                payload: { description: `v${i}` },
              })
            : await app.inject({ url: '/items?limit=1', headers })
      assert.equal(res.statusCode, 200, `request ${i}: ${res.body}`)
    }
    assertLimited(await app.inject({ url: '/items', headers }))
    assertLimited(await app.inject({ method: 'POST', url: '/items', headers, payload: { name: 'too many' } }))
    // The 429s stored nothing.
    assert.equal((await app.db.kysely.selectFrom('items').select('id').execute()).length, 1)
    assert.equal(
      (await app.inject({ url: `/users/${bo.id}`, headers })).statusCode,
      200,
      'other routes are not in the items budget',
    )

    const strict = await identityApp(t, sqlite, {
      env: { ITEMS_RATE_LIMIT_PER_MINUTE: '60', RATE_LIMIT_PER_MINUTE: '3' },
    })
    const cy = await createUser(strict, 'cy')
    const cyHeaders = bearer(await login(strict, cy))
    assert.equal((await strict.inject({ url: '/items', headers: cyHeaders })).statusCode, 200)
    assertLimited(await strict.inject({ url: '/items', headers: cyHeaders }))
  })
})

describe('rate limits shared through Redis', { skip: redisSkip }, () => {
  it('two instances on one Redis share one budget for logins and for /items (requests alternate between them)', async (t) => {
    const database = await sqlite.create()
    t.after(() => database.drop())
    const nameSpace = `statehouse-test:${randomBytes(6).toString('hex')}:`
    t.after(async () => {
      const redis = new Redis(REDIS_URL)
      const keys = await redis.keys(`${nameSpace}*`)
      if (keys.length) await redis.del(...keys)
      redis.disconnect()
    })
    const a = await limitedApp(t, database, { REDIS_URL }, nameSpace)
    const b = await limitedApp(t, database, { REDIS_URL }, nameSpace)
    const dot = await createUser(a, 'dot')
    const loginOn = (app: FastifyInstance) =>
      app.inject({ method: 'POST', url: '/token', payload: { username: 'dot', password: dot.password } })
    const tokens: string[] = []
    for (let i = 0; i < 5; i++) {
      const res = await loginOn(i % 2 === 0 ? a : b)
      assert.equal(res.statusCode, 200, `login ${i + 1}: ${res.body}`)
      tokens.push(res.json().access_token)
    }
    assertLimited(await loginOn(b))
    assertLimited(await loginOn(a))

    const headers = bearer(tokens[0]!)
    for (let i = 1; i <= 60; i++) {
      const res = await (i % 2 === 0 ? a : b).inject({ url: '/items', headers })
      assert.equal(res.statusCode, 200, `items request ${i}: ${res.body}`)
    }
    assertLimited(await a.inject({ url: '/items', headers }))
    assertLimited(await b.inject({ url: '/items', headers }))

    // Control: a third instance with its own key prefix has a fresh budget, so the shared count is what limited a and b.
    const c = await limitedApp(t, database, { REDIS_URL }, `${nameSpace}other:`)
    assert.equal((await c.inject({ url: '/items', headers })).statusCode, 200)
  })

  it('with Redis unreachable the limits let requests through rather than answer 5xx', async (t) => {
    const database = await sqlite.create()
    t.after(() => database.drop())
    const app = await limitedApp(t, database, { REDIS_URL: `redis://127.0.0.1:${await freePort()}` })
    const eve = await createUser(app, 'eve')
    const res = await app.inject({
      method: 'POST',
      url: '/token',
      payload: { username: 'eve', password: eve.password },
    })
    assert.equal(res.statusCode, 200, res.body)
    const items = await app.inject({ url: '/items', headers: bearer(res.json().access_token) })
    assert.equal(items.statusCode, 200, items.body)
    assertProblem(
      await app.inject({ method: 'POST', url: '/token', payload: { username: 'eve', password: 'wrong' } }),
      401,
    )
  })
})
