/**
 * buildApp(config) → the whole service as a Fastify instance: platform first, then the domain
 * modules. It never listens; tests build exactly this and talk to it with `inject`.
 */
import fs from 'node:fs'
import path from 'node:path'
import cors from '@fastify/cors'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import Fastify, { errorCodes, type FastifyInstance, LogController } from 'fastify'
import type { Redis } from 'ioredis'
import { pino } from 'pino'
import type { Config } from './config.js'
import { registerAuth } from './platform/auth/index.js'
import { createDb, type Db } from './platform/db/index.js'
import { migrateToLatest } from './platform/db/migrate.js'
import { registerDocs } from './platform/docs.js'
import { ProblemSchema, registerErrorHandling } from './platform/errors.js'
import { type HealthCheck, HealthProbe, registerHealthRoutes } from './platform/health.js'
import { genRequestId, lazyChildLoggerFactory, loggerOptions, registerObservability } from './platform/observability.js'
import { PACKAGE_ROOT } from './platform/paths.js'
import { registerRateLimit } from './platform/rate-limit.js'
import { registerSecurityHeaders } from './platform/security-headers.js'
import { createRedis, pingRedis, redisReady } from './platform/redis.js'
import { IngestService } from './modules/aircraft/ingest.js'
import { ingestMetrics } from './modules/aircraft/metrics.js'
import { aircraftRoutes } from './modules/aircraft/routes.js'
import { openSource, sourceUrl } from './modules/aircraft/sources.js'
import { loadDevelopmentBuilds } from './modules/builds/dev-data.js'
import { buildRoutes } from './modules/builds/routes.js'
import { createBuildService } from './modules/builds/service.js'
import { registerIdentity } from './modules/identity/index.js'
import { registerItems } from './modules/items/index.js'
import { stateRoutes } from './modules/state/routes.js'
import { StateService } from './modules/state/service.js'

export interface BuildOptions {
  /** Where log lines go instead of stdout (tests capture them; redaction rules still apply). */
  logStream?: NodeJS.WritableStream
  /** Skip migrations (when `statehouse migrate` already ran). */
  migrate?: boolean
  /** Redis key prefix of the rate-limit counters (tests give each test its own). */
  rateLimitNamespace?: string
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    db: Db
    redis: Redis | undefined
    health: HealthProbe
  }
}

// Bodies are strict (no coercion: "5" is not an integer) and every bad field is named; query strings,
// path params and headers arrive as text, so those are coerced.
const bodyAjv = addFormats.default(new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: true, strict: false }))
const textAjv = addFormats.default(new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: true, strict: false }))

// Log lines go to stdout asynchronously: while one write is in flight the next lines are gathered
// into one write (a synchronous write per access line cost ~10 % of a GET /status). Flushed on close.
// Chunks of at most 4 KiB: the stream measures its last chunk on every line it appends, which at the
// default 16 KiB cost ~4 µs per access line under load, and ~1.7 µs at 4 KiB.
const stdoutLog = pino.destination({ dest: 1, sync: false, maxWrite: 4096 })

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  // A hop count, a boolean, or a comma list of trusted addresses (Fastify takes all three).
  const trustProxy = (
    typeof config.TRUST_PROXY === 'string' && /^\d+$/.test(config.TRUST_PROXY) ? Number(config.TRUST_PROXY) : config.TRUST_PROXY
  ) as boolean
  const app = Fastify({
    logger: { ...loggerOptions(config.LOG_LEVEL), stream: options.logStream ?? stdoutLog },
    childLoggerFactory: lazyChildLoggerFactory,
    logController: new LogController({ disableRequestLogging: true }), // one access line per request, written in onResponse
    genReqId: genRequestId,
    bodyLimit: config.BODY_LIMIT,
    trustProxy,
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>()
  // JSON only (plus forms where a module registers them): text/plain is 415, not a string body.
  app.removeContentTypeParser('text/plain')
  // A body without a Content-Type header is read as JSON (SPEC §8: the reference accepted it, and
  // Python clients posting `data=json.dumps(...)` send none). Fastify hands such a body to the
  // catch-all parser, which therefore also sees every unknown type: those stay 415.
  const json = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    if (request.headers['content-type'] === undefined) return json(request, body as string, done)
    done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined)
  })
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : textAjv).compile(schema))

  const db = createDb(config.database, { poolSize: config.DB_POOL_SIZE, sqliteSynchronous: config.SQLITE_SYNCHRONOUS })
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL, app.log) : undefined
  app.decorate('config', config)
  app.decorate('db', db)
  app.decorate('redis', redis)
  const checks: HealthCheck[] = [{ name: 'database', check: () => db.ping() }]
  if (redis) checks.push({ name: 'redis', check: () => pingRedis(redis) })
  const health = new HealthProbe(checks, config.HEALTH_PROBE_INTERVAL_MS)
  app.decorate('health', health)

  try {
    if (redis) await redisReady(redis) // the first requests use Redis rather than skip it while it connects
    if (options.migrate !== false) await migrateToLatest(db)
    await assemble(app, config, options, { db, redis, health })
  } catch (err) {
    // A start-up that fails (a bad migration, a module refusing its settings) leaves nothing open.
    await db.close().catch(() => {})
    redis?.disconnect()
    throw err
  }
  return app
}

/** Platform, then the domain modules, on an app whose database is migrated. */
async function assemble(
  app: FastifyInstance,
  config: Config,
  options: BuildOptions,
  { db, redis, health }: { db: Db; redis: Redis | undefined; health: HealthProbe },
) {

  const endpoints = new Map<string, string>()
  app.addHook('onRoute', (route) => {
    if (route.schema?.hide || route.method === 'HEAD' || route.url.startsWith('/docs')) return
    for (const method of [route.method].flat()) endpoints.set(`${method} ${route.url}`, route.schema?.summary ?? '')
  })

  registerErrorHandling(app)
  app.addSchema(ProblemSchema)
  registerSecurityHeaders(app, { hsts: config.HSTS }) // its onRoute hook must see every route, docs included
  await registerDocs(app) // before any route, so every route is in the OpenAPI document
  const logStream = options.logStream ?? stdoutLog
  const logsInfo = ['trace', 'debug', 'info'].includes(config.LOG_LEVEL)
  const metrics = registerObservability(app, {
    accessLog: config.REQUEST_LOG && logsInfo ? { write: (line) => logStream.write(line) } : undefined,
    poolStats: () => db.poolStats(),
  })
  if (config.CORS_ORIGINS) {
    await app.register(cors, { origin: config.CORS_ORIGINS.split(',').map((o) => o.trim()) })
  }
  await registerRateLimit(app, { perMinute: config.RATE_LIMIT_PER_MINUTE, redis, nameSpace: options.rateLimitNamespace, registry: metrics.registry })
  registerAuth(app, config.apiKeys)
  registerHealthRoutes(app, health, !!redis)

  const state = new StateService(db)
  const hasUi = fs.existsSync(path.join(PACKAGE_ROOT, 'ui', 'dist', 'index.html'))
  await app.register(stateRoutes, { state, health, endpoints, hasUi })

  await registerIdentity(app, config) // before the other modules: its verifiers serve their routes too
  await registerItems(app, config)

  if (config.ENVIRONMENT === 'development') await loadDevelopmentBuilds(db)
  const builds = await createBuildService(db, {
    ...(redis ? { redis } : {}),
    ttlSeconds: config.CACHE_TTL,
    onCacheError: (err, operation) => app.log.warn({ err, operation }, 'dashboard cache: Redis unavailable, serving from the database'),
  })
  await app.register(buildRoutes, { builds })

  const ingest = new IngestService(db, openSource(sourceUrl(config), config), {
    leaseMs: config.INGEST_LEASE_SECONDS * 1000,
    workers: config.INGEST_WORKERS,
    onProgress: ingestMetrics(metrics.registry),
  })
  await app.register(aircraftRoutes, { db, ingest })
  // Before the server stops waiting for requests: a running job (and a ?wait=true request on it)
  // ends after its current file and releases the lease; onClose then finds it done.
  app.addHook('preClose', async () => ingest.stop())

  app.addHook('onReady', async () => health.start())
  app.addHook('onClose', async () => {
    health.stop()
    await ingest.stop()
    await state.flushed()
    await db.close()
    if (redis) await redis.quit().catch(() => redis.disconnect())
    if (!options.logStream) {
      try {
        stdoutLog.flushSync()
      } catch {
        // a write still in flight finishes on its own before exit
      }
    }
  })
}
