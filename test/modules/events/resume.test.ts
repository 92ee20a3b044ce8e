/** Resume by Last-Event-ID, the retention window, slow consumers, and id order across open transactions. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { outboxSink } from '../../../src/modules/events/outbox-sink.js'
import { tablesOf } from '../../../src/platform/db/index.js'
import type { WakeBus } from '../../../src/platform/events/bus.js'
import { buildTestApp, WRITE_HEADERS } from '../../helpers/app.js'
import { describeOnEachDialect } from '../../helpers/databases.js'
import { listen, metric, SseClient } from './sse.js'

const update = (app: FastifyInstance, body: object) =>
  app.inject({ method: 'POST', url: '/update', headers: WRITE_HEADERS, payload: JSON.stringify(body) })

const versions = (sse: SseClient) => sse.of('state.updated').map((m) => JSON.parse(m.data).version as number)
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describeOnEachDialect('GET /events resume', (dialect) => {
  it('a stream dropped during writes resumes with Last-Event-ID (or ?last_event_id=) with exactly what it missed', async (t) => {
    const app = await buildTestApp(t, dialect)
    const base = await listen(app)
    const first = await SseClient.open(base, '/events?topics=state')
    await first.opened()
    for (let i = 0; i < 20; i++) {
      assert.equal((await update(app, { increment: 1 })).statusCode, 200)
      if (i === 4) {
        await first.until(() => first.of().length >= 3, 'a few events')
        first.close() // mid-writes
      }
    }
    const seen = versions(first)
    const lastId = first.of().at(-1)?.id as string
    const resumed = await SseClient.open(base, '/events?topics=state', { 'last-event-id': lastId })
    t.after(() => resumed.close())
    await resumed.until(() => seen.length + resumed.of().length >= 20, 'the missed events')
    assert.deepEqual([...seen, ...versions(resumed)], range(1, 20), 'every version once, in order')

    const tenth = resumed.of().find((m) => JSON.parse(m.data).version === 10)
    const byQuery = await SseClient.open(base, `/events?topics=state&last_event_id=${tenth?.id ?? 0}`)
    t.after(() => byQuery.close())
    await byQuery.until(() => byQuery.of().length >= 10, 'versions 11..20')
    assert.deepEqual(versions(byQuery), range(11, 20))

    assert.equal((await update(app, { increment: 1 })).statusCode, 200)
    await resumed.until(() => versions(resumed).includes(21), 'a live event after the replay')
    await byQuery.until(() => versions(byQuery).includes(21), 'a live event after the replay')
    assert.deepEqual(versions(byQuery), range(11, 21), 'replay then live, no gap, no duplicate')
  })

  it('past EVENTS_RETENTION the stream starts with reset, then goes on from now', async (t) => {
    const app = await buildTestApp(t, dialect, { env: { EVENTS_RETENTION: '1s' } })
    const base = await listen(app)
    for (let i = 0; i < 3; i++) assert.equal((await update(app, { increment: 1 })).statusCode, 200)
    const newest = (await app.db.kysely.selectFrom('events').select('id').orderBy('id', 'desc').executeTakeFirst())?.id
    // Retention runs every 250 ms at a 1 s window: wait (bounded) until it deleted the three.
    for (let i = 0; i < 100; i++) {
      const horizon = await app.db.kysely
        .selectFrom('events_horizon')
        .select('purged_through')
        .executeTakeFirstOrThrow()
      if (Number(horizon.purged_through) >= Number(newest)) break
      await new Promise((r) => setTimeout(r, 100))
    }
    assert.equal((await app.db.kysely.selectFrom('events').select('id').execute()).length, 0, 'the outbox was purged')

    const stale = await SseClient.open(base, '/events?topics=state&last_event_id=1')
    t.after(() => stale.close())
    await stale.until(() => stale.messages.length >= 1, 'the reset')
    const [reset] = stale.messages
    assert.equal(reset?.event, 'reset')
    assert.equal(reset?.id, String(newest), 'the reset carries the current id, so a reconnect resumes from it')
    assert.match(JSON.parse(reset?.data ?? '{}').reason, /retention/)

    const current = await SseClient.open(base, `/events?topics=state&last_event_id=${newest}`)
    t.after(() => current.close())
    await current.opened()
    const unknown = await SseClient.open(base, '/events?topics=state&last_event_id=999999')
    t.after(() => unknown.close())
    await unknown.until(() => unknown.messages.length >= 1, 'a reset for an id this database never had')
    assert.equal(unknown.messages[0]?.event, 'reset')

    assert.equal((await update(app, { increment: 1 })).statusCode, 200)
    await stale.until(() => stale.of().length >= 1, 'the next event after the reset')
    await current.until(() => current.of().length >= 1, 'the next event')
    assert.deepEqual(versions(stale), [4])
    assert.deepEqual(versions(current), [4], 'an id at the horizon missed nothing: no reset')
    assert.equal(current.messages[0]?.event, 'state.updated')
  })

  it('a subscriber that stops reading is disconnected with its unsent bytes under the budget; others get everything', async (t) => {
    const budget = 262144
    const app = await buildTestApp(t, dialect, { env: { EVENTS_MAX_BUFFER_BYTES: String(budget) } })
    const base = await listen(app)
    const stalled = await SseClient.open(base, '/events?topics=state')
    const reader = await SseClient.open(base, '/events?topics=state')
    t.after(() => reader.close())
    await stalled.opened()
    await reader.opened()
    stalled.res.pause() // reads nothing more: the kernel buffers fill, then the server's
    const big = 'x'.repeat(9_980)
    let sent = 0
    for (
      let round = 0;
      round < 60 && (await metric(app, 'statehouse_events_slow_consumers_dropped_total')) < 1;
      round++
    ) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, (_, i) => update(app, { message: `${big}${round}-${i}` })),
      )
      for (const res of batch) assert.equal(res.statusCode, 200)
      sent += batch.length
    }
    assert.equal(
      await metric(app, 'statehouse_events_slow_consumers_dropped_total'),
      1,
      'the stalled stream was dropped',
    )
    // Its buffer never held more than the budget plus one write (64 KiB of events, plus one message).
    const peak = await metric(app, 'statehouse_events_buffer_peak_bytes')
    assert.ok(peak <= budget + 65536 + 25_000, `peak unsent bytes ${peak}`)
    stalled.res.resume()
    await stalled.closed
    assert.ok(stalled.of().length < sent, 'the stalled stream did not get everything')
    await reader.until(() => reader.of().length >= sent, 'every event on the stream that reads')
    assert.deepEqual(versions(reader), range(1, sent))
    assert.equal(await metric(app, 'statehouse_events_subscribers'), 1)
  })

  it('ids commit in id order: an event written while an older transaction is open waits for it', async (t) => {
    const app = await buildTestApp(t, dialect, { env: { EVENTS_POLL_MS: '20' } })
    const base = await listen(app)
    const sse = await SseClient.open(base, '/events?topics=builds', { 'x-api-key': WRITE_HEADERS['x-api-key'] })
    t.after(() => sse.close())
    await sse.opened()
    const quiet: WakeBus = { kind: 'in-process', notify() {}, start: async () => {}, close: async () => {} }
    const sink = outboxSink(tablesOf(app.db), quiet) // the safety poll (20 ms) is the only reader
    const event = (n: number) => ({ topic: 'builds' as const, type: 'build.created', data: { n } })
    let release = () => {}
    const gate = new Promise<void>((r) => (release = r))
    let appended = () => {}
    const firstHasItsId = new Promise<void>((r) => (appended = r))
    const older = app.db.writeTransaction(async (trx) => {
      await sink.append(trx, [event(1)])
      appended()
      await gate
    })
    await firstHasItsId
    const newer = app.db.writeTransaction((trx) => sink.append(trx, [event(2)]))
    // A window for the poll to see the newer event alone, were it committed first.
    await new Promise((r) => setTimeout(r, 300))
    release()
    await Promise.all([older, newer])
    await sse.until(() => sse.of().length >= 2, 'both events')
    assert.deepEqual(
      sse.of().map((m) => JSON.parse(m.data).n),
      [1, 2],
    )
  })
})
