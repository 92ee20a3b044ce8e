/**
 * The access log's buffer (issues 16 and 17): a destination that stops accepting costs dropped,
 * counted lines — never memory without bound — and one that is merely slow loses nothing.
 */
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { AccessLog } from '../../src/platform/observability.js'
import { testEnv } from '../helpers/app.js'
import { sqlite } from '../helpers/databases.js'

/** A destination that takes one write and then never drains (a stalled pipe). */
class StalledDestination extends EventEmitter {
  writes: string[] = []
  write(chunk: string) {
    this.writes.push(chunk)
    return false
  }
}

const line = (i: number) => `{"n":${String(i).padStart(6, '0')},"msg":"request"}\n`

describe('AccessLog', () => {
  it('holds at most maxBufferedChars while the destination is stalled and counts every dropped line', async () => {
    const destination = new StalledDestination()
    let dropped = 0
    const log = new AccessLog(destination, {
      maxBufferedChars: 4096,
      flushChars: 1024,
      onDrop: (n) => {
        dropped += n
      },
    })
    const lines = 10_000
    let largest = 0
    for (let i = 0; i < lines; i++) {
      log.write(line(i))
      largest = Math.max(largest, log.buffered)
    }
    await new Promise(setImmediate)
    assert.ok(largest <= 4096, `held ${largest} characters`)
    const written = destination.writes.join('').split('\n').filter(Boolean).length
    const held = log.buffered / line(0).length
    assert.equal(written + held + dropped, lines, 'every line is written, held or counted as dropped')
    assert.ok(dropped > 9000, `dropped ${dropped}`)
    // Waiting for 'drain' means one write in flight, not one per line.
    assert.equal(destination.writes.length, 1)
    destination.emit('drain')
    assert.equal(destination.writes.length, 2)
    assert.equal(log.buffered, 0)
  })

  it('batches one turn of lines into one write and loses none to a slow destination', async () => {
    const received: string[] = []
    const slow = new Writable({
      highWaterMark: 256,
      write(chunk, _enc, done) {
        received.push(String(chunk))
        setImmediate(done)
      },
    })
    const log = new AccessLog(slow, { maxBufferedChars: 1 << 20 })
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 50; i++) log.write(line(round * 50 + i))
      await new Promise(setImmediate)
    }
    log.flush(true)
    await new Promise<void>((resolve) => slow.end(resolve))
    const lines = received.join('').split('\n').filter(Boolean)
    assert.deepEqual(
      lines,
      Array.from({ length: 1000 }, (_, i) => line(i).trim()),
    )
    assert.ok(received.length <= 40, `${received.length} writes for 1,000 lines`)
  })
})

describe('access log in the app, with a stalled log stream', () => {
  it('keeps serving, holds a bounded buffer and reports drops on /metrics', async (t) => {
    const database = await sqlite.create()
    t.after(() => database.drop())
    // Accepts bytes into its buffer but never finishes a write: everything past it stays pending.
    const stalled = new Writable({ highWaterMark: 1024, write() {} })
    const config = loadConfig(testEnv(database.url, { LOG_LEVEL: 'info', REQUEST_LOG: 'true' }))
    const app = await buildApp(config, { logStream: stalled, accessLogBufferChars: 8192 })
    t.after(() => app.close())
    const requests = 500
    for (let i = 0; i < requests; i++) {
      const res = await app.inject({ url: '/health' })
      assert.equal(res.statusCode, 200)
    }
    // The stream got one batch (it never drained); the rest is held or dropped, and the held part is bounded.
    assert.ok(stalled.writableLength < 8192 + 4096, `the stream holds ${stalled.writableLength} bytes`)
    const metrics = await app.inject({ url: '/metrics' })
    const m = /^statehouse_log_lines_dropped_total (\d+)$/m.exec(metrics.body)
    assert.ok(m, 'statehouse_log_lines_dropped_total is on /metrics')
    const dropped = Number(m[1])
    assert.ok(dropped > requests / 2, `dropped ${dropped} of ${requests}`)
    assert.ok(dropped < requests)
  })
})
