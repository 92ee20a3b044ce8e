/**
 * Request ids, one access-log line per request, and Prometheus metrics. Everything here sits on the
 * hot path, so it is one onRequest and one onResponse hook doing little work each.
 */
import { randomUUID } from 'node:crypto'
import os from 'node:os'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Bindings, ChildLoggerOptions } from 'pino'
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

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
  /** Modules register their own metrics here (e.g. the ingest job gauge). */
  registry: Registry
}

export function registerObservability(app: FastifyInstance, opts: { accessLog?: { write(line: string): unknown } }): Metrics {
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

  // prom-client hashes the label set on every call; the per-route children are looked up once.
  const children = new Map<string, { latency: ReturnType<Histogram['labels']>; byStatus: Map<number, ReturnType<Counter['labels']>> }>()
  const access = opts.accessLog
  const hostname = os.hostname()

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
    if (access) {
      // One access line per request, in pino's format, written straight to the log stream: going
      // through a per-request pino child logger cost more than the rest of a GET /status.
      access.write(
        `{"level":30,"time":${Date.now()},"pid":${process.pid},"hostname":${JSON.stringify(hostname)},"reqId":${JSON.stringify(request.id)},` +
          `"method":"${request.method}","url":${JSON.stringify(request.url)},"status":${status},"ms":${Math.round(ms * 100) / 100},` +
          `"ip":${JSON.stringify(request.ip)},"msg":"request"}\n`,
      )
    }
    done()
  })

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', tags: ['health'], hide: false }, config: { rateLimit: false } },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  )
  return { registry }
}

/**
 * Fastify makes a pino child logger for every request, whether or not the request logs anything.
 * This factory hands out a stand-in that makes the real child only when a line is written.
 */
export function lazyChildLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, opts: ChildLoggerOptions): FastifyBaseLogger {
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
