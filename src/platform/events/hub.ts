/**
 * The one reader of the outbox in this process, and every SSE stream it feeds (SPEC §2.4).
 *
 * Delivery reads the outbox by id — never trusts a message — so every stream gets every event it may
 * see, in id order, without gaps or duplicates: a wake-up (local commit, Redis, NOTIFY) or the slow
 * safety poll makes the hub read the events after the last one it delivered and hand each stream
 * the ones of its topics, as one write per stream per batch. A stream that resumes (Last-Event-ID)
 * first replays from the outbox up to the hub's position, then joins it. Memory is bounded: a
 * stream whose unsent bytes exceed the budget is disconnected (its client resumes by id).
 */
import type { ServerResponse } from 'node:http'
import type { WakeBus } from './bus.js'
import type { EventTopic } from './sink.js'

/** An outbox row as the hub reads it; `data` is already the JSON text. */
export interface OutboxEvent {
  id: number
  topic: EventTopic
  type: string
  data: string
}

/** The SQL the hub needs (the events module owns the table). */
export interface OutboxReader {
  /** Events with id > `after`, every topic, in id order, at most `limit`. */
  after(after: number, limit: number): Promise<OutboxEvent[]>
  /** Events with after < id <= upTo of these topics, in id order, at most `limit` (a resume). */
  range(after: number, upTo: number, topics: readonly EventTopic[], limit: number): Promise<OutboxEvent[]>
  /** The newest id (0 when none yet) and the highest id retention has deleted (0 when none). */
  bounds(): Promise<{ newest: number; purgedThrough: number }>
}

export interface HubOptions {
  /** A comment line this often keeps proxies and clients from timing the stream out. */
  heartbeatMs: number
  /** Safety poll: the outbox is read this often even when every wake-up was lost. */
  pollMs: number
  maxSubscribers: number
  /** Unsent bytes a stream may hold before it is disconnected. */
  maxBufferBytes: number
  /** The `retry:` hint: how long a client waits before reconnecting. */
  retryMs: number
}

export interface HubLog {
  warn(obj: object, msg: string): void
  info(obj: object, msg: string): void
}

/** Counters and gauges behind /metrics. */
export interface HubStats {
  /** Events this process read from the outbox and fanned out to its streams. */
  published: number
  /** Event messages written to streams (one event to three streams counts three). */
  delivered: number
  slowDropped: number
  /** The most unsent bytes any stream held when it was written to (bounded by the budget + one batch). */
  peakBufferedBytes: number
}

const PAGE = 1000
/** Bytes of events handed to the streams in one write: bounds what one write adds to a stream's buffer. */
const SLICE_BYTES = 64 * 1024
/** A replaying stream waits this long for a stalled client to read before it is dropped. */
const DRAIN_TIMEOUT_MS = 30_000
const TOPIC_BIT: Record<EventTopic, number> = { state: 1, builds: 2, aircraft: 4 }

function topicMask(topics: Iterable<EventTopic>): number {
  let mask = 0
  for (const t of topics) mask |= TOPIC_BIT[t]
  return mask
}

function frame(e: OutboxEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${e.data}\n\n`
}

class Stream {
  live = false
  closed = false
  constructor(
    readonly res: ServerResponse,
    readonly mask: number,
    /** The id of the last event this stream has been given (or skipped: not its topic). */
    public cursor: number,
  ) {}
}

export class HubFull extends Error {}

export class EventHub {
  private readonly streams = new Set<Stream>()
  private position = 0
  private polling = false
  private again = false
  private closing = false
  private readerDown = false
  private timers: NodeJS.Timeout[] = []
  readonly stats: HubStats = { published: 0, delivered: 0, slowDropped: 0, peakBufferedBytes: 0 }

  constructor(
    private readonly reader: OutboxReader,
    private readonly bus: WakeBus,
    private readonly opts: HubOptions,
    private readonly log: HubLog,
  ) {}

  /** Starts at the newest event (a fresh process replays nothing), then follows the outbox. */
  async start(): Promise<void> {
    this.position = (await this.reader.bounds()).newest
    const poll = setInterval(() => this.poke(), this.opts.pollMs)
    const beat = setInterval(() => this.heartbeat(), this.opts.heartbeatMs)
    poll.unref()
    beat.unref()
    this.timers = [poll, beat]
    await this.bus.start(() => this.poke())
  }

  /** The id of the last event handed to the streams. */
  get lastId(): number {
    return this.position
  }

  get subscribers(): number {
    return this.streams.size
  }

  /** Throws {@link HubFull} when no stream may open now (the limit, or shutting down). */
  admit(): void {
    if (this.closing || this.streams.size >= this.opts.maxSubscribers) throw new HubFull()
  }

  /**
   * Feeds `res` (its headers already written) from now on: after `lastEventId` when given (a replay
   * from the outbox, or `reset` when those events are gone), else from the hub's position.
   */
  async open(res: ServerResponse, topics: readonly EventTopic[], lastEventId: number | undefined): Promise<void> {
    this.admit()
    const stream = new Stream(res, topicMask(topics), this.position)
    this.streams.add(stream)
    res.on('close', () => {
      stream.closed = true
      this.streams.delete(stream)
    })
    this.write(stream, `retry: ${this.opts.retryMs}\n\n`)
    if (lastEventId === undefined) {
      stream.live = true
      return
    }
    try {
      const { newest, purgedThrough } = await this.reader.bounds()
      if (lastEventId < purgedThrough || lastEventId > Math.max(newest, this.position)) {
        const reason =
          lastEventId < purgedThrough
            ? 'the events after that id are past the retention window'
            : 'no event has that id here'
        stream.cursor = this.position
        stream.live = true
        this.write(stream, `id: ${this.position}\nevent: reset\ndata: ${JSON.stringify({ reason })}\n\n`)
        return
      }
      stream.cursor = lastEventId
      await this.replay(stream, topics)
    } catch (err) {
      if (!stream.closed) {
        this.log.warn({ err }, 'events: a resumed stream could not be replayed; it is closed to retry')
        res.destroy()
      }
    }
  }

  /** Outbox → stream, page by page, until it reaches the hub's position; then it joins live delivery. */
  private async replay(stream: Stream, topics: readonly EventTopic[]) {
    for (;;) {
      if (stream.closed) return
      const upTo = this.position
      if (stream.cursor >= upTo) {
        stream.live = true // in the same turn as the check: nothing the hub delivers next is missed
        return
      }
      const rows = await this.reader.range(stream.cursor, upTo, topics, PAGE)
      for (const slice of slices(rows)) {
        if (!this.write(stream, slice.map(frame).join(''))) return
        this.stats.delivered += slice.length
        // A slow reader is waited for here rather than buffered for: the replay reads no further.
        if (stream.res.writableLength > this.opts.maxBufferBytes / 2 && !(await this.drained(stream))) return
      }
      if (stream.closed) return
      stream.cursor = rows.length < PAGE ? upTo : (rows.at(-1) as OutboxEvent).id
    }
  }

  private drained(stream: Stream): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer)
        stream.res.off('drain', onDrain).off('close', onClose)
        if (!ok) this.drop(stream)
        resolve(ok)
      }
      const onDrain = () => done(true)
      const onClose = () => done(false)
      const timer = setTimeout(() => done(false), DRAIN_TIMEOUT_MS)
      stream.res.on('drain', onDrain).on('close', onClose)
    })
  }

  /** A wake-up: read now, or once more right after the read in flight. */
  poke(): void {
    if (this.closing) return
    if (this.polling) {
      this.again = true
      return
    }
    this.polling = true
    void this.poll()
  }

  private async poll() {
    try {
      do {
        this.again = false
        for (;;) {
          const rows = await this.reader.after(this.position, PAGE)
          let first = true
          for (const slice of slices(rows)) {
            // Between slices the sockets get a turn: a burst is handed out 64 KiB at a time.
            if (!first) await new Promise((resolve) => setImmediate(resolve))
            first = false
            this.deliver(slice)
          }
          if (rows.length < PAGE || this.closing) break
        }
      } while (this.again && !this.closing)
      if (this.readerDown) this.log.info({}, 'events: the outbox is readable again; streams caught up')
      this.readerDown = false
    } catch (err) {
      // The database is away: the next wake-up or safety poll tries again from the same id.
      if (!this.readerDown) this.log.warn({ err }, 'events: cannot read the outbox; streams wait')
      this.readerDown = true
    } finally {
      this.polling = false
    }
  }

  /** One batch to every live stream: one write each, built once per topic combination. */
  private deliver(rows: OutboxEvent[]) {
    const first = (rows[0] as OutboxEvent).id
    const last = (rows.at(-1) as OutboxEvent).id
    const chunks = new Map<number, { text: string; count: number }>()
    const build = (mask: number, after: number) => {
      let text = ''
      let count = 0
      for (const e of rows) {
        if (e.id > after && mask & TOPIC_BIT[e.topic]) {
          text += frame(e)
          count++
        }
      }
      return { text, count }
    }
    for (const stream of this.streams) {
      if (!stream.live) continue
      let chunk: { text: string; count: number }
      if (stream.cursor < first) {
        chunk = chunks.get(stream.mask) ?? build(stream.mask, 0)
        chunks.set(stream.mask, chunk)
      } else {
        chunk = build(stream.mask, stream.cursor) // resumed ahead of this replica's position (rare)
      }
      stream.cursor = Math.max(stream.cursor, last)
      if (chunk.count > 0 && this.write(stream, chunk.text)) this.stats.delivered += chunk.count
    }
    this.position = last
    this.stats.published += rows.length
  }

  private heartbeat() {
    for (const stream of this.streams) if (stream.live) this.write(stream, ': ping\n\n')
  }

  /**
   * Writes, unless the stream already holds more unsent bytes than the budget: then it is
   * disconnected instead (false). So a stream never holds more than the budget plus one slice.
   */
  private write(stream: Stream, text: string): boolean {
    if (stream.closed) return false
    if (stream.res.writableLength > this.opts.maxBufferBytes) {
      this.drop(stream)
      return false
    }
    stream.res.write(text)
    const buffered = stream.res.writableLength
    if (buffered > this.stats.peakBufferedBytes) this.stats.peakBufferedBytes = buffered
    return true
  }

  private drop(stream: Stream) {
    if (stream.closed) return
    this.stats.slowDropped++
    stream.closed = true
    this.streams.delete(stream)
    stream.res.destroy() // what it has not read is gone with the socket; it resumes by id
  }

  /** Ends every stream (their clients reconnect elsewhere) and stops reading. */
  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    for (const t of this.timers) clearInterval(t)
    for (const stream of this.streams) {
      stream.closed = true
      stream.res.end()
    }
    this.streams.clear()
    await this.bus.close()
  }
}

/** Consecutive runs of rows of at most {@link SLICE_BYTES} of data each (one row at least). */
function* slices(rows: OutboxEvent[]): Generator<OutboxEvent[]> {
  let start = 0
  let bytes = 0
  for (let i = 0; i < rows.length; i++) {
    bytes += (rows[i] as OutboxEvent).data.length + 40
    if (bytes > SLICE_BYTES && i > start) {
      yield rows.slice(start, i)
      start = i
      bytes = (rows[i] as OutboxEvent).data.length + 40
    }
  }
  if (start < rows.length) yield rows.slice(start)
}
