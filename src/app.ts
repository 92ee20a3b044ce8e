/**
 * buildApp(config) → the whole service as a Fastify instance: platform first, then the domain
 * modules in `modules`. It never listens; tests build exactly this and talk to it with `inject`.
 */
import cors from '@fastify/cors'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import Fastify, { errorCodes, type FastifyInstance, LogController } from 'fastify'
import type { Redis } from 'ioredis'
import { pino } from 'pino'
import type { Config } from './config.js'
import type { Database } from './database.js'
import { aircraftModule } from './modules/aircraft/index.js'
import { buildsModule } from './modules/builds/index.js'
import { eventsModule } from './modules/events/index.js'
import { identityModule } from './modules/identity/index.js'
import { itemsModule } from './modules/items/index.js'
import { stateModule } from './modules/state/index.js'
import { uiModule } from './modules/ui/index.js'
import { registerAuth } from './platform/auth/index.js'
import { createDb, type Db, tablesOf } from './platform/db/index.js'
import { migrateToLatest } from './platform/db/migrate.js'
import { registerDocs } from './platform/docs.js'
import { ProblemSchema, registerErrorHandling } from './platform/errors.js'
import { EventSinkSlot } from './platform/events/sink.js'
import { type HealthCheck, HealthProbe, registerHealthRoutes } from './platform/health.js'
import { connectionOptions } from './platform/http/connections.js'
import { clientErrorHandler, frameworkErrors, registerInputGuards } from './platform/http/input-guards.js'
import { trustProxyOption } from './platform/http/trust-proxy.js'
import type { Module, ModuleContext } from './platform/module.js'
import { genRequestId, lazyChildLoggerFactory, loggerOptions, registerObservability } from './platform/observability.js'
import { registerRateLimit } from './platform/rate-limit.js'
import { createRedis, pingRedis, redisReady } from './platform/redis.js'
import { registerSecurityHeaders } from './platform/security-headers.js'

/**
 * Every domain module, registered in this order. Identity comes before the modules whose routes
 * accept its credentials (items, builds, aircraft): registering it adds the API-token and JWT
 * verifiers to the platform's auth registry, so they are in place before any route that takes them
 * is wired (events' routes look the verifiers up per request). The order is also the order routes
 * appear in GET / and the OpenAPI document (events', then state's index). Migrations do not follow
 * it: they run by name across all modules (platform/db/migrate.ts).
 * Events comes first: its registration installs the outbox behind `ctx.events`, so every module
 * after it (and anything one writes while registering) records its events; and its onClose runs
 * last, after state's queued updates (with their events) have committed.
 */
export const modules: readonly Module[] = [
  eventsModule,
  stateModule,
  identityModule,
  itemsModule,
  buildsModule,
  aircraftModule,
  uiModule, // the dashboard at /ui/: a client of the routes above, no tables
]

export interface BuildOptions {
  /** Where log lines go instead of stdout (tests capture them; redaction rules still apply). */
  logStream?: NodeJS.WritableStream
  /** Skip migrations (when `statehouse migrate` already ran). */
  migrate?: boolean
  /** Redis key prefix of the rate-limit counters (tests give each test its own). */
  rateLimitNamespace?: string
  /** Characters of access lines held while the log stream is busy before lines are dropped (default 1 MiB). */
  accessLogBufferChars?: number
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    /** Typed for every table, for tests and tooling; modules use `ModuleContext.db` and their own tables. */
    db: Db<Database>
    redis: Redis | undefined
    health: HealthProbe
  }
}

// Bodies are strict (no coercion: "5" is not an integer) and every bad field is named; query strings,
// path params and headers arrive as text, so those are coerced.
const bodyAjv = addFormats.default(
  new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: true, strict: false }),
)
const textAjv = addFormats.default(
  new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: true, strict: false }),
)

// Log lines go to stdout asynchronously: while one write is in flight the next lines are gathered
// into one write (a synchronous write per access line cost ~10 % of a GET /status). Flushed on close.
// Chunks of at most 4 KiB: the stream measures its last chunk on every line it appends, which at the
// default 16 KiB cost ~4 µs per access line under load, and ~1.7 µs at 4 KiB.
const stdoutLog = pino.destination({ dest: 1, sync: false, maxWrite: 4096 })

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  // A hop count (as a trust function: Fastify trusts nothing for a bare number), addresses, or a boolean.
  const trustProxy = trustProxyOption(config.TRUST_PROXY)
  const app = Fastify({
    logger: { ...loggerOptions(config.LOG_LEVEL), stream: options.logStream ?? stdoutLog },
    childLoggerFactory: lazyChildLoggerFactory,
    logController: new LogController({ disableRequestLogging: true }), // one access line per request, written in onResponse
    genReqId: genRequestId,
    bodyLimit: config.BODY_LIMIT,
    trustProxy,
    routerOptions: { ignoreTrailingSlash: true },
    // The router's and Node's own refusals (bad URL, long parameter, 431) as problem+json too.
    frameworkErrors,
    clientErrorHandler,
    ...connectionOptions(config),
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

  const db = createDb(config.database, {
    poolSize: config.DB_POOL_SIZE,
    sqliteSynchronous: config.SQLITE_SYNCHRONOUS,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
  })
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL, app.log) : undefined
  app.decorate('config', config)
  app.decorate('db', tablesOf<Database>(db))
  app.decorate('redis', redis)
  const checks: HealthCheck[] = [{ name: 'database', check: () => db.ping() }]
  if (redis) checks.push({ name: 'redis', check: () => pingRedis(redis) })
  const health = new HealthProbe(checks, config.HEALTH_PROBE_INTERVAL_MS)
  app.decorate('health', health)

  try {
    if (redis) await redisReady(redis) // the first requests use Redis rather than skip it while it connects
    if (options.migrate !== false) await migrateToLatest(db, modules)
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
  registerInputGuards(app)
  app.addSchema(ProblemSchema)
  registerSecurityHeaders(app, { hsts: config.HSTS }) // its onRoute hook must see every route, docs included
  await registerDocs(app) // before any route, so every route is in the OpenAPI document
  const logStream = options.logStream ?? stdoutLog
  const logsInfo = ['trace', 'debug', 'info'].includes(config.LOG_LEVEL)
  const metrics = registerObservability(app, {
    accessLog: config.REQUEST_LOG && logsInfo ? logStream : undefined,
    accessLogOptions: { maxBufferedChars: options.accessLogBufferChars },
    poolStats: () => db.poolStats(),
    metricsAccess: { token: config.METRICS_TOKEN, required: config.ENVIRONMENT === 'production' },
  })
  if (config.CORS_ORIGINS) {
    await app.register(cors, { origin: config.CORS_ORIGINS.split(',').map((o) => o.trim()) })
  }
  await registerRateLimit(app, {
    perMinute: config.RATE_LIMIT_PER_MINUTE,
    redis,
    nameSpace: options.rateLimitNamespace,
    registry: metrics.registry,
  })
  registerAuth(app, config.apiKeys)
  registerHealthRoutes(app, health, !!redis)

  app.addHook('onReady', async () => health.start())
  // Registered before the modules: onClose hooks run last-registered first, so every module's own
  // (the ingest job stopping, queued state updates committing) finishes before the database closes.
  app.addHook('onClose', async () => {
    health.stop()
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

  const context: ModuleContext = { config, db, redis, health, metrics, endpoints, events: new EventSinkSlot() }
  for (const module of modules) await module.register(app, context)
}
