/**
 * POST /auth/idm against a real JWKS endpoint: a local HTTP server on 127.0.0.1 serves the public
 * JWKs of generated key pairs, and the tests sign ID tokens with the private halves.
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { DIALECTS, describeOnEachDialect } from '../../helpers/databases.js'
import { assertProblem } from '../../helpers/problem.js'
import { bearer, createUser, identityApp, STATIC_KEY } from '../../helpers/users.js'

const ISSUER = 'https://idm.example.test/realms/statehouse'
const AUDIENCE = 'statehouse-api'

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>
let rsa: KeyPair
let ec: KeyPair
let stranger: KeyPair
let server: http.Server
let jwksUrl: string
let jwksHits = 0

before(async () => {
  rsa = await generateKeyPair('RS256')
  ec = await generateKeyPair('ES256')
  stranger = await generateKeyPair('RS256') // never published
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ]
  server = http.createServer((req, res) => {
    if (req.url !== '/jwks') return void res.writeHead(404).end()
    jwksHits++
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`
})
after(() => new Promise<void>((resolve) => server.close(() => resolve())))

interface IdTokenOptions {
  sub?: string
  preferred_username?: string
  iss?: string
  aud?: string
  exp?: number
  kid?: string
  key?: KeyPair
  alg?: 'RS256' | 'ES256'
}

function idToken(o: IdTokenOptions = {}) {
  const now = Math.floor(Date.now() / 1000)
  const alg = o.alg ?? 'RS256'
  const key = o.key ?? (alg === 'ES256' ? ec : rsa)
  return new SignJWT(o.preferred_username ? { preferred_username: o.preferred_username } : {})
    .setProtectedHeader({ alg, kid: o.kid ?? (alg === 'ES256' ? 'ec-1' : 'rsa-1') })
    .setSubject(o.sub ?? 'zoe')
    .setIssuer(o.iss ?? ISSUER)
    .setAudience(o.aud ?? AUDIENCE)
    .setIssuedAt(now - 30)
    .setExpirationTime(o.exp ?? now + 300)
    .sign(key.privateKey)
}

describeOnEachDialect('IDM login', (dialect) => {
  const idmApp = (t: Parameters<typeof identityApp>[0]) =>
    identityApp(t, dialect, { env: { IDM_JWKS_URL: jwksUrl, IDM_ISSUER: ISSUER, IDM_AUDIENCE: AUDIENCE } })

  it('a valid ID token (RS256 or ES256; sub or preferred_username) → 200 with a working statehouse JWT', async (t) => {
    const app = await idmApp(t)
    const zoe = await createUser(app, 'zoe', { email: 'zoe@example.com' })
    const hitsBefore = jwksHits
    const res = await app.inject({
      method: 'POST',
      url: '/auth/idm',
      payload: { username: 'zoe', idm_token: await idToken() },
    })
    assert.equal(res.statusCode, 200, res.body)
    const body = res.json()
    assert.equal(body.token_type, 'bearer')
    assert.deepEqual(body.user, { id: zoe.id, username: 'zoe', email: 'zoe@example.com', is_superuser: false })
    assert.ok(jwksHits > hitsBefore, 'the key came from the JWKS server')
    const me = await app.inject({ url: `/users/${zoe.id}`, headers: bearer(body.access_token) })
    assert.equal(me.statusCode, 200)
    assert.equal(me.json().username, 'zoe')

    const es = await app.inject({
      method: 'POST',
      url: '/auth/idm',
      payload: { username: 'zoe', idm_token: await idToken({ alg: 'ES256' }) },
    })
    assert.equal(es.statusCode, 200, es.body)
    const preferred = await app.inject({
      method: 'POST',
      url: '/auth/idm',
      payload: {
        username: 'zoe',
        idm_token: await idToken({ sub: '6f1c-uuid-of-the-idp', preferred_username: 'zoe' }),
      },
    })
    assert.equal(preferred.statusCode, 200, preferred.body)
  })

  it('wrong issuer, wrong audience, expired, unknown key id, unpublished key, no such or inactive user, other user → 401', async (t) => {
    const app = await idmApp(t)
    await createUser(app, 'zoe')
    await createUser(app, 'yuri')
    const gone = await createUser(app, 'gone')
    assert.equal(
      (
        await app.inject({
          method: 'PUT',
          url: `/users/${gone.id}`,
          headers: STATIC_KEY,
          payload: { is_active: false },
        })
      ).statusCode,
      200,
    )
    const cases: Record<string, [string, string]> = {
      'wrong issuer': ['zoe', await idToken({ iss: 'https://evil.example.test' })],
      'wrong audience': ['zoe', await idToken({ aud: 'another-app' })],
      expired: ['zoe', await idToken({ exp: Math.floor(Date.now() / 1000) - 120 })],
      'unknown key id': ['zoe', await idToken({ kid: 'rsa-999', key: stranger })],
      'known kid, unpublished key': ['zoe', await idToken({ key: stranger })],
      'no such user': ['nobody', await idToken({ sub: 'nobody' })],
      'inactive user': ['gone', await idToken({ sub: 'gone' })],
      "another user's token": ['yuri', await idToken({ sub: 'zoe' })],
      'not a JWT': ['zoe', 'abc.def.ghi'],
    }
    for (const [what, [username, token]] of Object.entries(cases)) {
      const res = await app.inject({ method: 'POST', url: '/auth/idm', payload: { username, idm_token: token } })
      assertProblem(res, 401)
      assert.equal(res.headers['www-authenticate'], 'Bearer', what)
    }
    // Control: the same app and user accept a good token, so the refusals above are the token's fault.
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/auth/idm',
          payload: { username: 'zoe', idm_token: await idToken() },
        })
      ).statusCode,
      200,
    )
  })

  it('an HS256 token "signed" with the public key is refused (no algorithm confusion); bad bodies are 422', async (t) => {
    const app = await idmApp(t)
    await createUser(app, 'zoe')
    const jwk = await exportJWK(rsa.publicKey)
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .setSubject('zoe')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JSON.stringify(jwk)))
    assertProblem(
      await app.inject({ method: 'POST', url: '/auth/idm', payload: { username: 'zoe', idm_token: forged } }),
      401,
    )
    assertProblem(await app.inject({ method: 'POST', url: '/auth/idm', payload: { username: 'zoe' } }), 422)
    assertProblem(
      await app.inject({ method: 'POST', url: '/auth/idm', payload: { username: 'zoe', idm_token: '' } }),
      422,
    )
  })
})

describe('IDM login without IDM configured', () => {
  it('is 401, not a 5xx', async (t) => {
    const [sqlite] = DIALECTS
    const app = await identityApp(t, sqlite!)
    await createUser(app, 'zoe')
    const res = await app.inject({
      method: 'POST',
      url: '/auth/idm',
      payload: { username: 'zoe', idm_token: await idToken() },
    })
    assert.match(assertProblem(res, 401).detail, /not configured/)
  })
})

describe('IDM configuration', () => {
  it('a JWKS URL that is not http(s) stops the start-up naming IDM_JWKS_URL', async (t) => {
    const [sqlite] = DIALECTS
    for (const bad of ['not a url', 'file:///etc/jwks.json']) {
      await assert.rejects(
        identityApp(t, sqlite!, { env: { IDM_JWKS_URL: bad, IDM_ISSUER: ISSUER, IDM_AUDIENCE: AUDIENCE } }),
        (err: Error) => /IDM_JWKS_URL: must be an http\(s\) URL/.test(err.message),
      )
    }
  })
})
