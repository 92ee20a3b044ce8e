/**
 * Request ids, one access-log line per request, and Prometheus metrics. Everything here sits on the
 * hot path, so it is one onRequest and one onResponse hook doing little work each.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from 'prom-client'

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
  registry: Registry
  jobGauge: Gauge
}

export function registerObservability(app: FastifyInstance, opts: { requestLog: boolean }): Metrics {
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
  const jobGauge = new Gauge({
    name: 'statehouse_job_files_done',
    help: 'Files processed by the running ingest job',
    labelNames: ['job_id'],
    registers: [registry],
  })

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const ms = reply.elapsedTime
    requests.inc({ method: request.method, route, status: reply.statusCode })
    latency.observe({ method: request.method, route }, ms / 1000)
    if (opts.requestLog) {
      request.log.info(
        { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(ms * 100) / 100, ip: request.ip },
        'request',
      )
    }
    done()
  })

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', tags: ['health'], hide: false }, config: { rateLimit: false } },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  )
  return { registry, jobGauge }
}
