/**
 * Each check here must fail if the protection it names were removed: forged and stale JWTs, tokens
 * of deactivated users, revoked and expired API tokens, scopes, and secrets leaking into responses or logs.
 */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { SignJWT } from 'jose'
import { describeOnEachDialect } from '../../helpers/databases.js'
import { assertProblem, type InjectedReply } from '../../helpers/problem.js'
import {
  bearer,
  createUser,
  identityApp,
  login,
  STATIC_KEY,
  TEST_JWT_SECRET,
  type TestApp,
} from '../../helpers/users.js'

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const parts = (jwt: string) => jwt.split('.') as [string, string, string]

async function sign(claims: Record<string, unknown>, secret: string, alg = 'HS256') {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ scopes: ['read', 'write'], ...claims })
    .setProtectedHeader({ alg })
    .setIssuedAt(now - 10)
    .setExpirationTime((claims.exp as number | undefined) ?? now + 600)
    .setJti('test')
    .sign(new TextEncoder().encode(secret))
}

/** The same protected request, for each credential under test: needs a valid JWT of an active user. */
const whoami = (app: TestApp, userId: string, token: string) =>
  app.inject({ url: `/users/${userId}`, headers: bearer(token) })

describeOnEachDialect('auth security', (dialect) => {
  it('forged JWTs are 401: alg "none", a tampered payload, another secret, another HMAC algorithm, expired', async (t) => {
    const app = await identityApp(t, dialect)
    const uma = await createUser(app, 'uma')
    const valid = await login(app, uma)
    assert.equal((await whoami(app, uma.id, valid)).statusCode, 200, 'the genuine token works')
    const claims = { sub: uma.id, username: 'uma', is_superuser: false }
    const [header, payload, signature] = parts(valid)

    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`
    const tampered = `${header}.${b64({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), is_superuser: true, scopes: ['read', 'write', 'admin'] })}.${signature}`
    const otherSecret = await sign(claims, 'some-other-secret-that-is-at-least-32-bytes')
    const hs512 = await sign(claims, TEST_JWT_SECRET, 'HS512')
    const expired = await sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 }, TEST_JWT_SECRET)
    // Control: the same recipe with the right key, algorithm and expiry is accepted, so each rejection
    // below is down to the one thing that differs.
    const control = await sign(claims, TEST_JWT_SECRET)
    assert.equal((await whoami(app, uma.id, control)).statusCode, 200)

    for (const [what, token] of Object.entries({
      none,
      tampered,
      otherSecret,
      hs512,
      expired,
      garbage: 'not.a.jwt',
    })) {
      const res = await whoami(app, uma.id, token)
      const body = assertProblem(res, 401)
      assert.equal(body.detail, 'Could not validate credentials', what)
      assert.match(String(res.headers['www-authenticate']), /Bearer/, what)
    }
  })

  it("a deactivated user's JWT and API tokens stop working at once; on reactivation the tokens work, the JWT stays revoked", async (t) => {
    const app = await identityApp(t, dialect)
    const vic = await createUser(app, 'vic')
    const jwt = await login(app, vic)
    const apiToken = (
      await app.inject({
        method: 'POST',
        url: `/users/${vic.id}/tokens`,
        headers: bearer(jwt),
        payload: { name: 'k', scopes: ['read'] },
      })
    ).json().token
    assert.equal((await whoami(app, vic.id, jwt)).statusCode, 200)
    assert.equal((await app.inject({ url: `/users/${vic.id}`, headers: { 'x-api-key': apiToken } })).statusCode, 200)

    assert.equal(
      (
        await app.inject({
          method: 'PUT',
          url: `/users/${vic.id}`,
          headers: STATIC_KEY,
          payload: { is_active: false },
        })
      ).statusCode,
      200,
    )
    assertProblem(await whoami(app, vic.id, jwt), 401)
    assertProblem(await app.inject({ url: `/users/${vic.id}`, headers: { 'x-api-key': apiToken } }), 401)
    assertProblem(await app.inject({ url: '/items', headers: bearer(jwt) }), 401)

    assert.equal(
      (
        await app.inject({
          method: 'PUT',
          url: `/users/${vic.id}`,
          headers: STATIC_KEY,
          payload: { is_active: true },
        })
      ).statusCode,
      200,
    )
    // A deactivation revokes the JWTs issued before it for good (issue 17); the API token works again.
    assertProblem(await whoami(app, vic.id, jwt), 401)
    assert.equal(
      (await app.inject({ url: `/users/${vic.id}`, headers: { 'x-api-key': apiToken } })).statusCode,
      200,
      'nothing cached the refusal either',
    )
  })

  it("a demoted superuser's still-valid JWT loses its superuser powers", async (t) => {
    const app = await identityApp(t, dialect)
    const wes = await createUser(app, 'wes', { is_superuser: true })
    const other = await createUser(app, 'other')
    const jwt = await login(app, wes)
    assert.equal((await whoami(app, other.id, jwt)).statusCode, 200)
    assert.equal(
      (
        await app.inject({
          method: 'PUT',
          url: `/users/${wes.id}`,
          headers: STATIC_KEY,
          payload: { is_superuser: false },
        })
      ).statusCode,
      200,
    )
    assertProblem(await whoami(app, other.id, jwt), 403)
    assertProblem(
      await app.inject({ method: 'POST', url: '/users', headers: bearer(jwt), payload: { username: 'sneaky' } }),
      403,
    )
  })

  it('revoked and expired API tokens are 401; a read token on a write route is 403', async (t) => {
    const app = await identityApp(t, dialect)
    const xia = await createUser(app, 'xia')
    const mk = async (scopes: string[]) =>
      (
        await app.inject({
          method: 'POST',
          url: `/users/${xia.id}/tokens`,
          headers: STATIC_KEY,
          payload: { name: 'x', scopes, expires_at: new Date(Date.now() + 3_600_000).toISOString() },
        })
      ).json() as { id: string; token: string }
    const expiring = await mk(['read', 'write'])
    const revoked = await mk(['read', 'write'])
    const reader = await mk(['read'])
    const call = (token: string) =>
      app.inject({
        method: 'PUT',
        url: `/users/${xia.id}`,
        headers: { 'x-api-key': token },
        payload: { first_name: 'X' },
      })
    assert.equal((await call(expiring.token)).statusCode, 200)
    assert.equal((await call(revoked.token)).statusCode, 200)

    // Expiry is stored; move it into the past as time would.
    await app.db.kysely
      .updateTable('api_tokens')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', expiring.id)
      .execute()
    assertProblem(await call(expiring.token), 401)
    assert.equal(
      (await app.inject({ method: 'DELETE', url: `/users/${xia.id}/tokens/${revoked.id}`, headers: STATIC_KEY }))
        .statusCode,
      200,
    )
    assertProblem(await call(revoked.token), 401)
    assertProblem(await call(reader.token), 403)
    assert.equal(
      (await app.inject({ url: `/users/${xia.id}`, headers: { 'x-api-key': reader.token } })).statusCode,
      200,
    )
    assertProblem(await call(`${reader.token}x`), 401)
  })

  it("issued tokens work on other modules' routes through the verifier registry, with their scopes", async (t) => {
    const app = await identityApp(t, dialect)
    const zed = await createUser(app, 'zed')
    const token = async (scopes: string[]) =>
      (
        await app.inject({
          method: 'POST',
          url: `/users/${zed.id}/tokens`,
          headers: STATIC_KEY,
          payload: { name: 's', scopes },
        })
      ).json().token as string
    const update = (key: string) =>
      app.inject({
        method: 'POST',
        url: '/update',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        payload: { increment: 1 },
      })
    assert.equal((await update(await token(['write']))).statusCode, 200)
    assert.equal((await update(await token(['build']))).statusCode, 200)
    assertProblem(await update(await token(['read'])), 403)
    assertProblem(await update('sht_not-a-real-token'), 401)
    assert.equal((await app.inject({ url: '/status' })).json().counter, 2, 'only the two allowed updates happened')
  })

  it('password and token hashes (and the secrets themselves) never appear in a response or a log line', async (t) => {
    const logs: Record<string, unknown>[] = []
    const app = await identityApp(t, dialect, { logs })
    const yan = await createUser(app, 'yan', { password: 'yan-very-secret-pw' })
    const root = await createUser(app, 'root', { password: 'root-very-secret-pw', is_superuser: true })
    const bodies: string[] = []
    const record = async (p: Promise<InjectedReply>) => {
      const res = await p
      bodies.push(res.body, JSON.stringify(res.headers))
      return res
    }
    const jwt = (
      await record(
        app.inject({ method: 'POST', url: '/auth/password', payload: { username: 'yan', password: yan.password } }),
      )
    ).json().access_token
    const rootJwt = await login(app, root)
    const created = (
      await record(
        app.inject({
          method: 'POST',
          url: `/users/${yan.id}/tokens`,
          headers: bearer(jwt),
          payload: { name: 'k', scopes: ['read'] },
        }),
      )
    ).json()
    await record(app.inject({ url: `/users/${yan.id}/tokens`, headers: { 'x-api-key': created.token } }))
    await record(app.inject({ url: `/users/${yan.id}`, headers: bearer(rootJwt) }))
    await record(app.inject({ url: `/users/${yan.id}/profile`, headers: bearer(jwt) }))
    await record(
      app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'yan', password: 'wrong-guess-pw' } }),
    )
    await record(
      app.inject({
        method: 'PUT',
        url: `/users/${yan.id}`,
        headers: bearer(jwt),
        payload: { password: 'yan-new-secret-pw' },
      }),
    )
    await record(app.inject({ url: '/openapi.json' }))

    const users = await app.db.kysely.selectFrom('users').select('password_hash').execute()
    const tokens = await app.db.kysely.selectFrom('api_tokens').select('token_hash').execute()
    const hashes = [...users.map((u) => u.password_hash!), ...tokens.map((t) => t.token_hash)]
    assert.equal(hashes.length, 3)
    assert.ok(hashes.every((h) => typeof h === 'string' && h.length >= 32))
    assert.ok(
      users.every((u) => u.password_hash!.startsWith('$argon2id$')),
      'passwords are argon2id hashes',
    )
    const logText = logs.map((l) => JSON.stringify(l)).join('\n')
    assert.ok(logs.length > 5, 'the access log was captured')
    const responses = bodies.join('\n')
    for (const secret of [
      ...hashes,
      yan.password,
      root.password,
      'yan-new-secret-pw',
      'wrong-guess-pw',
      created.token,
      jwt,
    ]) {
      assert.ok(!logText.includes(secret), `a log line contains ${secret.slice(0, 12)}…`)
    }
    for (const hash of hashes) assert.ok(!responses.includes(hash), 'a response contains a stored hash')
    assert.ok(!/\$argon2/.test(responses) && !/password_hash|token_hash/.test(responses))
  })
})
