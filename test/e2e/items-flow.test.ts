/**
 * The real server process over HTTP: log in as a development user, then create → list → update →
 * delete an item; a restart keeps the development JWT key and loads the demo users only once.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import SQLite from 'better-sqlite3'
import { tempDir } from '../helpers/databases.js'
import { startServer } from '../helpers/server-process.js'

interface Item {
  id: number
  name: string
  description: string | null
  owner: string
}

describe('login → items flow over HTTP', () => {
  it('demo/password123 logs in (form), creates, lists, updates and deletes an item; a restart keeps its JWT valid', async (t) => {
    const dir = tempDir()
    const env = {
      ENVIRONMENT: 'development',
      DATA_DIR: dir,
      DATABASE_URL: `sqlite:${path.join(dir, 'flow.db')}`,
      API_KEY: 'e2e-items-key-0123456789',
      LOG_LEVEL: 'warn',
    }
    let server = await startServer(env)
    t.after(() => server.stop('SIGKILL'))
    const api = (p: string, init: RequestInit = {}) => fetch(`${server.url}${p}`, init)

    const loginRes = await api('/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=demo&password=password123',
    })
    assert.equal(loginRes.status, 200, await loginRes.clone().text())
    const { access_token: token, token_type } = (await loginRes.json()) as { access_token: string; token_type: string }
    assert.equal(token_type, 'bearer')
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }

    const unauth = await api('/items')
    assert.equal(unauth.status, 401)
    assert.equal(unauth.headers.get('www-authenticate'), 'Bearer')
    assert.match(unauth.headers.get('content-type') ?? '', /application\/problem\+json/)

    const created = await api('/items', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'Flow item', description: 'over HTTP' }),
    })
    assert.equal(created.status, 201)
    const item = (await created.json()) as Item
    assert.equal(created.headers.get('location'), `/items/${item.id}`)
    assert.equal(item.owner, 'demo')

    const list = await api('/items?limit=10&offset=0', { headers: auth })
    assert.equal(list.status, 200)
    assert.equal(list.headers.get('x-total-count'), '1')
    assert.deepEqual(
      ((await list.json()) as Item[]).map((i) => i.id),
      [item.id],
    )

    const put = await api(`/items/${item.id}`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ name: 'Renamed' }),
    })
    assert.equal(put.status, 200)
    assert.deepEqual((({ name, description }: Item) => ({ name, description }))((await put.json()) as Item), {
      name: 'Renamed',
      description: 'over HTTP',
    })

    // A JSON login through /token works for the same user; testuser sees none of demo's items.
    const other = await api('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'testuser', password: 'testpass' }),
    })
    assert.equal(other.status, 200)
    const otherAuth = { authorization: `Bearer ${((await other.json()) as { access_token: string }).access_token}` }
    assert.equal((await api(`/items/${item.id}`, { headers: otherAuth })).status, 404)

    // Restart on the same data folder: the generated JWT key is kept, so the token still works.
    assert.equal(await server.stop('SIGTERM'), 0)
    server = await startServer(env)
    const after = await api(`/items/${item.id}`, { headers: auth })
    assert.equal(after.status, 200)
    assert.equal(((await after.json()) as Item).name, 'Renamed')

    const del = await api(`/items/${item.id}`, { method: 'DELETE', headers: auth })
    assert.equal(del.status, 204)
    assert.equal((await api(`/items/${item.id}`, { method: 'DELETE', headers: auth })).status, 404)
    assert.equal((await api('/items', { headers: auth })).headers.get('x-total-count'), '0')
    assert.equal(await server.stop('SIGTERM'), 0)

    assert.ok(fs.statSync(path.join(dir, 'secrets', 'jwt-secret')).mode & 0o600)
    const db = new SQLite(path.join(dir, 'flow.db'), { readonly: true })
    t.after(() => db.close())
    const users = db.prepare('select username, is_active, is_superuser from users order by username').all()
    assert.deepEqual(
      users,
      [
        { username: 'admin', is_active: 1, is_superuser: 1 },
        { username: 'alice', is_active: 1, is_superuser: 0 },
        { username: 'bob', is_active: 1, is_superuser: 0 },
        { username: 'charlie', is_active: 1, is_superuser: 0 },
        { username: 'demo', is_active: 1, is_superuser: 0 },
        { username: 'diana', is_active: 0, is_superuser: 0 },
        { username: 'testuser', is_active: 1, is_superuser: 0 },
      ],
      'the development users, once each, after two start-ups',
    )
  })

  it('outside development: no demo users, ADMIN_USERNAME/ADMIN_PASSWORD make a superuser, production needs JWT_SECRET', async (t) => {
    const dir = tempDir()
    const env = {
      ENVIRONMENT: 'test',
      DATA_DIR: dir,
      DATABASE_URL: `sqlite:${path.join(dir, 'boot.db')}`,
      API_KEY: 'e2e-items-key-0123456789',
      JWT_SECRET_KEY: 'an-alias-secret-of-at-least-32-bytes-long',
      ADMIN_USERNAME: 'ops',
      ADMIN_PASSWORD: 'ops-bootstrap-password',
      LOG_LEVEL: 'warn',
    }
    const server = await startServer(env)
    t.after(() => server.stop('SIGKILL'))
    const post = (p: string, body: unknown) =>
      fetch(`${server.url}${p}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    assert.equal((await post('/token', { username: 'demo', password: 'password123' })).status, 401)
    const ops = await post('/auth/password', { username: 'ops', password: 'ops-bootstrap-password' })
    assert.equal(ops.status, 200)
    assert.equal(((await ops.json()) as { user: { is_superuser: boolean } }).user.is_superuser, true)
    assert.equal(await server.stop('SIGTERM'), 0)

    const { JWT_SECRET_KEY: _unused, ...noSecret } = env
    const refused = await startServer({ ...noSecret, ENVIRONMENT: 'production' }).then(
      (s) => s.stop('SIGKILL').then(() => 'started'),
      (err: Error) => err.message,
    )
    assert.match(refused, /JWT_SECRET: required when ENVIRONMENT=production/)
  })
})
