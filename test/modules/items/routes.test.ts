/** Every route of the items API (SPEC §4) through app.inject, on every engine. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { describeOnEachDialect } from '../../helpers/databases.js'
import { assertProblem } from '../../helpers/problem.js'
import { bearer, identityApp, STATIC_KEY, userWithToken } from '../../helpers/users.js'

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

async function create(app: FastifyInstance, headers: Record<string, string>, payload: unknown) {
  const res = await app.inject({ method: 'POST', url: '/items', headers, payload: payload as object })
  assert.equal(res.statusCode, 201, res.body)
  return res.json() as {
    id: number
    name: string
    description: string | null
    owner: string
    created_at: string
    updated_at: string
  }
}

describeOnEachDialect('items', (dialect) => {
  it('POST /items → 201 with Location and the item; GET /items/{id} reads it back', async (t) => {
    const app = await identityApp(t, dialect)
    const amy = await userWithToken(app, 'amy')
    const res = await app.inject({
      method: 'POST',
      url: '/items',
      headers: amy.headers,
      payload: { name: 'Widget', description: 'a small one' },
    })
    assert.equal(res.statusCode, 201, res.body)
    const item = res.json()
    assert.deepEqual(Object.keys(item).sort(), ['created_at', 'description', 'id', 'name', 'owner', 'updated_at'])
    assert.equal(res.headers.location, `/items/${item.id}`)
    assert.equal(item.name, 'Widget')
    assert.equal(item.description, 'a small one')
    assert.equal(item.owner, 'amy')
    assert.match(item.created_at, ISO)
    assert.equal(item.updated_at, item.created_at)
    const read = await app.inject({ url: res.headers.location as string, headers: amy.headers })
    assert.equal(read.statusCode, 200)
    assert.deepEqual(read.json(), item)
    const bare = await create(app, amy.headers, { name: 'x'.repeat(100) })
    assert.equal(bare.description, null)
    assert.equal((await create(app, amy.headers, { name: 'n', description: null })).description, null)
    assert.equal(
      (await create(app, amy.headers, { name: 'd', description: 'é'.repeat(2000) })).description,
      'é'.repeat(2000),
    )
  })

  it('bad item bodies are 422 naming the field (400/415 for non-JSON) and store nothing', async (t) => {
    const app = await identityApp(t, dialect)
    const ben = await userWithToken(app, 'ben')
    const cases: [unknown, string][] = [
      [{}, 'body.name'],
      [{ name: '' }, 'body.name'],
      [{ name: 'x'.repeat(101) }, 'body.name'],
      [{ name: 5 }, 'body.name'],
      [{ name: null }, 'body.name'],
      [{ name: 'ok', description: 'x'.repeat(2001) }, 'body.description'],
      [{ name: 'ok', description: 7 }, 'body.description'],
      [{ name: 'ok', price: 3 }, 'body.price'],
      [{ name: 'nul\u0000' }, 'body.name'],
    ]
    for (const [payload, path] of cases) {
      const body = assertProblem(
        await app.inject({ method: 'POST', url: '/items', headers: ben.headers, payload: payload as object }),
        422,
      )
      assert.ok(
        body.errors?.some((e: { path: string }) => e.path === path),
        `${JSON.stringify(payload)} → ${JSON.stringify(body.errors)}`,
      )
    }
    assertProblem(
      await app.inject({
        method: 'POST',
        url: '/items',
        headers: { ...ben.headers, 'content-type': 'application/json' },
        payload: '{"name":',
      }),
      400,
    )
    assertProblem(
      await app.inject({
        method: 'POST',
        url: '/items',
        headers: { ...ben.headers, 'content-type': 'text/plain' },
        payload: 'name',
      }),
      415,
    )
    const list = await app.inject({ url: '/items', headers: ben.headers })
    assert.deepEqual(list.json(), [])
    assert.equal(list.headers['x-total-count'], '0')
  })

  it('401 "Not authenticated" without a JWT, "Could not validate credentials" with a bad one, both with WWW-Authenticate: Bearer', async (t) => {
    const app = await identityApp(t, dialect)
    const requests = [
      { method: 'GET', url: '/items' },
      { method: 'POST', url: '/items', payload: { name: 'x' } },
      { method: 'GET', url: '/items/1' },
      { method: 'PUT', url: '/items/1', payload: { name: 'x' } },
      { method: 'PATCH', url: '/items/1', payload: { name: 'x' } },
      { method: 'DELETE', url: '/items/1' },
    ] as const
    for (const r of requests) {
      const missing = await app.inject({ ...r })
      assert.equal(assertProblem(missing, 401).detail, 'Not authenticated', `${r.method} ${r.url}`)
      assert.equal(missing.headers['www-authenticate'], 'Bearer')
      const bad = await app.inject({ ...r, headers: bearer('eyJhbGciOiJIUzI1NiJ9.e30.bad') })
      assert.equal(assertProblem(bad, 401).detail, 'Could not validate credentials', `${r.method} ${r.url}`)
      assert.equal(bad.headers['www-authenticate'], 'Bearer')
      // Items take a user's JWT, not an API key.
      assert.equal(assertProblem(await app.inject({ ...r, headers: STATIC_KEY }), 401).detail, 'Not authenticated')
    }
  })

  it('GET /items: own items newest first, limit/offset, X-Total-Count; bad paging is 422', async (t) => {
    const app = await identityApp(t, dialect)
    const cy = await userWithToken(app, 'cy')
    const dee = await userWithToken(app, 'dee')
    for (let i = 1; i <= 5; i++) await create(app, cy.headers, { name: `cy-${i}` })
    await create(app, dee.headers, { name: 'dee-1' })
    const all = await app.inject({ url: '/items', headers: cy.headers })
    assert.equal(all.statusCode, 200)
    assert.equal(all.headers['x-total-count'], '5')
    assert.deepEqual(
      all.json().map((i: { name: string }) => i.name),
      ['cy-5', 'cy-4', 'cy-3', 'cy-2', 'cy-1'],
    )
    const page = await app.inject({ url: '/items?limit=2&offset=1', headers: cy.headers })
    assert.deepEqual(
      page.json().map((i: { name: string }) => i.name),
      ['cy-4', 'cy-3'],
    )
    assert.equal(page.headers['x-total-count'], '5')
    const past = await app.inject({ url: '/items?offset=50', headers: cy.headers })
    assert.deepEqual(past.json(), [])
    assert.equal(past.headers['x-total-count'], '5')
    const dees = await app.inject({ url: '/items', headers: dee.headers })
    assert.deepEqual(
      dees.json().map((i: { owner: string }) => i.owner),
      ['dee'],
    )
    for (const q of ['limit=0', 'limit=1001', 'limit=abc', 'offset=-1', 'offset=1.5']) {
      assertProblem(await app.inject({ url: `/items?${q}`, headers: cy.headers }), 422)
    }
  })

  it('PUT and PATCH change only the fields sent (absent or null = unchanged) → 200', async (t) => {
    const app = await identityApp(t, dialect)
    const eli = await userWithToken(app, 'eli')
    const item = await create(app, eli.headers, { name: 'Lamp', description: 'brass' })
    const put = await app.inject({
      method: 'PUT',
      url: `/items/${item.id}`,
      headers: eli.headers,
      payload: { name: 'Desk lamp' },
    })
    assert.equal(put.statusCode, 200, put.body)
    assert.equal(put.json().name, 'Desk lamp')
    assert.equal(put.json().description, 'brass')
    assert.ok(put.json().updated_at >= item.updated_at)
    assert.equal(put.json().created_at, item.created_at)
    const patch = await app.inject({
      method: 'PATCH',
      url: `/items/${item.id}`,
      headers: eli.headers,
      payload: { description: 'steel', name: null },
    })
    assert.equal(patch.statusCode, 200)
    assert.equal(patch.json().name, 'Desk lamp')
    assert.equal(patch.json().description, 'steel')
    const empty = await app.inject({ method: 'PATCH', url: `/items/${item.id}`, headers: eli.headers, payload: {} })
    assert.equal(empty.statusCode, 200)
    assert.equal(empty.json().description, 'steel')
    for (const method of ['PUT', 'PATCH'] as const) {
      assertProblem(
        await app.inject({ method, url: `/items/${item.id}`, headers: eli.headers, payload: { name: '' } }),
        422,
      )
      assertProblem(
        await app.inject({ method, url: `/items/${item.id}`, headers: eli.headers, payload: { owner: 'someone' } }),
        422,
      )
      assertProblem(
        await app.inject({
          method,
          url: `/items/${item.id}`,
          headers: eli.headers,
          payload: { description: 'x'.repeat(2001) },
        }),
        422,
      )
      assertProblem(
        await app.inject({ method, url: '/items/987654', headers: eli.headers, payload: { name: 'x' } }),
        404,
      )
      assertProblem(await app.inject({ method, url: '/items/x1', headers: eli.headers, payload: { name: 'x' } }), 422)
    }
    const stored = (await app.inject({ url: `/items/${item.id}`, headers: eli.headers })).json()
    assert.equal(stored.name, 'Desk lamp')
    assert.equal(stored.description, 'steel')
  })

  it('DELETE /items/{id} → 204, again → 404; unknown → 404; non-integer ids → 422', async (t) => {
    const app = await identityApp(t, dialect)
    const fay = await userWithToken(app, 'fay')
    const item = await create(app, fay.headers, { name: 'Mug' })
    // Clients that send a JSON content type on every request may DELETE without a body.
    const del = await app.inject({
      method: 'DELETE',
      url: `/items/${item.id}`,
      headers: { ...fay.headers, 'content-type': 'application/json' },
    })
    assert.equal(del.statusCode, 204)
    assert.equal(del.body, '')
    assertProblem(await app.inject({ method: 'DELETE', url: `/items/${item.id}`, headers: fay.headers }), 404)
    assertProblem(await app.inject({ url: `/items/${item.id}`, headers: fay.headers }), 404)
    const unknown = assertProblem(await app.inject({ url: '/items/424242', headers: fay.headers }), 404)
    assert.deepEqual(
      [unknown.detail, unknown.item_id],
      ['Item not found', 424242],
      'the reference text, the id beside it',
    )
    assertProblem(
      await app.inject({
        method: 'POST',
        url: '/items',
        headers: { ...fay.headers, 'content-type': 'application/json' },
        payload: '',
      }),
      400,
    )
    for (const id of ['abc', '1.5', '1e400']) {
      assertProblem(await app.inject({ url: `/items/${id}`, headers: fay.headers }), 422)
      assertProblem(await app.inject({ method: 'DELETE', url: `/items/${id}`, headers: fay.headers }), 422)
    }
    // A new item never takes a deleted item's id.
    const next = await create(app, fay.headers, { name: 'Cup' })
    assert.ok(next.id > item.id)
  })

  it("another user's item is 404 for GET, PUT, PATCH and DELETE and stays untouched; a superuser sees all", async (t) => {
    const app = await identityApp(t, dialect)
    const gus = await userWithToken(app, 'gus')
    const hal = await userWithToken(app, 'hal')
    const root = await userWithToken(app, 'root', { is_superuser: true })
    const mine = await create(app, gus.headers, { name: "gus's", description: 'private' })
    const url = `/items/${mine.id}`
    assertProblem(await app.inject({ url, headers: hal.headers }), 404)
    assertProblem(await app.inject({ method: 'PUT', url, headers: hal.headers, payload: { name: 'taken' } }), 404)
    assertProblem(
      await app.inject({ method: 'PATCH', url, headers: hal.headers, payload: { description: 'defaced' } }),
      404,
    )
    assertProblem(await app.inject({ method: 'DELETE', url, headers: hal.headers }), 404)
    const list = await app.inject({ url: '/items', headers: hal.headers })
    assert.deepEqual(list.json(), [])
    assert.equal(list.headers['x-total-count'], '0')
    assert.deepEqual((await app.inject({ url, headers: gus.headers })).json(), mine)

    await create(app, hal.headers, { name: "hal's" })
    const seen = await app.inject({ url: '/items', headers: root.headers })
    assert.equal(seen.headers['x-total-count'], '2')
    assert.deepEqual(
      seen
        .json()
        .map((i: { owner: string }) => i.owner)
        .sort(),
      ['gus', 'hal'],
    )
    const changed = await app.inject({
      method: 'PATCH',
      url,
      headers: root.headers,
      payload: { description: 'moderated' },
    })
    assert.equal(changed.statusCode, 200)
    assert.equal(changed.json().owner, 'gus', 'a superuser edit keeps the owner')
  })
})
