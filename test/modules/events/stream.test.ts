/** GET /events on one instance (SPEC §2.4): payloads and order of every type, rejections, access, tickets. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { makeFiles, writeFolder } from '../../helpers/aircraft-files.js'
import { buildTestApp, TEST_API_KEY, WRITE_HEADERS } from '../../helpers/app.js'
import { describeOnEachDialect } from '../../helpers/databases.js'
import { listen, SseClient } from './sse.js'

const KEY = { 'x-api-key': TEST_API_KEY }

async function post(app: FastifyInstance, url: string, body: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url, headers: { ...WRITE_HEADERS, ...headers }, payload: JSON.stringify(body) })
}

const parsed = (sse: SseClient, ...types: string[]) => sse.of(...types).map((m) => JSON.parse(m.data))

describeOnEachDialect('GET /events', (dialect) => {
  it('streams every type in commit order, with its payload and increasing ids', async (t) => {
    const folder = writeFolder(makeFiles(3, 5))
    const app = await buildTestApp(t, dialect, { env: { AIRCRAFT_SOURCE: `file:${folder}` } })
    const base = await listen(app)
    const sse = await SseClient.open(base, '/events', KEY)
    t.after(() => sse.close())
    assert.equal(sse.status, 200)
    assert.match(String(sse.res.headers['content-type']), /^text\/event-stream/)
    await sse.opened()
    assert.equal(sse.retry, 3000)

    assert.equal((await post(app, '/update', { counter: 5 })).statusCode, 200)
    assert.equal((await post(app, '/update', { message: 'hi' })).statusCode, 200)
    assert.equal((await post(app, '/update', { increment: 2, message: 'yo' })).statusCode, 200)
    for (const [url, body] of [
      ['/platforms', { id: 'evt-cloud', name: 'Cloud', cloud_provider: 'aws' }],
      ['/os-versions', { id: 'evt-os', name: 'OS', version: '22.04' }],
      ['/image-types', { id: 'evt-img', name: 'Img' }],
    ] as const) {
      assert.ok([200, 201].includes((await post(app, url, body)).statusCode), url)
    }
    const created = await post(app, '/builds', {
      build_id: 'b-1',
      platform: 'evt-cloud',
      os_version: 'evt-os',
      image_type: 'evt-img',
    })
    assert.ok(created.statusCode < 300, created.body)
    const id = created.json().id
    assert.equal((await post(app, `/builds/${id}/state`, { state_code: 10, message: 'go' })).statusCode, 200)
    assert.equal((await post(app, `/builds/${id}/state`, { state_code: 10 })).statusCode, 200, 'the repeat')
    const failed = await post(app, `/builds/${id}/failure`, { error_message: 'disk', error_code: 'E1', component: 'c' })
    assert.equal(failed.statusCode, 200, failed.body)
    assert.equal((await post(app, `/builds/${id}/state`, { state_code: 100 })).statusCode, 200)
    const ingest = await app.inject({ method: 'POST', url: '/process-s3-data?wait=true', headers: KEY })
    assert.equal(ingest.statusCode, 200, ingest.body)

    await sse.until(() => sse.of('aircraft.ingest_finished').length === 1, 'ingest_finished')
    const types = sse.of().map((m) => m.event)
    const withoutProgress = types.filter((ty) => ty !== 'aircraft.ingest_progress')
    assert.deepEqual(withoutProgress, [
      'state.updated',
      'state.updated',
      'state.updated',
      'build.created',
      'build.state_changed',
      'build.failed',
      'build.state_changed',
      'aircraft.ingest_finished',
    ])
    const ids = sse.of().map((m) => Number(m.id))
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
      'ids increase',
    )
    assert.equal(new Set(ids).size, ids.length, 'no id twice')

    const [s1, s2, s3] = parsed(sse, 'state.updated')
    assert.deepEqual(
      { ...s1, timestamp: undefined },
      {
        version: 1,
        counter: 5,
        message: '',
        old_counter: 0,
        old_message: '',
        update_type: 'counter',
        timestamp: undefined,
      },
    )
    assert.match(s1.timestamp, /Z$/)
    assert.equal(s2.update_type, 'message')
    assert.deepEqual([s3.version, s3.counter, s3.message, s3.old_counter, s3.old_message], [3, 7, 'yo', 5, 'hi'])
    assert.equal(s3.update_type, 'counter, message')

    const [bc] = parsed(sse, 'build.created')
    assert.deepEqual(
      { ...bc, created_at: undefined },
      {
        id,
        build_id: 'b-1',
        platform: 'evt-cloud',
        os_version: 'evt-os',
        image_type: 'evt-img',
        status: 'in_progress',
        current_state: 0,
        created_at: undefined,
      },
    )
    const [sc10, sc100] = parsed(sse, 'build.state_changed')
    assert.deepEqual(
      { ...sc10, transitioned_at: undefined },
      {
        id,
        build_id: 'b-1',
        state_code: 10,
        state_name: sc10.state_name,
        message: 'go',
        status: 'in_progress',
        transitioned_at: undefined,
      },
    )
    assert.equal(typeof sc10.state_name, 'string')
    assert.equal(sc100.status, 'completed')
    assert.equal(sc100.message, null)
    const [bf] = parsed(sse, 'build.failed')
    assert.deepEqual(
      { ...bf, recorded_at: undefined },
      {
        id,
        build_id: 'b-1',
        error_message: 'disk',
        error_code: 'E1',
        component: 'c',
        state_code: 10,
        recorded_at: undefined,
      },
    )

    const progress = parsed(sse, 'aircraft.ingest_progress')
    assert.ok(progress.length >= 1, 'at least the last file has a progress event')
    const [done] = parsed(sse, 'aircraft.ingest_finished')
    assert.deepEqual(progress.at(-1), { job_id: done.job_id, files_done: 3, files_total: 3, records: done.records })
    assert.deepEqual(done, {
      job_id: ingest.json().job_id,
      status: 'succeeded',
      files_done: 3,
      files_total: 3,
      records: done.records,
      errors: 0,
    })
    assert.ok(done.records > 0)
  })

  it('a rejected update (412, 422) writes no event', async (t) => {
    const app = await buildTestApp(t, dialect)
    const base = await listen(app)
    const sse = await SseClient.open(base, '/events?topics=state')
    t.after(() => sse.close())
    await sse.opened()
    assert.equal((await post(app, '/update', { counter: 1 }, { 'if-match': '"7"' })).statusCode, 412)
    assert.equal((await post(app, '/update', { counter: Number.MAX_SAFE_INTEGER })).statusCode, 200)
    assert.equal((await post(app, '/update', { increment: 1 })).statusCode, 422, 'past the range')
    assert.equal((await post(app, '/update', { counter: '5' })).statusCode, 422, 'not an integer')
    assert.equal((await post(app, '/update', { counter: 2 }, { 'idempotency-key': 'k' })).statusCode, 200)
    assert.equal((await post(app, '/update', { counter: 3 }, { 'idempotency-key': 'k' })).statusCode, 422, 'reused key')
    assert.equal((await post(app, '/update', { counter: 2 }, { 'idempotency-key': 'k' })).statusCode, 200, 'a replay')
    assert.equal((await post(app, '/update', { message: 'last' })).statusCode, 200)
    await sse.until(() => sse.of().length >= 3, 'three events')
    assert.deepEqual(
      parsed(sse).map((d) => d.version),
      [1, 2, 3],
    )
    const rows = await app.db.kysely.selectFrom('events').select('type').execute()
    assert.equal(rows.length, 3, 'the outbox holds only the applied updates')
  })

  it('builds need the read scope: default topics skip them, asking without credentials is 401; tickets work once', async (t) => {
    const app = await buildTestApp(t, dialect)
    const base = await listen(app)
    const anonymous = await SseClient.open(base, '/events')
    t.after(() => anonymous.close())
    await anonymous.opened()
    const denied = await app.inject({ url: '/events?topics=state,builds' })
    assert.equal(denied.statusCode, 401)
    assert.match(String(denied.headers['content-type']), /application\/problem\+json/)
    assert.equal((await app.inject({ url: '/events', headers: { 'x-api-key': 'wrong' } })).statusCode, 401)
    assert.equal((await app.inject({ url: '/events?topics=nope' })).statusCode, 422)
    assert.equal((await app.inject({ url: '/events?last_event_id=-1' })).statusCode, 422)

    assert.equal((await app.inject({ method: 'POST', url: '/events/tickets' })).statusCode, 401)
    const minted = await app.inject({ method: 'POST', url: '/events/tickets', headers: KEY })
    assert.equal(minted.statusCode, 201, minted.body)
    const { ticket, expires_in } = minted.json()
    assert.equal(expires_in, 60)
    assert.ok(typeof ticket === 'string' && ticket.length >= 32)
    const withTicket = await SseClient.open(base, `/events?topics=builds&ticket=${ticket}`)
    t.after(() => withTicket.close())
    assert.equal(withTicket.status, 200)
    await withTicket.opened()
    const again = await app.inject({ url: `/events?topics=builds&ticket=${ticket}` })
    assert.equal(again.statusCode, 401, 'a ticket works once')
    assert.ok(!again.body.includes(ticket), 'the ticket is not echoed back')

    await post(app, '/platforms', { id: 'evt-cloud', name: 'Cloud', cloud_provider: 'aws' })
    await post(app, '/os-versions', { id: 'evt-os', name: 'OS', version: '22.04' })
    await post(app, '/image-types', { id: 'evt-img', name: 'Img' })
    assert.equal(
      (
        await post(app, '/builds', {
          build_id: 'x',
          platform: 'evt-cloud',
          os_version: 'evt-os',
          image_type: 'evt-img',
        })
      ).statusCode < 300,
      true,
    )
    await post(app, '/update', { counter: 1 })
    await withTicket.until(() => withTicket.of().length === 1, 'the build event')
    await anonymous.until(() => anonymous.of().length === 1, 'the state event')
    assert.deepEqual(
      withTicket.of().map((m) => m.event),
      ['build.created'],
    )
    assert.deepEqual(
      anonymous.of().map((m) => m.event),
      ['state.updated'],
      'anonymous streams never see builds',
    )
  })

  it('at EVENTS_MAX_SUBSCRIBERS a new stream is 503 with Retry-After; app.close ends open streams', async (t) => {
    const app = await buildTestApp(t, dialect, { env: { EVENTS_MAX_SUBSCRIBERS: '1' } })
    const base = await listen(app)
    const first = await SseClient.open(base, '/events')
    await first.opened()
    const second = await app.inject({ url: '/events' })
    assert.equal(second.statusCode, 503)
    assert.ok(second.headers['retry-after'])
    assert.match(String(second.headers['content-type']), /application\/problem\+json/)
    // Without the events module's preClose hook, close would wait for the stream forever.
    await app.close()
    await first.closed
    assert.equal(first.ended, true)
  })
})
