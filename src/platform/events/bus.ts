/**
 * Wake-ups between replicas: after a commit, every process's reader should look at the outbox now.
 * A message carries nothing but the hint; the outbox, read by id, is the truth, so a lost message
 * (Redis reconnecting, a LISTEN connection dropping) only delays delivery until the next poll.
 * Redis pub/sub when REDIS_URL is set, PostgreSQL LISTEN/NOTIFY on PostgreSQL without Redis,
 * in-process otherwise (one process is the only writer of a SQLite file here).
 */
import type { Redis } from 'ioredis'
import pg from 'pg'

export interface WakeBus {
  readonly kind: 'redis' | 'postgresql' | 'in-process'
  /** This process committed events: wake its own reader at once and tell the other replicas. */
  notify(): void
  /** Starts listening; `wake` runs on every hint, and after a lost connection comes back (to backfill). */
  start(wake: () => void): Promise<void>
  close(): Promise<void>
}

export interface WakeBusOptions {
  redis?: Redis | undefined
  /** Set on PostgreSQL: the LISTEN connection's database (NOTIFY is scoped to one database). */
  postgresUrl?: string | undefined
  /** Redis channel; a shared name across deployments only costs spurious polls. */
  channel: string
  /** Told once when the cross-replica link goes and once when it returns. */
  onLinkChange?: (up: boolean, reason?: string) => void
}

export function createWakeBus(opts: WakeBusOptions): WakeBus {
  if (opts.redis) return new RedisWakeBus(opts.redis, opts.channel, opts.onLinkChange)
  if (opts.postgresUrl) return new PostgresWakeBus(opts.postgresUrl, opts.onLinkChange)
  return new InProcessWakeBus()
}

class InProcessWakeBus implements WakeBus {
  readonly kind = 'in-process' as const
  private wake: () => void = () => {}
  notify() {
    this.wake()
  }
  async start(wake: () => void) {
    this.wake = wake
  }
  async close() {}
}

class RedisWakeBus implements WakeBus {
  readonly kind = 'redis' as const
  private wake: () => void = () => {}
  private subscriber: Redis | undefined
  private closed = false

  constructor(
    private readonly publisher: Redis,
    private readonly channel: string,
    private readonly onLinkChange?: (up: boolean, reason?: string) => void,
  ) {}

  notify() {
    this.wake()
    // Fire and forget: the shared client fails fast when Redis is away, and the poll covers it.
    this.publisher.publish(this.channel, '1').catch(() => {})
  }

  async start(wake: () => void) {
    this.wake = wake
    // Subscribed connections can issue nothing else: a dedicated one. It subscribes on every 'ready'
    // itself, not through ioredis's autoResubscribe: that SUBSCRIBE has no handler, so a connection
    // lost again before its reply (a flapping Redis) rejects it unhandled, which ends the process.
    // Once subscribed, the reader is woken to backfill whatever was published meanwhile.
    const sub = this.publisher.duplicate({
      enableOfflineQueue: true,
      commandTimeout: undefined,
      lazyConnect: true,
      autoResubscribe: false,
    })
    this.subscriber = sub
    let up = false
    const linkDown = (reason: string) => {
      if (up && !this.closed) this.onLinkChange?.(false, reason)
      up = false
    }
    sub.on('error', (err: Error) => linkDown(err.message))
    sub.on('close', () => linkDown('connection closed'))
    sub.on('ready', () => {
      sub.subscribe(this.channel).then(
        () => {
          if (!up) this.onLinkChange?.(true)
          up = true
          wake()
        },
        // Lost again before the reply: the next 'ready' subscribes; polls deliver meanwhile.
        () => {},
      )
    })
    sub.on('message', () => wake())
    // Not awaited: a Redis that accepts but never answers would hold start-up forever. Redis away
    // at start-up: it keeps retrying, and polls deliver until it is subscribed.
    sub.connect().catch(() => {})
  }

  async close() {
    this.closed = true
    this.subscriber?.disconnect()
  }
}

const PG_CHANNEL = 'statehouse_events'

class PostgresWakeBus implements WakeBus {
  readonly kind = 'postgresql' as const
  private wake: () => void = () => {}
  private client: pg.Client | undefined
  private closed = false
  private retry: NodeJS.Timeout | undefined

  constructor(
    private readonly url: string,
    private readonly onLinkChange?: (up: boolean, reason?: string) => void,
  ) {}

  notify() {
    this.wake()
    this.client?.query(`select pg_notify('${PG_CHANNEL}', '')`).catch(() => {})
  }

  async start(wake: () => void) {
    this.wake = wake
    await this.connect()
  }

  /** One LISTEN connection outside the pool; reconnects every second while it is lost. */
  private async connect() {
    if (this.closed) return
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5000 })
    const lost = (reason: string) => {
      if (this.client === client) {
        this.client = undefined
        this.onLinkChange?.(false, reason)
      }
      client.end().catch(() => {})
      if (!this.closed && !this.retry) {
        this.retry = setTimeout(() => {
          this.retry = undefined
          void this.connect()
        }, 1000)
        this.retry.unref()
      }
    }
    client.on('error', (err) => lost(err.message))
    client.on('end', () => lost('connection ended'))
    client.on('notification', () => this.wake())
    try {
      await client.connect()
      await client.query(`listen ${PG_CHANNEL}`)
      if (this.closed) {
        await client.end()
        return
      }
      this.client = client
      this.onLinkChange?.(true)
      this.wake() // whatever committed while it was away
    } catch (err) {
      lost((err as Error).message)
    }
  }

  async close() {
    this.closed = true
    clearTimeout(this.retry)
    const client = this.client
    this.client = undefined
    await client?.end().catch(() => {})
  }
}
