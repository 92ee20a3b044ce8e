/**
 * Privilege escalation found in issue 17, on both engines: an issued token gets at most the scopes of
 * the credential creating it; a password or email change needs that user's own JWT and the current
 * password (or a superuser); a password change or a deactivation revokes the JWTs issued before it;
 * Idempotency-Keys belong to the caller that sent them.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp, TEST_API_KEY } from '../helpers/app.js'
import { DIALECTS } from '../helpers/databases.js'
import { bearer, createUser, login, RELIABILITY_JWT_SECRET, STATIC_KEY } from './helpers.js'

const env = { JWT_SECRET: RELIABILITY_JWT_SECRET, LOGIN_RATE_LIMIT_PER_MINUTE: '0', ITEMS_RATE_LIMIT_PER_MINUTE: '0' }

for (const dialect of DIALECTS) {
  describe(`authorization on ${dialect.name}`, { skip: dialect.skip }, () => {
    it("a token's scopes are within its creator's: a superuser's write-only token cannot mint admin", async (t) => {
      const app = await buildTestApp(t, dialect, { env })
      const root = await createUser(app, 'root', true)
      const jwt = bearer(await login(app, root))
      const mint = (headers: Record<string, string>, scopes: string[]) =>
        app.inject({ method: 'POST', url: `/users/${root.id}/tokens`, headers, payload: { name: 'x', scopes } })
      const writeOnly = await mint(jwt, ['write'])
      assert.equal(writeOnly.statusCode, 200, writeOnly.body)
      const asToken = { 'x-api-key': writeOnly.json().token }
      for (const scopes of [['admin'], ['read'], ['write', 'admin']]) {
        const res = await mint(asToken, scopes)
        assert.equal(res.statusCode, 403, `${scopes}: ${res.body}`)
      }
      assert.equal((await mint(asToken, ['write'])).statusCode, 200, 'the same scopes are fine')
      assert.equal((await mint(asToken, ['build'])).statusCode, 200, 'build is write')
      assert.equal((await mint(jwt, ['admin'])).statusCode, 200, "the superuser's own login may mint admin")
    })

    it('password and email changes need the user’s JWT and current password (or a superuser)', async (t) => {
      const app = await buildTestApp(t, dialect, { env })
      const ann = await createUser(app, 'ann')
      const jwt = bearer(await login(app, ann))
      const token = await app.inject({
        method: 'POST',
        url: `/users/${ann.id}/tokens`,
        headers: jwt,
        payload: { name: 'ci', scopes: ['write'] },
      })
      const put = (headers: Record<string, string>, payload: object) =>
        app.inject({ method: 'PUT', url: `/users/${ann.id}`, headers, payload })
      const writeToken = { 'x-api-key': token.json().token }
      assert.equal((await put(writeToken, { password: 'taken-over-1' })).statusCode, 403, 'a write token')
      assert.equal((await put(writeToken, { email: 'evil@example.com' })).statusCode, 403, 'a write token (email)')
      assert.equal((await put(jwt, { password: 'taken-over-1' })).statusCode, 403, 'no current password')
      assert.equal(
        (await put(jwt, { password: 'taken-over-1', current_password: 'wrong' })).statusCode,
        403,
        'a wrong current password',
      )
      assert.equal((await put(writeToken, { first_name: 'Ann' })).statusCode, 200, 'other fields need no password')
      // Nothing changed: the old password still logs in.
      await login(app, ann)
      const ok = await put(jwt, { email: 'ann@example.com', current_password: ann.password })
      assert.equal(ok.statusCode, 200, ok.body)
      assert.equal((await put(STATIC_KEY, { password: 'reset-by-admin-1' })).statusCode, 200, 'a superuser')
    })

    it('a password change or a deactivation revokes the JWTs issued before it', async (t) => {
      const app = await buildTestApp(t, dialect, { env })
      const bea = await createUser(app, 'bea')
      const before = bearer(await login(app, bea))
      const me = () => app.inject({ url: `/users/${bea.id}`, headers: before })
      assert.equal((await me()).statusCode, 200)
      const changed = await app.inject({
        method: 'PUT',
        url: `/users/${bea.id}`,
        headers: before,
        payload: { password: 'bea-new-password-2', current_password: bea.password },
      })
      assert.equal(changed.statusCode, 200, changed.body)
      assert.equal((await me()).statusCode, 401, 'the JWT from before the change is revoked')
      const after = bearer(await login(app, { username: 'bea', password: 'bea-new-password-2' }))
      assert.equal((await app.inject({ url: `/users/${bea.id}`, headers: after })).statusCode, 200)

      const deactivate = (is_active: boolean) =>
        app.inject({ method: 'PUT', url: `/users/${bea.id}`, headers: STATIC_KEY, payload: { is_active } })
      assert.equal((await deactivate(false)).statusCode, 200)
      assert.equal((await deactivate(true)).statusCode, 200)
      assert.equal(
        (await app.inject({ url: `/users/${bea.id}`, headers: after })).statusCode,
        401,
        'a JWT from before a deactivation stays revoked after reactivation',
      )
    })

    it('Idempotency-Keys are per principal: another caller replaying a key gets its own decision', async (t) => {
      const app = await buildTestApp(t, dialect, { env })
      const cal = await createUser(app, 'cal')
      const token = await app.inject({
        method: 'POST',
        url: `/users/${cal.id}/tokens`,
        headers: bearer(await login(app, cal)),
        payload: { name: 'writer', scopes: ['write'] },
      })
      const update = (key: string, counter: number) =>
        app.inject({
          method: 'POST',
          url: '/update',
          headers: { 'x-api-key': key, 'idempotency-key': 'shared-key-1' },
          payload: { counter },
        })
      const first = await update(TEST_API_KEY, 1)
      assert.equal(first.statusCode, 200)
      const other = await update(token.json().token, 2)
      assert.equal(other.statusCode, 200, other.body)
      assert.equal(other.headers['idempotent-replayed'], undefined, "not the first caller's response")
      assert.equal(other.json().new_state.counter, 2)
      const replay = await update(TEST_API_KEY, 1)
      assert.equal(replay.headers['idempotent-replayed'], 'true', 'the first caller still gets its replay')
      assert.equal((await app.inject({ url: '/status' })).json().counter, 2, 'the second write was applied')
    })
  })
}
