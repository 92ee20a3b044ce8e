/** Every identity route of SPEC §3 (bar /auth/idm, see idm.test.ts) through app.inject, on every engine. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeOnEachDialect } from '../../helpers/databases.js'
import { assertProblem } from '../../helpers/problem.js'
import { bearer, createUser, identityApp, login, STATIC_KEY, userWithToken } from '../../helpers/users.js'

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

describeOnEachDialect('identity logins', (dialect) => {
  it('POST /auth/login takes a form (with the OAuth2 extras) and JSON, and answers a bearer JWT', async (t) => {
    const app = await identityApp(t, dialect)
    await createUser(app, 'carol', { password: 'carol-secret' })
    const form = await app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=password&username=carol&password=carol-secret&scope=&client_id=',
    })
    assert.equal(form.statusCode, 200, form.body)
    assert.deepEqual(Object.keys(form.json()).sort(), ['access_token', 'expires_in', 'token_type'])
    assert.equal(form.json().token_type, 'bearer')
    assert.equal(form.json().expires_in, 30 * 60)
    const claims = JSON.parse(Buffer.from(form.json().access_token.split('.')[1], 'base64url').toString())
    assert.deepEqual(Object.keys(claims).sort(), [
      'exp',
      'gen',
      'iat',
      'is_superuser',
      'jti',
      'scopes',
      'sub',
      'username',
    ])
    assert.equal(claims.username, 'carol')
    assert.equal(claims.is_superuser, false)
    assert.deepEqual(claims.scopes, ['read', 'write'])
    assert.equal(claims.exp - claims.iat, 1800)

    const json = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { username: 'carol', password: 'carol-secret' },
    })
    assert.equal(json.statusCode, 200, json.body)
    assert.notEqual(json.json().access_token, form.json().access_token, 'each JWT has its own jti')
    const me = await app.inject({ url: `/users/${claims.sub}`, headers: bearer(json.json().access_token) })
    assert.equal(me.statusCode, 200)
    assert.equal(me.json().username, 'carol')
  })

  it('POST /token and POST /auth/password check the password; /auth/password adds the user', async (t) => {
    const app = await identityApp(t, dialect, { env: { JWT_ACCESS_TOKEN_EXPIRE_MINUTES: '5' } })
    const dave = await createUser(app, 'dave', { email: 'dave@example.com', is_superuser: true })
    const token = await app.inject({
      method: 'POST',
      url: '/token',
      payload: { username: 'dave', password: dave.password },
    })
    assert.equal(token.statusCode, 200)
    assert.equal(token.json().expires_in, 300)
    const pw = await app.inject({
      method: 'POST',
      url: '/auth/password',
      payload: { username: 'dave', password: dave.password },
    })
    assert.equal(pw.statusCode, 200)
    assert.deepEqual(pw.json().user, { id: dave.id, username: 'dave', email: 'dave@example.com', is_superuser: true })
    assert.equal(pw.json().token_type, 'bearer')
    for (const url of ['/token', '/auth/password', '/auth/login']) {
      const wrong = await app.inject({ method: 'POST', url, payload: { username: 'dave', password: 'not-it' } })
      const body = assertProblem(wrong, 401)
      assert.equal(body.detail, 'Incorrect username or password')
      assert.equal(wrong.headers['www-authenticate'], 'Bearer')
      const unknown = await app.inject({ method: 'POST', url, payload: { username: 'nobody', password: 'x' } })
      assert.equal(
        assertProblem(unknown, 401).detail,
        'Incorrect username or password',
        'unknown user answers exactly like a wrong password',
      )
    }
  })

  it('a deactivated user cannot log in', async (t) => {
    const app = await identityApp(t, dialect)
    const erin = await createUser(app, 'erin')
    assert.equal(
      (
        await app.inject({
          method: 'PUT',
          url: `/users/${erin.id}`,
          headers: STATIC_KEY,
          payload: { is_active: false },
        })
      ).statusCode,
      200,
    )
    for (const url of ['/token', '/auth/password', '/auth/login']) {
      assertProblem(
        await app.inject({ method: 'POST', url, payload: { username: 'erin', password: erin.password } }),
        401,
      )
    }
  })

  it('bad login bodies are 400/415/422 problems', async (t) => {
    const app = await identityApp(t, dialect)
    const missing = assertProblem(await app.inject({ method: 'POST', url: '/token', payload: { username: 'x' } }), 422)
    assert.deepEqual(missing.errors, [{ path: 'body.password', message: 'is required' }])
    assertProblem(
      await app.inject({ method: 'POST', url: '/token', payload: { username: 'x', password: 'y', extra: 1 } }),
      422,
    )
    assertProblem(
      await app.inject({ method: 'POST', url: '/auth/password', payload: { username: 5, password: 'y' } }),
      422,
    )
    assertProblem(
      await app.inject({
        method: 'POST',
        url: '/auth/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'username=x',
      }),
      422,
    )
    // Forms are only for /auth/login.
    assertProblem(
      await app.inject({
        method: 'POST',
        url: '/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'username=x&password=y',
      }),
      415,
    )
    assertProblem(
      await app.inject({
        method: 'POST',
        url: '/auth/login',
        headers: { 'content-type': 'text/plain' },
        payload: 'hi',
      }),
      415,
    )
    assertProblem(
      await app.inject({
        method: 'POST',
        url: '/token',
        headers: { 'content-type': 'application/json' },
        payload: '{"username":',
      }),
      400,
    )
  })
})

describeOnEachDialect('users API', (dialect) => {
  it('POST /users: static key or superuser → 200 {id, username, status}; 409 on a taken username or email', async (t) => {
    const app = await identityApp(t, dialect)
    const res = await app.inject({
      method: 'POST',
      url: '/users',
      headers: STATIC_KEY,
      payload: {
        username: 'frank',
        email: 'frank@example.com',
        password: 'frank-password',
        first_name: 'Frank',
        employee_id: 'E7',
      },
    })
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(Object.keys(res.json()).sort(), ['id', 'status', 'username'])
    assert.equal(res.json().status, 'created')
    assert.equal(res.json().username, 'frank')
    assert.equal(typeof res.json().id, 'string')

    const root = await userWithToken(app, 'root', { is_superuser: true })
    const bySuper = await app.inject({
      method: 'POST',
      url: '/users',
      headers: root.headers,
      payload: { username: 'gina', password: 'gina-password' },
    })
    assert.equal(bySuper.statusCode, 200, bySuper.body)

    assertProblem(
      await app.inject({
        method: 'POST',
        url: '/users',
        headers: STATIC_KEY,
        payload: { username: 'frank', password: 'another-pw' },
      }),
      409,
    )
    assertProblem(
      await app.inject({
        method: 'POST',
        url: '/users',
        headers: STATIC_KEY,
        payload: { username: 'frank2', email: 'frank@example.com' },
      }),
      409,
    )
  })

  it('POST /users: 401 without credentials, 403 for a non-superuser, 422 for bad fields (nothing created)', async (t) => {
    const app = await identityApp(t, dialect)
    const plain = await userWithToken(app, 'henry')
    const noAuth = assertProblem(await app.inject({ method: 'POST', url: '/users', payload: { username: 'x1' } }), 401)
    assert.ok(noAuth.detail)
    assertProblem(
      await app.inject({ method: 'POST', url: '/users', headers: plain.headers, payload: { username: 'x2' } }),
      403,
    )
    for (const payload of [
      { username: 'x3', email: 'not-an-email' },
      { username: 'has space' },
      { username: 'x4', is_superuser: 'yes' },
      { username: 'x5', password: 'short' },
      { username: 'x6', role: 'admin' },
      {},
    ]) {
      assertProblem(await app.inject({ method: 'POST', url: '/users', headers: STATIC_KEY, payload }), 422)
    }
    for (const name of ['x1', 'x2', 'x3', 'x4', 'x5', 'x6']) {
      assertProblem(
        await app.inject({ method: 'POST', url: '/token', payload: { username: name, password: 'whatever1' } }),
        401,
      )
    }
    const count = await app.db.kysely
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    assert.equal(Number(count.n), 1)
  })

  it('GET /users/{id}: itself or a superuser → the user without its hash; another user → 403; unknown → 404', async (t) => {
    const app = await identityApp(t, dialect)
    const ivy = await userWithToken(app, 'ivy')
    const jack = await userWithToken(app, 'jack')
    const root = await userWithToken(app, 'root', { is_superuser: true })
    const self = await app.inject({ url: `/users/${ivy.id}`, headers: ivy.headers })
    assert.equal(self.statusCode, 200)
    const body = self.json()
    assert.deepEqual(Object.keys(body).sort(), [
      'created_at',
      'deactivated_at',
      'email',
      'employee_id',
      'first_name',
      'id',
      'is_active',
      'is_superuser',
      'last_name',
      'updated_at',
      'username',
    ])
    assert.equal(body.id, ivy.id)
    assert.equal(body.is_active, true)
    assert.equal(body.is_superuser, false)
    assert.match(body.created_at, ISO)
    assert.equal(body.deactivated_at, null)
    assert.equal((await app.inject({ url: `/users/${jack.id}`, headers: root.headers })).json().username, 'jack')
    assert.equal((await app.inject({ url: `/users/${jack.id}`, headers: STATIC_KEY })).statusCode, 200)
    assertProblem(await app.inject({ url: `/users/${jack.id}`, headers: ivy.headers }), 403)
    assertProblem(await app.inject({ url: '/users/999999', headers: root.headers }), 404)
    assertProblem(await app.inject({ url: '/users/abc', headers: root.headers }), 422)
    assertProblem(await app.inject({ url: `/users/${ivy.id}` }), 401)
  })

  it('PUT /users/{id}: a user changes itself (names reach the profile); not others, not is_superuser', async (t) => {
    const app = await identityApp(t, dialect)
    const kim = await userWithToken(app, 'kim')
    const leo = await userWithToken(app, 'leo')
    const ok = await app.inject({
      method: 'PUT',
      url: `/users/${kim.id}`,
      headers: kim.headers,
      payload: { first_name: 'Kim', last_name: 'Kay', email: 'kim@example.com', current_password: kim.password },
    })
    assert.equal(ok.statusCode, 200, ok.body)
    assert.deepEqual(ok.json(), { status: 'updated', user_id: kim.id })
    const user = (await app.inject({ url: `/users/${kim.id}`, headers: kim.headers })).json()
    assert.equal(user.first_name, 'Kim')
    assert.equal(user.email, 'kim@example.com')
    const profile = (await app.inject({ url: `/users/${kim.id}/profile`, headers: kim.headers })).json()
    assert.equal(profile.first_name, 'Kim')
    assert.equal(profile.last_name, 'Kay')
    assert.equal(profile.email, 'kim@example.com')

    assertProblem(
      await app.inject({
        method: 'PUT',
        url: `/users/${leo.id}`,
        headers: kim.headers,
        payload: { first_name: 'Hacked' },
      }),
      403,
    )
    assertProblem(
      await app.inject({
        method: 'PUT',
        url: `/users/${kim.id}`,
        headers: kim.headers,
        payload: { is_superuser: true },
      }),
      403,
    )
    assertProblem(
      await app.inject({
        method: 'PUT',
        url: `/users/${kim.id}`,
        headers: kim.headers,
        payload: { is_superuser: false, first_name: 'K' },
      }),
      403,
    )
    assert.equal(
      (await app.inject({ url: `/users/${leo.id}`, headers: leo.headers })).json().first_name,
      '',
      'never given: "" (SPEC §3), not null',
    )
    const after = (await app.inject({ url: `/users/${kim.id}`, headers: kim.headers })).json()
    assert.equal(after.is_superuser, false)
    assert.equal(after.first_name, 'Kim')

    assertProblem(
      await app.inject({
        method: 'PUT',
        url: `/users/${leo.id}`,
        headers: leo.headers,
        payload: { email: 'kim@example.com', current_password: leo.password },
      }),
      409,
    )
    assertProblem(
      await app.inject({
        method: 'PUT',
        url: `/users/${kim.id}`,
        headers: kim.headers,
        payload: { is_active: 'no' },
      }),
      422,
    )
    const missing = assertProblem(
      await app.inject({ method: 'PUT', url: '/users/424242', headers: STATIC_KEY, payload: { first_name: 'x' } }),
      404,
    )
    assert.equal(missing.detail, 'User not found', 'the reference text (SPEC §8)')
    assert.equal(
      assertProblem(await app.inject({ url: '/users/0190a1b2-c3d4-7e5f-8a6b-1c2d3e4f5a6b', headers: STATIC_KEY }), 404)
        .detail,
      'User not found',
    )
    for (const bad of ['abc', '0', '-1', '1.5', 'X190A1B2-C3D4-7E5F-8A6B-1C2D3E4F5A6B']) {
      assertProblem(await app.inject({ url: `/users/${bad}`, headers: STATIC_KEY }), 422)
    }
    assertProblem(await app.inject({ method: 'PUT', url: `/users/${kim.id}`, payload: { first_name: 'x' } }), 401)
  })

  it('PUT /users/{id}: a superuser promotes, deactivates (deactivated_at, profile end_date) and reactivates', async (t) => {
    const app = await identityApp(t, dialect)
    const root = await userWithToken(app, 'root', { is_superuser: true })
    const mia = await createUser(app, 'mia')
    assert.equal(
      (
        await app.inject({
          method: 'PUT',
          url: `/users/${mia.id}`,
          headers: root.headers,
          payload: { is_superuser: true },
        })
      ).statusCode,
      200,
    )
    assert.equal((await app.inject({ url: `/users/${mia.id}`, headers: root.headers })).json().is_superuser, true)

    assert.equal(
      (
        await app.inject({
          method: 'PUT',
          url: `/users/${mia.id}`,
          headers: root.headers,
          payload: { is_active: false },
        })
      ).statusCode,
      200,
    )
    const off = (await app.inject({ url: `/users/${mia.id}/profile`, headers: root.headers })).json()
    assert.equal(off.is_active, false)
    assert.match(off.deactivated_at, ISO)
    assert.equal(off.end_date, off.deactivated_at)
    assert.equal(
      (await app.inject({ url: `/users/${mia.id}`, headers: root.headers })).json().deactivated_at,
      off.deactivated_at,
    )

    assert.equal(
      (
        await app.inject({
          method: 'PUT',
          url: `/users/${mia.id}`,
          headers: root.headers,
          payload: { is_active: true },
        })
      ).statusCode,
      200,
    )
    const on = (await app.inject({ url: `/users/${mia.id}/profile`, headers: root.headers })).json()
    assert.equal(on.is_active, true)
    assert.equal(on.deactivated_at, null)
    assert.equal(on.end_date, null)
    assert.equal(typeof (await login(app, mia)), 'string')
  })

  it('PUT /users/{id}: absent or null leaves every field as it is (booleans too); deactivated_at deactivates at that time', async (t) => {
    const app = await identityApp(t, dialect)
    const una = await createUser(app, 'una', { email: 'una@example.com', is_superuser: true })
    const put = (payload: unknown) =>
      app.inject({ method: 'PUT', url: `/users/${una.id}`, headers: STATIC_KEY, payload: payload as object })
    assert.equal((await put({ first_name: 'Una', last_name: 'Ulm', employee_id: 'E9' })).statusCode, 200)
    const read = async () => {
      const user = (await app.inject({ url: `/users/${una.id}`, headers: STATIC_KEY })).json()
      const profile = (await app.inject({ url: `/users/${una.id}/profile`, headers: STATIC_KEY })).json()
      return { user, profile }
    }
    const before = await read()
    assert.deepEqual([before.user.first_name, before.user.is_superuser, before.user.is_active], ['Una', true, true])

    // The whole model with nulls for the rest (what typed clients send), and an empty body: no change.
    const nulls = {
      email: null,
      password: null,
      first_name: null,
      last_name: null,
      employee_id: null,
      is_active: null,
      is_superuser: null,
      deactivated_at: null,
    }
    for (const payload of [nulls, {}]) {
      const res = await put(payload)
      assert.deepEqual([res.statusCode, res.json()], [200, { status: 'updated', user_id: una.id }])
      assert.deepEqual(await read(), before)
    }
    await login(app, una) // the password was not touched either

    // deactivated_at: deactivated as of that time, on the user and as the profile's end_date.
    const at = '2024-05-01T12:00:00.000Z'
    assert.equal((await put({ deactivated_at: at, first_name: null })).statusCode, 200)
    const off = await read()
    assert.deepEqual([off.user.is_active, off.user.deactivated_at, off.user.first_name], [false, at, 'Una'])
    assert.deepEqual([off.profile.is_active, off.profile.deactivated_at, off.profile.end_date], [false, at, at])
    assertProblem(
      await app.inject({ method: 'POST', url: '/token', payload: { username: 'una', password: una.password } }),
      401,
    )
    assertProblem(await put({ deactivated_at: at, is_active: true }), 422)
    assertProblem(await put({ deactivated_at: 'yesterday' }), 422)
    assert.equal((await put({ is_active: true })).statusCode, 200)
    assert.deepEqual([(await read()).user.is_active, (await read()).profile.end_date], [true, null])
  })

  it('PUT /users/{id} with a password changes the password', async (t) => {
    const app = await identityApp(t, dialect)
    const nia = await userWithToken(app, 'nia')
    assert.equal(
      (
        await app.inject({
          method: 'PUT',
          url: `/users/${nia.id}`,
          headers: nia.headers,
          payload: { password: 'brand-new-password', current_password: nia.password },
        })
      ).statusCode,
      200,
    )
    assertProblem(
      await app.inject({ method: 'POST', url: '/token', payload: { username: 'nia', password: nia.password } }),
      401,
    )
    assert.equal(typeof (await login(app, { username: 'nia', password: 'brand-new-password' })), 'string')
  })

  it('GET /users/{id}/profile: the profile with is_active and deactivated_at; 403 for others; 404 unknown', async (t) => {
    const app = await identityApp(t, dialect)
    const ola = await userWithToken(app, 'ola')
    const pat = await userWithToken(app, 'pat')
    const res = await app.inject({ url: `/users/${ola.id}/profile`, headers: ola.headers })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(Object.keys(res.json()).sort(), [
      'created_at',
      'deactivated_at',
      'email',
      'employee_id',
      'end_date',
      'first_name',
      'id',
      'is_active',
      'last_name',
      'start_date',
      'user_id',
    ])
    assert.equal(res.json().user_id, ola.id)
    assert.match(res.json().start_date, ISO)
    assert.equal(res.json().end_date, null)
    assertProblem(await app.inject({ url: `/users/${pat.id}/profile`, headers: ola.headers }), 403)
    assertProblem(await app.inject({ url: '/users/31337/profile', headers: STATIC_KEY }), 404)
  })
})

describeOnEachDialect('API tokens', (dialect) => {
  it('create (value shown once) → list (no secrets) → revoke → 401; scopes enforced by the route option', async (t) => {
    const app = await identityApp(t, dialect)
    const quinn = await userWithToken(app, 'quinn')
    const created = await app.inject({
      method: 'POST',
      url: `/users/${quinn.id}/tokens`,
      headers: quinn.headers,
      payload: { name: 'ci', scopes: ['read'] },
    })
    assert.equal(created.statusCode, 200, created.body)
    const body = created.json()
    assert.deepEqual(Object.keys(body).sort(), ['expires_at', 'id', 'name', 'scopes', 'status', 'token'])
    assert.equal(body.status, 'created')
    assert.deepEqual(body.scopes, ['read'])
    assert.match(body.token, /^sht_[A-Za-z0-9_-]{43}$/)

    const key = { 'x-api-key': body.token }
    assert.equal((await app.inject({ url: `/users/${quinn.id}`, headers: key })).statusCode, 200)
    const forbidden = assertProblem(
      await app.inject({ method: 'PUT', url: `/users/${quinn.id}`, headers: key, payload: { first_name: 'Q' } }),
      403,
    )
    assert.match(forbidden.detail, /write/)
    assert.equal((await app.inject({ url: `/users/${quinn.id}`, headers: quinn.headers })).json().first_name, '')

    const list = await app.inject({ url: `/users/${quinn.id}/tokens`, headers: quinn.headers })
    assert.equal(list.statusCode, 200)
    assert.equal(list.json().tokens.length, 1)
    const [info] = list.json().tokens
    assert.deepEqual(Object.keys(info).sort(), [
      'created_at',
      'expires_at',
      'id',
      'is_active',
      'name',
      'revoked_at',
      'scopes',
      'user_id',
    ])
    assert.deepEqual([info.id, info.user_id], [body.id, quinn.id], 'each entry names its user (SPEC §3)')
    assert.equal(info.is_active, true)
    assert.ok(!list.body.includes(body.token), 'the token value is never listed')

    const revoked = await app.inject({
      method: 'DELETE',
      url: `/users/${quinn.id}/tokens/${body.id}`,
      headers: quinn.headers,
    })
    assert.equal(revoked.statusCode, 200)
    assert.deepEqual(revoked.json(), { status: 'deactivated', token_id: body.id })
    assertProblem(await app.inject({ url: `/users/${quinn.id}`, headers: key }), 401)
    const listed = (await app.inject({ url: `/users/${quinn.id}/tokens`, headers: quinn.headers })).json().tokens[0]
    assert.equal(listed.is_active, false)
    assert.match(listed.revoked_at, ISO)
  })

  it('a write (or build) token may write; admin needs a superuser; static keys have every scope', async (t) => {
    const app = await identityApp(t, dialect)
    const rae = await userWithToken(app, 'rae')
    const mk = (scopes: string[], headers: Record<string, string> = rae.headers) =>
      app.inject({
        method: 'POST',
        url: `/users/${rae.id}/tokens`,
        headers,
        payload: { name: scopes.join('+'), scopes },
      })
    for (const scopes of [['write'], ['build']]) {
      const token = (await mk(scopes)).json().token
      const res = await app.inject({
        method: 'PUT',
        url: `/users/${rae.id}`,
        headers: { 'x-api-key': token },
        payload: { last_name: scopes[0] },
      })
      assert.equal(res.statusCode, 200, res.body)
    }
    assertProblem(await mk(['admin']), 403)
    assert.equal((await mk(['admin'], STATIC_KEY)).statusCode, 403, "the token's owner is no superuser")
    const root = await createUser(app, 'root', { is_superuser: true })
    const adminToken = await app.inject({
      method: 'POST',
      url: `/users/${root.id}/tokens`,
      headers: STATIC_KEY,
      payload: { name: 'ops', scopes: ['admin'] },
    })
    assert.equal(adminToken.statusCode, 200)
    const made = await app.inject({
      method: 'POST',
      url: '/users',
      headers: { 'x-api-key': adminToken.json().token },
      payload: { username: 'via-token' },
    })
    assert.equal(made.statusCode, 200, made.body)
    const readOnly = (await mk(['read'])).json().token
    assertProblem(
      await app.inject({
        method: 'POST',
        url: '/users',
        headers: { 'x-api-key': readOnly },
        payload: { username: 'nope' },
      }),
      403,
    )
  })

  it('token errors: another user → 403, unknown user/token → 404, bad scopes or a past expiry → 422', async (t) => {
    const app = await identityApp(t, dialect)
    const sam = await userWithToken(app, 'sam')
    const tia = await userWithToken(app, 'tia')
    const tiaToken = (
      await app.inject({
        method: 'POST',
        url: `/users/${tia.id}/tokens`,
        headers: tia.headers,
        payload: { name: 't', scopes: ['read'] },
      })
    ).json()
    assertProblem(
      await app.inject({
        method: 'POST',
        url: `/users/${tia.id}/tokens`,
        headers: sam.headers,
        payload: { name: 'x', scopes: ['read'] },
      }),
      403,
    )
    assertProblem(await app.inject({ url: `/users/${tia.id}/tokens`, headers: sam.headers }), 403)
    assertProblem(
      await app.inject({ method: 'DELETE', url: `/users/${tia.id}/tokens/${tiaToken.id}`, headers: sam.headers }),
      403,
    )
    // Sam naming Tia's token under his own id finds nothing.
    assertProblem(
      await app.inject({ method: 'DELETE', url: `/users/${sam.id}/tokens/${tiaToken.id}`, headers: sam.headers }),
      404,
    )
    assert.equal(
      (await app.inject({ url: `/users/${tia.id}`, headers: { 'x-api-key': tiaToken.token } })).statusCode,
      200,
      'still works',
    )
    assertProblem(await app.inject({ url: '/users/5000/tokens', headers: STATIC_KEY }), 404)
    assertProblem(
      await app.inject({
        method: 'POST',
        url: '/users/5000/tokens',
        headers: STATIC_KEY,
        payload: { name: 'x', scopes: ['read'] },
      }),
      404,
    )
    for (const payload of [
      { name: 'x', scopes: ['superpowers'] },
      { name: 'x', scopes: [] },
      { name: '', scopes: ['read'] },
      { name: 'x', scopes: ['read'], expires_at: '2001-01-01T00:00:00Z' },
      { name: 'x', scopes: ['read'], expires_at: 'tomorrow' },
    ]) {
      assertProblem(
        await app.inject({ method: 'POST', url: `/users/${sam.id}/tokens`, headers: sam.headers, payload }),
        422,
      )
    }
    assert.equal((await app.inject({ url: `/users/${sam.id}/tokens`, headers: sam.headers })).json().tokens.length, 0)
    const future = new Date(Date.now() + 86_400_000).toISOString()
    const dated = await app.inject({
      method: 'POST',
      url: `/users/${sam.id}/tokens`,
      headers: sam.headers,
      payload: { name: 'x', scopes: ['read'], expires_at: future },
    })
    assert.equal(dated.json().expires_at, future)
  })
})
