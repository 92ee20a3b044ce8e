/**
 * The TypeScript client (clients/typescript) against a real, listening server on both engines: one
 * flow per domain through its typed calls, its auth helpers and its /events iterator; and its
 * committed generated files match what the server documents now (regenerate → no diff).
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { it, type TestContext } from 'node:test'
import { staleFiles } from '../../clients/typescript/scripts/generate.js'
import {
  createStatehouseClient,
  StatehouseError,
  type StatehouseEvent,
  unwrap,
} from '../../clients/typescript/src/index.js'
import { buildTestApp, TEST_API_KEY } from '../helpers/app.js'
import { type Dialect, describeOnEachDialect, sqlite, tempDir } from '../helpers/databases.js'

async function listening(t: TestContext, dialect: Dialect, env: Record<string, string> = {}) {
  const app = await buildTestApp(t, dialect, { env })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  assert.ok(address && typeof address === 'object')
  return `http://127.0.0.1:${address.port}`
}

it('the committed openapi.json and src/schema.d.ts are what the server documents now', async () => {
  assert.deepEqual(await staleFiles(), [], 'run: npm run generate -w clients/typescript')
})

describeOnEachDialect('TypeScript client', (dialect) => {
  it('state: status, an update with the API key, the log; a refused update is a typed problem', async (t) => {
    const baseUrl = await listening(t, dialect)
    const anonymous = createStatehouseClient({ baseUrl })
    const refused = await anonymous.POST('/update', { body: { increment: 1 } })
    assert.equal(refused.response.status, 401)
    assert.equal(refused.error?.detail, 'Invalid API Key')
    await assert.rejects(unwrap(anonymous.POST('/update', { body: { increment: 1 } })), StatehouseError)

    const api = createStatehouseClient({ baseUrl, apiKey: TEST_API_KEY })
    const before = await unwrap(api.GET('/status'))
    const updated = await unwrap(api.POST('/update', { body: { increment: 2, message: 'from the client' } }))
    assert.equal(updated.new_state.counter, before.counter + 2)
    const logs = await unwrap(api.GET('/logs', { params: { query: { page: 1, limit: 5 } } }))
    assert.equal(logs.logs[0]?.new_message, 'from the client')
  })

  it('identity and items: a user, login (JWT), items CRUD, an issued API token', async (t) => {
    const baseUrl = await listening(t, dialect)
    const admin = createStatehouseClient({ baseUrl, apiKey: TEST_API_KEY })
    const user = await unwrap(
      admin.POST('/users', { body: { username: 'client-user', password: 'client-password-1' } }),
    )
    const api = createStatehouseClient({ baseUrl })
    const token = await api.login('client-user', 'client-password-1')
    assert.equal(token.token_type, 'bearer')
    const item = await unwrap(api.POST('/items', { body: { name: 'Widget', description: 'blue' } }))
    assert.equal(item.owner, 'client-user')
    const changed = await unwrap(
      api.PATCH('/items/{id}', { params: { path: { id: item.id } }, body: { description: 'red' } }),
    )
    assert.equal(changed.description, 'red')
    assert.deepEqual(
      (await unwrap(api.GET('/items', { params: { query: { limit: 10, offset: 0 } } }))).map((i) => i.id),
      [item.id],
    )
    await unwrap(api.DELETE('/items/{id}', { params: { path: { id: item.id } } }))
    const gone = await api.GET('/items/{id}', { params: { path: { id: item.id } } })
    assert.equal(gone.response.status, 404)
    assert.equal(gone.error?.detail, 'Item not found')

    const issued = await unwrap(
      api.POST('/users/{id}/tokens', { params: { path: { id: user.id } }, body: { name: 'ci', scopes: ['read'] } }),
    )
    const withToken = createStatehouseClient({ baseUrl, apiKey: issued.token })
    assert.equal(
      (await unwrap(withToken.GET('/users/{id}', { params: { path: { id: user.id } } }))).username,
      'client-user',
    )
  })

  it('builds: catalog, a build through its states to completed, the dashboard; events stream it', async (t) => {
    const baseUrl = await listening(t, dialect)
    const api = createStatehouseClient({ baseUrl, apiKey: TEST_API_KEY })
    await unwrap(api.POST('/platforms', { body: { id: 'client-cloud', name: 'AWS', cloud_provider: 'aws' } }))
    await unwrap(api.POST('/os-versions', { body: { id: 'client-os-1', name: 'RHEL', version: '9.2' } }))
    await unwrap(api.POST('/image-types', { body: { id: 'client-base', name: 'Base' } }))

    const controller = new AbortController()
    t.after(() => controller.abort())
    const stream = api.events({ topics: ['builds'], signal: controller.signal })
    const first = stream.next() // connects; the build below is published after it
    const created = await unwrap(
      api.POST('/builds', {
        body: { platform: 'client-cloud', os_version: 'client-os-1', image_type: 'client-base', build_id: 'client-1' },
      }),
    )
    for (const state_code of [10, 50, 100]) {
      await unwrap(api.POST('/builds/{id}/state', { params: { path: { id: created.id } }, body: { state_code } }))
    }
    const build = await unwrap(api.GET('/builds/{id}', { params: { path: { id: created.id } } }))
    assert.equal(build.status, 'completed')
    assert.deepEqual(
      build.states.map((s) => s.state_code),
      [0, 10, 50, 100],
    )
    const summary = await unwrap(api.GET('/dashboard/summary'))
    assert.equal(summary.status_counts.completed, 1)

    const seen: StatehouseEvent[] = [(await first).value as StatehouseEvent]
    for (let i = 0; i < 10 && seen.length < 4; i++) seen.push((await stream.next()).value as StatehouseEvent)
    assert.deepEqual(
      seen.map((e) => e.type),
      ['build.created', 'build.state_changed', 'build.state_changed', 'build.state_changed'],
    )
    const last = seen[3]
    assert.ok(last?.type === 'build.state_changed' && last.data.state_code === 100)
    controller.abort()
  })

  it('aircraft: an ingest job, stats and the list; an unknown aircraft is a typed 404', async (t) => {
    const dir = tempDir('statehouse-client-aircraft-')
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    fs.writeFileSync(path.join(dir, 'flat.json'), JSON.stringify([{ icao: 'A320', altitude: 30000, speed: 500 }]))
    const baseUrl = await listening(t, dialect, { AIRCRAFT_SOURCE: `file:${dir}` })
    const api = createStatehouseClient({ baseUrl, apiKey: TEST_API_KEY })
    const job = await unwrap(api.POST('/process-s3-data', { body: {} }))
    assert.ok('records_processed' in job, 'the job answered when done (200), not accepted (202)')
    assert.equal(job.records_processed, 1)
    const stats = await unwrap(api.GET('/aircraft/{icao}/stats', { params: { path: { icao: 'a320' } } }))
    assert.equal(stats.icao, 'A320')
    const list = await unwrap(api.GET('/aircraft', { params: { query: { page: 1, limit: 10 } } }))
    assert.deepEqual(
      list.map((a) => a.icao),
      ['A320'],
    )
    const missing = await api.GET('/aircraft-stats/{icao}', { params: { path: { icao: 'ffffff' } } })
    assert.equal(missing.response.status, 404)
    assert.equal(missing.error?.detail, 'Aircraft not found')
  })
})

it('events: a ticket opens the stream without headers; state.updated arrives typed', async (t) => {
  const baseUrl = await listening(t, sqlite)
  const api = createStatehouseClient({ baseUrl, apiKey: TEST_API_KEY })
  const { ticket } = await api.eventTicket()
  const controller = new AbortController()
  t.after(() => controller.abort())
  const stream = createStatehouseClient({ baseUrl }).events({ topics: ['state'], ticket, signal: controller.signal })
  const next = stream.next()
  await unwrap(api.POST('/update', { body: { counter: 7, message: 'streamed' } }))
  const event = (await next).value as StatehouseEvent
  assert.ok(event.type === 'state.updated')
  assert.equal(event.data.counter, 7)
  assert.match(String(event.id), /^\d+$/)
  controller.abort()
})
