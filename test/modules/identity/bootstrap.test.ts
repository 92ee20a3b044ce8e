/** Start-up users: ADMIN_USERNAME/ADMIN_PASSWORD and the development users, once each, on every engine. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { describeOnEachDialect } from '../../helpers/databases.js'
import { assertProblem } from '../../helpers/problem.js'
import { identityApp } from '../../helpers/users.js'

const DEV_USERS = ['admin', 'alice', 'bob', 'charlie', 'demo', 'diana', 'testuser']

describeOnEachDialect('start-up users', (dialect) => {
  it('development loads the demo users once, even when two instances start together on one database', async (t) => {
    const database = await dialect.create()
    t.after(() => database.drop())
    // Migrated first (no demo users outside development), so the two start-ups race only on the users.
    await identityApp(t, dialect, { database })
    const env = { ENVIRONMENT: 'development' }
    const [a] = await Promise.all([
      identityApp(t, dialect, { database, env }),
      identityApp(t, dialect, { database, env }),
    ])
    const again = await identityApp(t, dialect, { database, env })
    const rows = await again.db.kysely
      .selectFrom('users')
      .select(['username', 'is_active', 'is_superuser'])
      .orderBy('username')
      .execute()
    assert.deepEqual(
      rows.map((r) => r.username),
      DEV_USERS,
    )
    assert.deepEqual(
      rows.filter((r) => r.is_superuser === 1).map((r) => r.username),
      ['admin'],
    )
    assert.deepEqual(
      rows.filter((r) => r.is_active === 0).map((r) => r.username),
      ['diana'],
    )
    const profiles = await again.db.kysely.selectFrom('profiles').select('user_id').execute()
    assert.equal(profiles.length, DEV_USERS.length, 'one profile per user')
    for (const [username, password] of [
      ['admin', 'admin123'],
      ['testuser', 'testpass'],
      ['demo', 'password123'],
    ]) {
      const res = await a.inject({ method: 'POST', url: '/token', payload: { username, password } })
      assert.equal(res.statusCode, 200, `${username}: ${res.body}`)
    }
    assertProblem(
      await a.inject({ method: 'POST', url: '/token', payload: { username: 'diana', password: 'dianapass' } }),
      401,
    )
  })

  it('outside development there are no demo users; ADMIN_USERNAME/ADMIN_PASSWORD make one superuser, kept across restarts', async (t) => {
    const database = await dialect.create()
    t.after(() => database.drop())
    const env = { ADMIN_USERNAME: 'boss', ADMIN_PASSWORD: 'boss-start-password' }
    const first = await identityApp(t, dialect, { database, env })
    const res = await first.inject({
      method: 'POST',
      url: '/auth/password',
      payload: { username: 'boss', password: 'boss-start-password' },
    })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().user.is_superuser, true)
    assertProblem(
      await first.inject({ method: 'POST', url: '/token', payload: { username: 'demo', password: 'password123' } }),
      401,
    )
    // A changed password survives a restart with the same variables: an existing user is left alone.
    const id = res.json().user.id
    const headers = { authorization: `Bearer ${res.json().access_token}` }
    assert.equal(
      (
        await first.inject({
          method: 'PUT',
          url: `/users/${id}`,
          headers,
          payload: { password: 'boss-rotated-password' },
        })
      ).statusCode,
      200,
    )
    const second = await identityApp(t, dialect, { database, env })
    assert.equal(
      (
        await second.inject({
          method: 'POST',
          url: '/token',
          payload: { username: 'boss', password: 'boss-rotated-password' },
        })
      ).statusCode,
      200,
    )
    const users = await second.db.kysely.selectFrom('users').select('username').execute()
    assert.deepEqual(
      users.map((u) => u.username),
      ['boss'],
    )
  })
})
