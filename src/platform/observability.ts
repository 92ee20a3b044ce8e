/**
 * Request ids, one access-log line per request, and Prometheus metrics. Everything here sits on the
 * hot path, so it is one onRequest and one onResponse hook doing little work each; access lines are
 * batched into a bounded buffer (AccessLog) rather than written one by one.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'
import os from 'node:os'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Bindings, ChildLoggerOptions } from 'pino'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { problems } from './errors.js'
import { errors } from './http/problem-responses.js'

const REQUEST_ID = /^[\w.:-]{1,128}$/

export function loggerOptions(level: string) {
  return {
    level,
    // Credentials never reach a log line, whatever a handler logs.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers.cookie',
        'headers.authorization',
        'headers["x-api-key"]',
        '*.password',
        '*.token',
        '*.access_token',
        '*.password_hash',
        '*.token_hash',
      ],
      censor: '[redacted]',
    },
  }
}

/** An incoming `X-Request-Id` is kept if it looks like an id; otherwise a new UUID. */
export function genRequestId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const incoming = req.headers['x-request-id']
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID()
}

export interface Metrics {
  /** Modules add their own series here (every label value bounded: no ids, no user input). */
  registry: Registry
}

/** The database's connections as /metrics reports them. */
export interface PoolStats {
  /** Connections open now (idle or in use). */
  size: number
  idle: number
  /** Queries waiting for a connection. */
  waiting: number
  /** The most connections the pool opens. */
  max: number
}

/** Where access lines go: a pino destination (sonic-boom) or any Node writable. */
export interface AccessLogDestination {
  /** False asks the writer to wait for 'drain' before writing again. */
  write(chunk: string): boolean
  once(event: 'drain', listener: () => void): unknown
}

export interface AccessLogOptions {
  /** Most characters of lines held while the destination is busy; past it, lines are dropped and counted. */
  maxBufferedChars?: number
  /** A batch this large is written at once instead of at the end of the event-loop turn. */
  flushChars?: number
  /** Told how many lines were dropped (the /metrics counter). */
  onDrop?: (lines: number) => void
}

/**
 * Access lines, batched: a turn of the event loop's lines go to the destination in one write, and
 * while the destination has not drained its last batch (a slow disk, a stalled pipe) new lines wait
 * here, up to `maxBufferedChars`. Past that they are dropped and counted, never queued without bound
 * and never written synchronously: a log that cannot keep up costs lines, not memory or latency.
 */
export class AccessLog {
  private lines: string[] = []
  private chars = 0
  private waitingForDrain = false
  private flushScheduled = false
  private readonly maxBufferedChars: number
  private readonly flushChars: number
  private readonly onDrop: (lines: number) => void
  private readonly flushSoon = () => {
    this.flushScheduled = false
    this.flush()
  }
  private readonly drained = () => {
    this.waitingForDrain = false
    this.flush()
  }

  constructor(
    private readonly destination: AccessLogDestination,
    opts: AccessLogOptions = {},
  ) {
    this.maxBufferedChars = opts.maxBufferedChars ?? 1 << 20
    this.flushChars = opts.flushChars ?? 64 * 1024
    this.onDrop = opts.onDrop ?? (() => {})
  }

  /** Characters waiting to be written (bounded by maxBufferedChars). */
  get buffered(): number {
    return this.chars
  }

  write(line: string): void {
    if (this.chars + line.length > this.maxBufferedChars) {
      this.onDrop(1)
      return
    }
    this.lines.push(line)
    this.chars += line.length
    if (this.waitingForDrain) return
    if (this.chars >= this.flushChars) this.flush()
    else if (!this.flushScheduled) {
      this.flushScheduled = true
      setImmediate(this.flushSoon)
    }
  }

  /** Hands the held lines to the destination unless it is still busy (or `force`: at close). */
  flush(force = false): void {
    if (this.chars === 0 || (this.waitingForDrain && !force)) return
    const chunk = this.lines.length === 1 ? (this.lines[0] as string) : this.lines.join('')
    this.lines = []
    this.chars = 0
    if (!this.destination.write(chunk) && !this.waitingForDrain) {
      this.waitingForDrain = true
      this.destination.once('drain', this.drained)
    }
  }
}

/** Values a response's `X-Cache` header may carry (src/platform/cache.ts); others are not counted. */
const CACHE_OUTCOMES = new Set(['hit', 'miss', 'bypass'])

export function registerObservability(
  app: FastifyInstance,
  opts: {
    accessLog?: AccessLogDestination
    accessLogOptions?: AccessLogOptions
    poolStats?: () => PoolStats
    /** Who may read /metrics: a bearer token, and whether one is required (production) when unset. */
    metricsAccess?: { token?: string; required: boolean }
  },
): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  // A route that answers from a cache says so in X-Cache (the build dashboards do); counting it here
  // keeps the cache itself free of metrics. Labels: the route template and one of three outcomes.
  const cacheLookups = new Counter({
    name: 'statehouse_cache_requests_total',
    help: 'Responses of cached views by route and outcome (hit, miss, bypass: Redis away or caching off)',
    labelNames: ['route', 'outcome'],
    registers: [registry],
  })
  const poolStats = opts.poolStats
  if (poolStats) {
    const poolGauge = (name: string, help: string, pick: (s: PoolStats) => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(pick(poolStats()))
        },
      })
    poolGauge('statehouse_db_pool_size', 'Database connections open (SQLite: its one connection)', (s) => s.size)
    poolGauge('statehouse_db_pool_idle', 'Database connections open and idle', (s) => s.idle)
    poolGauge('statehouse_db_pool_waiting', 'Queries waiting for a database connection', (s) => s.waiting)
    poolGauge(
      'statehouse_db_pool_max',
      'Most database connections the pool opens (DB_POOL_SIZE; SQLite: 1)',
      (s) => s.max,
    )
  }

  // prom-client hashes the label set on every call; the per-route children are looked up once.
  const children = new Map<
    string,
    { latency: ReturnType<Histogram['labels']>; byStatus: Map<number, ReturnType<Counter['labels']>> }
  >()
  const dropped = new Counter({
    name: 'statehouse_log_lines_dropped_total',
    help: 'Access-log lines dropped because the log destination could not keep up',
    registers: [registry],
  })
  const access = opts.accessLog
    ? new AccessLog(opts.accessLog, { ...opts.accessLogOptions, onDrop: (n) => dropped.inc(n) })
    : undefined
  if (access)
    app.addHook('preClose', (done) => {
      access.flush(true)
      done()
    })
  // Everything in a line before "time" and between "time" and "reqId" is the same for the process.
  const linePrefix = '{"level":30,"time":'
  const afterTime = `,"pid":${process.pid},"hostname":${JSON.stringify(os.hostname())},"reqId":`

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const ms = reply.elapsedTime
    const status = reply.statusCode
    const key = `${request.method} ${route}`
    let child = children.get(key)
    if (!child) {
      child = { latency: latency.labels(request.method, route), byStatus: new Map() }
      children.set(key, child)
    }
    let counter = child.byStatus.get(status)
    if (!counter) {
      counter = requests.labels(request.method, route, String(status))
      child.byStatus.set(status, counter)
    }
    counter.inc()
    child.latency.observe(ms / 1000)
    const cached = reply.getHeader('x-cache')
    if (typeof cached === 'string' && CACHE_OUTCOMES.has(cached)) cacheLookups.labels(route, cached).inc()
    if (access) {
      // One access line per request, in pino's format, written straight to the log stream: going
      // through a per-request pino child logger cost more than the rest of a GET /status.
      access.write(
        `${linePrefix}${Date.now()}${afterTime}${JSON.stringify(request.id)},"method":"${request.method}",` +
          `"url":${JSON.stringify(request.url)},"status":${status},"ms":${Math.round(ms * 100) / 100},` +
          `"ip":${JSON.stringify(request.ip)},"msg":"request"}\n`,
      )
    }
    done()
  })

  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'getMetrics',
        summary: 'Prometheus metrics',
        tags: ['health'],
        response: {
          200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
          ...errors(401, 403),
        },
      },
      config: { rateLimit: false },
    },
    async (request, reply) => {
      checkMetricsAccess(request.headers.authorization, opts.metricsAccess)
      return reply.type(registry.contentType).send(await registry.metrics())
    },
  )
  return { registry }
}

/**
 * Fastify makes a pino child logger for every request, whether or not the request logs anything.
 * This factory hands out a stand-in that makes the real child only when a line is written.
 */
export function lazyChildLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  opts: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, opts) as unknown as FastifyBaseLogger
}

class LazyChildLogger {
  private real: FastifyBaseLogger | undefined
  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly opts: ChildLoggerOptions,
  ) {}
  get level() {
    return this.parent.level
  }
  private get logger(): FastifyBaseLogger {
    this.real ??= this.parent.child(this.bindings, this.opts)
    return this.real
  }
  child(bindings: Bindings, opts?: ChildLoggerOptions) {
    return this.logger.child(bindings, opts)
  }
  fatal(...args: unknown[]) {
    ;(this.logger.fatal as (...a: unknown[]) => void)(...args)
  }
  error(...args: unknown[]) {
    ;(this.logger.error as (...a: unknown[]) => void)(...args)
  }
  warn(...args: unknown[]) {
    ;(this.logger.warn as (...a: unknown[]) => void)(...args)
  }
  info(...args: unknown[]) {
    ;(this.logger.info as (...a: unknown[]) => void)(...args)
  }
  debug(...args: unknown[]) {
    ;(this.logger.debug as (...a: unknown[]) => void)(...args)
  }
  trace(...args: unknown[]) {
    ;(this.logger.trace as (...a: unknown[]) => void)(...args)
  }
  silent() {}
}

/**
 * METRICS_TOKEN guards /metrics (Authorization: Bearer <token>, compared in constant time). In
 * production without one, /metrics is closed: it names routes, pools and limits an attacker should
 * not read.
 */
function checkMetricsAccess(
  authorization: string | undefined,
  access: { token?: string; required: boolean } | undefined,
) {
  if (!access) return
  if (access.token === undefined) {
    if (access.required) throw problems.forbidden('/metrics is closed in production until METRICS_TOKEN is set')
    return
  }
  const presented = createHash('sha256')
    .update(authorization?.replace(/^bearer\s+/i, '') ?? '')
    .digest()
  const expected = createHash('sha256').update(access.token).digest()
  if (!/^bearer\s+/i.test(authorization ?? '') || !timingSafeEqual(presented, expected)) {
    throw problems.unauthorized('send the METRICS_TOKEN as Authorization: Bearer <token>', 'Bearer')
  }
}
