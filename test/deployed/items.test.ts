/**
 * Smoke: login → items on a deployment (SPEC §3 logins, §4 items) as API_USERNAME/API_PASSWORD —
 * a failed login, a form login and a JSON login (3 of the 5 attempts a client gets per minute on
 * each route), then one item created, read, listed, changed and deleted again (it leaves nothing
 * behind), and the login limit shown to hold behind the deployment's proxy.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { API_PASSWORD, API_USERNAME, assertProblem, call, ISO_UTC, marker, skipUnless } from './target.js'

interface TokenReply {
  access_token: string
  token_type: string
  expires_in: number
}
interface Item {
  id: number
  name: string
  description: string | null
  owner: string
  created_at: string
  updated_at: string
}

describe('deployed: login, then items', () => {
  const skip = skipUnless({
    what: 'login → items',
    vars: { API_USERNAME, API_PASSWORD },
    paths: ['/auth/login', '/token', '/auth/password', '/items', '/items/{id}'],
  })
  const name = marker('smoke-item')
  let token = ''
  let item: Item | undefined
  const bearer = () => ({ authorization: `Bearer ${token}` })

  it('a wrong password is 401; the form login and POST /token give bearer JWTs', { skip }, async () => {
    const wrong = await call('POST', '/auth/login', {
      form: { username: API_USERNAME!, password: `${API_PASSWORD}-wrong` },
    })
    assertProblem(wrong, 401, 'wrong password')
    const res = await call<TokenReply>('POST', '/auth/login', {
      form: { username: API_USERNAME!, password: API_PASSWORD! },
    })
    assert.equal(res.status, 200, `login as ${API_USERNAME}: ${JSON.stringify(res.body)}`)
    assert.equal(res.body.token_type, 'bearer')
    assert.ok(res.body.expires_in > 0)
    assert.equal(res.body.access_token.split('.').length, 3, 'not a JWT')
    token = res.body.access_token
    const json = await call<TokenReply>('POST', '/token', { json: { username: API_USERNAME, password: API_PASSWORD } })
    assert.equal(json.status, 200, JSON.stringify(json.body))
    assert.equal(json.body.token_type, 'bearer')
  })

  it('items need a valid JWT: 401 with WWW-Authenticate: Bearer', { skip }, async () => {
    const none = await call('GET', '/items')
    assertProblem(none, 401, 'no token')
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/i)
    const bad = await call('GET', '/items', { headers: { authorization: 'Bearer not.a.jwt' } })
    assertProblem(bad, 401, 'bad token')
    assert.match(bad.headers.get('www-authenticate') ?? '', /^Bearer/i)
  })

  it('POST /items creates an item owned by the caller (201 + Location); bad input is 422', { skip }, async () => {
    assert.ok(token, 'the login test did not run')
    const res = await call<Item>('POST', '/items', {
      json: { name, description: 'made by the smoke suite' },
      headers: bearer(),
    })
    assert.equal(res.status, 201, JSON.stringify(res.body))
    item = res.body
    assert.ok(Number.isSafeInteger(item.id))
    assert.equal(item.name, name)
    assert.equal(item.description, 'made by the smoke suite')
    assert.equal(item.owner, API_USERNAME)
    assert.match(item.created_at, ISO_UTC)
    assert.match(res.headers.get('location') ?? '', new RegExp(`/items/${item.id}$`))
    assertProblem(await call('POST', '/items', { json: { name: '' }, headers: bearer() }), 422, 'empty name')
    assertProblem(
      await call('POST', '/items', { json: { name: 'x'.repeat(101) }, headers: bearer() }),
      422,
      'name of 101 characters',
    )
    assertProblem(await call('GET', '/items/abc', { headers: bearer() }), 422, 'non-integer id')
  })

  it('the item reads back, is listed (X-Total-Count) and changes with PATCH', { skip }, async () => {
    assert.ok(item, 'the create test did not run')
    const read = await call<Item>('GET', `/items/${item.id}`, { headers: bearer() })
    assert.equal(read.status, 200)
    assert.deepEqual(read.body, item)
    const list = await call<Item[]>('GET', '/items?limit=100&offset=0', { headers: bearer() })
    assert.equal(list.status, 200)
    assert.ok(
      list.body.some((i) => i.id === item!.id),
      'the new item is not listed',
    )
    assert.ok(Number(list.headers.get('x-total-count')) >= 1, `X-Total-Count: ${list.headers.get('x-total-count')}`)
    const patched = await call<Item>('PATCH', `/items/${item.id}`, {
      json: { name: `${name}-renamed` },
      headers: bearer(),
    })
    assert.equal(patched.status, 200, JSON.stringify(patched.body))
    assert.equal(patched.body.name, `${name}-renamed`)
    assert.equal(patched.body.description, 'made by the smoke suite', 'an absent field changed')
    const again = await call<Item>('GET', `/items/${item.id}`, { headers: bearer() })
    assert.equal(again.body.name, `${name}-renamed`)
  })

  it('DELETE /items/{id} is 204, then the item is 404', { skip }, async () => {
    assert.ok(item, 'the create test did not run')
    const gone = await call('DELETE', `/items/${item.id}`, { headers: bearer() })
    assert.equal(gone.status, 204)
    assertProblem(await call('GET', `/items/${item.id}`, { headers: bearer() }), 404, 'deleted item')
    assertProblem(await call('DELETE', `/items/${item.id}`, { headers: bearer() }), 404, 'deleted twice')
  })

  it('the login limit holds behind the proxy: a forged X-Forwarded-For does not reset it (429)', { skip }, async () => {
    // POST /auth/password has its own per-client budget (5 a minute by default), so this locks only
    // that route for this client, for a minute. A proxy trusted blindly (TRUST_PROXY=true behind an
    // appending proxy) would take each forged address as a new client and never answer 429.
    const statuses: number[] = []
    for (let i = 1; i <= 12 && !statuses.includes(429); i++) {
      const res = await call('POST', '/auth/password', {
        json: { username: API_USERNAME, password: `${API_PASSWORD}-wrong-${i}` },
        headers: { 'x-forwarded-for': `198.51.100.${i}`, 'x-real-ip': `198.51.100.${i}` },
      })
      statuses.push(res.status)
      if (res.status === 429) {
        assertProblem(res, 429, 'login limit')
        assert.ok(Number(res.headers.get('retry-after')) >= 1, 'no Retry-After')
      } else assertProblem(res, 401, `wrong password, attempt ${i}`)
    }
    assert.ok(
      statuses.includes(429),
      `12 failed logins from forged addresses were never limited: ${statuses.join(' ')}`,
    )
  })
})
