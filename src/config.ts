/**
 * Every environment variable statehouse reads, in one TypeBox schema. `loadConfig()` runs once at
 * start-up, applies defaults, coerces strings, and throws a `ConfigError` naming each bad key; the
 * resulting object is passed down explicitly (nothing else reads `process.env`).
 */
import fs from 'node:fs'
import path from 'node:path'
import util from 'node:util'
import { type Static, Type } from 'typebox'
import Value from 'typebox/value'
import { trustProxyProblem } from './platform/http/trust-proxy.js'

const Bool = Type.Boolean()

export const ConfigSchema = Type.Object({
  ENVIRONMENT: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
    description: 'development loads demo data and generates missing secrets; production requires them',
  }),
  HOST: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'address to listen on (default: 0.0.0.0 when ENVIRONMENT=production, else 127.0.0.1)',
    }),
  ),
  PORT: Type.Integer({ default: 5000, minimum: 0, maximum: 65535, description: 'port to listen on' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'pino log level' },
  ),
  DATA_DIR: Type.String({ default: './data', description: 'folder for the SQLite file and generated secrets' }),
  DATABASE_URL: Type.Optional(
    Type.String({ description: 'postgres://…, sqlite:path, sqlite:///abs, sqlite::memory: or a bare path' }),
  ),
  DATABASE_TYPE: Type.Union([Type.Literal('auto'), Type.Literal('sqlite'), Type.Literal('postgresql')], {
    default: 'auto',
    description: 'force the engine instead of inferring it from DATABASE_URL',
  }),
  DB_HOST: Type.Optional(Type.String({ description: 'PostgreSQL host, used when DATABASE_URL is unset' })),
  DB_PORT: Type.Integer({ default: 5432, minimum: 1, maximum: 65535 }),
  DB_USER: Type.String({ default: 'postgres' }),
  DB_PASSWORD: Type.Optional(Type.String()),
  DB_NAME: Type.String({ default: 'statehouse' }),
  DB_POOL_SIZE: Type.Integer({ default: 10, minimum: 1, maximum: 200, description: 'PostgreSQL pool size' }),
  DB_CONNECT_TIMEOUT_MS: Type.Integer({
    default: 5000,
    minimum: 100,
    maximum: 60000,
    description: 'longest wait for a PostgreSQL connection (connecting, or a free one in the pool)',
  }),
  DB_STATEMENT_TIMEOUT_MS: Type.Integer({
    default: 5000,
    minimum: 100,
    maximum: 600000,
    description: 'PostgreSQL statement_timeout (also idle-in-transaction); a connection silent 1 s longer is dropped',
  }),
  WRITE_DEADLINE_MS: Type.Integer({
    default: 10000,
    minimum: 100,
    maximum: 600000,
    description: 'longest a batch of state updates may take to commit before its requests get 503',
  }),
  HTTP_REQUEST_TIMEOUT_MS: Type.Integer({
    default: 30000,
    minimum: 1000,
    maximum: 600000,
    description: 'longest a request (headers and body) may take to arrive; then 408 and the socket closes',
  }),
  HTTP_HEADERS_TIMEOUT_MS: Type.Integer({
    default: 10000,
    minimum: 1000,
    maximum: 600000,
    description: 'longest the request headers may take to arrive',
  }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: Type.Integer({
    default: 30000,
    minimum: 1000,
    maximum: 600000,
    description: "idle keep-alive sockets close after this (keep it above a load balancer's idle timeout)",
  }),
  MAX_CONNECTIONS: Type.Integer({
    default: 10000,
    minimum: 1,
    description: 'open client connections at most; one more is answered 503 and closed',
  }),
  METRICS_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      description: 'bearer token GET /metrics needs; with ENVIRONMENT=production and no token, /metrics is 403',
    }),
  ),
  SQLITE_SYNCHRONOUS: Type.Union([Type.Literal('FULL'), Type.Literal('NORMAL')], {
    default: 'FULL',
    description: 'FULL: an acknowledged write survives power loss; NORMAL: survives a process crash only',
  }),
  REDIS_URL: Type.Optional(
    Type.String({ description: 'redis://… shares rate limits, cache and events across replicas' }),
  ),
  API_KEY: Type.Optional(Type.String({ minLength: 1, description: 'static API key with every scope' })),
  API_KEYS: Type.Optional(Type.String({ description: 'comma-separated static API keys' })),
  BODY_LIMIT: Type.Integer({ default: 65536, minimum: 1024, description: 'largest request body in bytes' }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({
    default: 1000,
    minimum: 0,
    description: 'global per-client limit; 0 disables',
  }),
  TRUST_PROXY: Type.Union([Bool, Type.String()], {
    default: false,
    description: 'true, false, a hop count, or a comma list of trusted proxy addresses (X-Forwarded-For)',
  }),
  HSTS: Type.Boolean({
    default: false,
    description:
      'send HSTS and upgrade-insecure-requests even on plain-HTTP requests (TLS ends before an untrusted proxy); otherwise only requests that came over TLS get them',
  }),
  CORS_ORIGINS: Type.Optional(Type.String({ description: 'comma-separated allowed origins; CORS is off when unset' })),
  REQUEST_LOG: Type.Boolean({ default: true, description: 'one access-log line per request' }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({
    default: 10000,
    minimum: 0,
    description: 'how long in-flight requests may finish',
  }),
  HEALTH_PROBE_INTERVAL_MS: Type.Integer({ default: 2000, minimum: 100, maximum: 5000 }),
  CACHE_TTL: Type.Integer({
    default: 300,
    minimum: 0,
    description: 'seconds a dashboard view stays cached (Redis when configured); 0 disables',
  }),
  JWT_SECRET: Type.Optional(
    Type.String({
      minLength: 32,
      description: 'HS256 key of issued JWTs (aliases JWT_SECRET_KEY, SECRET_KEY); required in production',
    }),
  ),
  JWT_ACCESS_TOKEN_EXPIRE_MINUTES: Type.Integer({ default: 30, minimum: 1, description: 'lifetime of an issued JWT' }),
  ADMIN_USERNAME: Type.Optional(
    Type.String({ minLength: 1, maxLength: 100, description: 'bootstrap superuser, created at start if absent' }),
  ),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 1, description: 'password of ADMIN_USERNAME' })),
  IDM_JWKS_URL: Type.Optional(Type.String({ description: 'JWKS of the OIDC identity provider behind POST /auth/idm' })),
  IDM_ISSUER: Type.Optional(Type.String({ description: 'expected iss of IDM tokens' })),
  IDM_AUDIENCE: Type.Optional(Type.String({ description: 'expected aud of IDM tokens' })),
  ITEMS_RATE_LIMIT_PER_MINUTE: Type.Integer({
    default: 60,
    minimum: 0,
    description: 'per-client limit on /items*; 0 disables',
  }),
  LOGIN_RATE_LIMIT_PER_MINUTE: Type.Integer({
    default: 5,
    minimum: 0,
    description: 'per-client limit on each login route; 0 disables',
  }),
  AIRCRAFT_SOURCE: Type.Optional(
    Type.String({
      pattern: '^(file:.+|s3://[^/]+(/.*)?)$',
      description: 'file:./path or s3://bucket/prefix (default: S3_BUCKET, else the sample folder)',
    }),
  ),
  S3_BUCKET: Type.Optional(Type.String({ description: 'bucket of aircraft files when AIRCRAFT_SOURCE is unset' })),
  S3_PREFIX: Type.String({ default: '', description: 'prefix inside S3_BUCKET' }),
  S3_ENDPOINT: Type.Optional(
    Type.String({ description: 'endpoint of an S3-compatible server (path-style addressing)' }),
  ),
  AWS_REGION: Type.String({ default: 'us-east-1', description: 'region of the bucket' }),
  INGEST_LEASE_SECONDS: Type.Number({
    default: 30,
    minimum: 0.2,
    description: 'how long a dead ingest process blocks the next job',
  }),
  INGEST_WORKERS: Type.Integer({
    default: 0,
    minimum: 0,
    maximum: 64,
    description: 'parser threads; 0 = one per core but one',
  }),
  EVENTS_RETENTION: Type.String({
    default: '24h',
    pattern: '^\\d+(\\.\\d+)?[smhd]?$',
    description: 'how far back GET /events resumes by Last-Event-ID (24h, 90m, 3600 = seconds); older: reset',
  }),
  EVENTS_HEARTBEAT_MS: Type.Integer({
    default: 15000,
    minimum: 10,
    description: 'a `: ping` comment on every event stream this often (keep proxy read timeouts above it)',
  }),
  EVENTS_POLL_MS: Type.Integer({
    default: 1000,
    minimum: 10,
    description: 'safety poll of the outbox, so events arrive even when every wake-up message is lost',
  }),
  EVENTS_RETRY_MS: Type.Integer({ default: 3000, minimum: 0, description: 'the retry: hint sent to stream clients' }),
  EVENTS_MAX_SUBSCRIBERS: Type.Integer({
    default: 10000,
    minimum: 0,
    description: 'event streams per process; past that GET /events is 503 with Retry-After',
  }),
  EVENTS_MAX_BUFFER_BYTES: Type.Integer({
    default: 1048576,
    minimum: 1024,
    description: 'unsent bytes a slow stream may hold before it is disconnected (it resumes by id)',
  }),
  EVENTS_CHANNEL: Type.String({
    default: 'statehouse:events',
    minLength: 1,
    description: 'Redis pub/sub channel of the events wake-ups (one per deployment sharing a Redis)',
  }),
})

export type Config = Static<typeof ConfigSchema> & {
  /** Resolved from HOST, else the environment's default. */
  HOST: string
  /** Resolved engine and connection string (derived from DATABASE_URL / DB_*). */
  database: DatabaseTarget
  /** Static API keys from API_KEY and API_KEYS. */
  apiKeys: string[]
}

export type DatabaseTarget = { engine: 'sqlite'; filename: string } | { engine: 'postgresql'; url: string }

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`)
    this.name = 'ConfigError'
  }
}

/** sysexits.h EX_CONFIG: the exit code of every command that stops on a configuration error. */
export const EXIT_CONFIG = 78

/** Keys whose values never appear in an error message (connection URLs appear redacted). */
const SECRET_KEYS = new Set(['API_KEY', 'API_KEYS', 'JWT_SECRET', 'DB_PASSWORD', 'ADMIN_PASSWORD', 'METRICS_TOKEN'])
const URL_KEYS = new Set(['DATABASE_URL', 'REDIS_URL'])

const BOOLEAN_WORDS: Record<string, boolean> = { true: true, '1': true, yes: true, false: false, '0': false, no: false }

/** How a bad value is shown in an error: secrets by length only, URLs without their password. */
function shown(key: string, value: unknown): string {
  if (SECRET_KEYS.has(key))
    return typeof value === 'string' ? `a value of ${value.length} characters` : 'a hidden value'
  if (URL_KEYS.has(key) && typeof value === 'string') return JSON.stringify(redactUrl(value))
  return JSON.stringify(value)
}

/** Reads, defaults, coerces and validates the environment. Throws ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key]
    if (value !== undefined && value !== '') raw[key] = value
  }
  // Aliases the reference services used.
  for (const [alias, key] of [
    ['DB_URL', 'DATABASE_URL'],
    ['JWT_SECRET_KEY', 'JWT_SECRET'],
    ['SECRET_KEY', 'JWT_SECRET'],
  ] as const) {
    if (raw[key] === undefined && env[alias]) raw[key] = env[alias]
  }
  // Digits are a hop count ("1": trust the one proxy in front), never the boolean words "1"/"0".
  if (
    typeof raw.TRUST_PROXY === 'string' &&
    !/^\d+$/.test(raw.TRUST_PROXY) &&
    raw.TRUST_PROXY.toLowerCase() in BOOLEAN_WORDS
  ) {
    raw.TRUST_PROXY = BOOLEAN_WORDS[raw.TRUST_PROXY.toLowerCase()]
  }
  for (const key of ['REQUEST_LOG', 'HSTS']) {
    const value = raw[key]
    if (typeof value === 'string' && value.toLowerCase() in BOOLEAN_WORDS) raw[key] = BOOLEAN_WORDS[value.toLowerCase()]
  }
  if (typeof raw.SQLITE_SYNCHRONOUS === 'string') raw.SQLITE_SYNCHRONOUS = raw.SQLITE_SYNCHRONOUS.toUpperCase()
  const withDefaults = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, raw)) as Record<string, unknown>
  // Checked key by key so every bad key is named once, with the values it may take.
  const problems: string[] = []
  const bad = new Set<string>()
  for (const [key, schema] of Object.entries(ConfigSchema.properties)) {
    const value = withDefaults[key]
    if (value === undefined || Value.Check(schema, value)) continue
    const choices =
      'anyOf' in schema
        ? (schema.anyOf as { const?: unknown }[]).map((s) => s.const).filter((c) => c !== undefined)
        : []
    const first = [...Value.Errors(schema, value)][0]
    const message = choices.length > 0 ? `must be one of ${choices.join(', ')}` : (first?.message ?? 'is invalid')
    problems.push(`${key}: ${message} (got ${shown(key, raw[key])})`)
    bad.add(key)
  }
  const base = withDefaults as Static<typeof ConfigSchema>

  // The rules across keys run even when some key is bad, so one run names every problem.
  const apiKeys = [base.API_KEY, ...(typeof base.API_KEYS === 'string' ? base.API_KEYS : '').split(',')]
    .map((k) => (typeof k === 'string' ? k.trim() : ''))
    .filter((k) => k !== '')
  let database: DatabaseTarget | undefined
  if (!['DATABASE_URL', 'DATABASE_TYPE', 'DATA_DIR', 'DB_HOST', 'DB_USER', 'DB_NAME'].some((k) => bad.has(k))) {
    try {
      database = resolveDatabase(base)
    } catch (err) {
      problems.push((err as Error).message)
    }
  }
  if (typeof base.TRUST_PROXY === 'string' && !bad.has('TRUST_PROXY')) {
    const why = trustProxyProblem(base.TRUST_PROXY)
    if (why) problems.push(`TRUST_PROXY: ${why} (use true, false, a hop count, or addresses/CIDRs separated by commas)`)
  }
  if (base.ENVIRONMENT === 'production') {
    if (apiKeys.length === 0) problems.push('API_KEY: required when ENVIRONMENT=production (or set API_KEYS)')
    if (base.JWT_SECRET === undefined)
      problems.push(
        'JWT_SECRET: required when ENVIRONMENT=production (at least 32 bytes; aliases JWT_SECRET_KEY, SECRET_KEY)',
      )
  }
  if (problems.length > 0 || !database) throw new ConfigError(problems)
  const HOST = base.HOST ?? (base.ENVIRONMENT === 'production' ? '0.0.0.0' : '127.0.0.1')
  return { ...base, HOST, database, apiKeys }
}

/** Applies the SPEC's DATABASE_URL / DATABASE_TYPE / DB_* rules. */
function resolveDatabase(c: Static<typeof ConfigSchema>): DatabaseTarget {
  let url = c.DATABASE_URL
  if (!url && c.DB_HOST) {
    const auth = encodeURIComponent(c.DB_USER) + (c.DB_PASSWORD ? `:${encodeURIComponent(c.DB_PASSWORD)}` : '')
    url = `postgresql://${auth}@${c.DB_HOST}:${c.DB_PORT}/${encodeURIComponent(c.DB_NAME)}`
  }
  url ??= `sqlite:${c.DATA_DIR.replace(/\/$/, '')}/statehouse.db`
  // A scheme of two or more letters that is neither engine's (mysql://, file:, https://) is a
  // mistake, not a relative SQLite path such as ./mysql:/x. (One letter is a Windows drive.)
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(url)?.[1]?.toLowerCase()
  if (scheme && !['postgres', 'postgresql', 'sqlite'].includes(scheme)) {
    throw new Error(
      `DATABASE_URL: unsupported scheme "${scheme}:" in ${redactUrl(url)} (use postgres://…, postgresql://…, sqlite:path, sqlite:///abs/path or a file path)`,
    )
  }
  const isPostgresUrl = /^postgres(ql)?:\/\//i.test(url)
  const engine = c.DATABASE_TYPE === 'auto' ? (isPostgresUrl ? 'postgresql' : 'sqlite') : c.DATABASE_TYPE
  if (engine === 'postgresql') {
    if (!isPostgresUrl)
      throw new Error(`DATABASE_URL: DATABASE_TYPE=postgresql needs a postgres:// URL (got ${redactUrl(url)})`)
    return { engine, url }
  }
  if (isPostgresUrl) throw new Error('DATABASE_URL: DATABASE_TYPE=sqlite does not take a postgres:// URL')
  return { engine: 'sqlite', filename: sqliteFilename(url) }
}

/** `sqlite:///abs/path` → /abs/path, `sqlite:rel/path` → rel/path, `sqlite::memory:` → :memory:, a bare path as is. */
export function sqliteFilename(url: string): string {
  if (/^sqlite:\/\/\//i.test(url)) return url.slice('sqlite://'.length)
  if (/^sqlite:\/\//i.test(url)) return url.slice('sqlite://'.length) // sqlite://rel/path (SQLAlchemy users write this)
  if (/^sqlite:/i.test(url)) return url.slice('sqlite:'.length)
  return url
}

/** Hides the password of a connection URL for logs and errors. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@').replace(/([?&]password=)[^&]*/gi, '$1***')
}

/**
 * The environment with a `.env` file's settings under it: a variable already set wins over the file
 * (as with `node --env-file`). No file, no change. Node's own parser (util.parseEnv, Node ≥ 20.12).
 */
export function withEnvFile(env: NodeJS.ProcessEnv = process.env, file = path.resolve('.env')): NodeJS.ProcessEnv {
  if (!fs.existsSync(file)) return env
  let parsed: Record<string, string>
  try {
    parsed = util.parseEnv(fs.readFileSync(file, 'utf8')) as Record<string, string>
  } catch (err) {
    throw new ConfigError([`${file}: cannot be read (${(err as Error).message})`])
  }
  return { ...parsed, ...env }
}
