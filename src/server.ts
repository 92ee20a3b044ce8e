/**
 * The process: loadConfig() → buildApp() → listen. On SIGTERM/SIGINT it stops accepting, lets
 * in-flight requests finish (≤ SHUTDOWN_TIMEOUT_MS), then closes the database and Redis.
 */
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import { type Config, ConfigError, EXIT_CONFIG, loadConfig, redactUrl, withEnvFile } from './config.js'
import { limitConnections } from './platform/http/connections.js'
import { PACKAGE_VERSION } from './platform/paths.js'
import { ensureGeneratedSecret } from './platform/secrets.js'
import { explainStartupFailure } from './platform/startup-failure.js'

/** Development conveniences: a missing API key is generated once and kept in the data folder. */
export function withDevelopmentSecrets(config: Config): { config: Config; notices: string[] } {
  const notices: string[] = []
  if (config.ENVIRONMENT === 'production' || config.apiKeys.length > 0) return { config, notices }
  const key = ensureGeneratedSecret(config.DATA_DIR, 'api-key')
  if (key.created)
    notices.push(`generated an API key for development (kept in ${config.DATA_DIR}/secrets/api-key): ${key.value}`)
  else notices.push(`using the development API key in ${config.DATA_DIR}/secrets/api-key`)
  return { config: { ...config, apiKeys: [key.value] }, notices }
}

/** The one human line a developer reads at start: what runs where, and where the key is. */
export function startupBanner(config: Config, notices: string[]): string {
  const host = ['0.0.0.0', '::', ''].includes(config.HOST)
    ? '127.0.0.1'
    : config.HOST.includes(':')
      ? `[${config.HOST}]`
      : config.HOST
  const base = `http://${host}:${config.PORT}`
  const db =
    config.database.engine === 'sqlite'
      ? `SQLite ${config.database.filename}`
      : `PostgreSQL ${redactUrl(config.database.url)}`
  const key =
    config.API_KEY || config.API_KEYS
      ? 'API key: yours (API_KEY)'
      : `API key: ${notices.find((n) => n.includes('api-key')) ?? 'none'}`
  return `statehouse ${PACKAGE_VERSION} (${config.ENVIRONMENT}) on ${base} · ${db} · Redis ${config.REDIS_URL ? redactUrl(config.REDIS_URL) : 'none'} · docs ${base}/docs · ${key}`
}

/** Loads the config (a .env file under the environment), builds the app and listens. Throws on failure. */
export async function start(env: NodeJS.ProcessEnv = withEnvFile()): Promise<FastifyInstance> {
  const config = loadConfig(env)
  const prepared = withDevelopmentSecrets(config)
  let app: FastifyInstance
  try {
    app = await buildApp(prepared.config)
  } catch (err) {
    throw withContext(err, prepared.config)
  }
  const development = config.ENVIRONMENT === 'development'
  if (!development) for (const notice of prepared.notices) app.log.warn(notice)
  limitConnections(app.server, prepared.config.MAX_CONNECTIONS)

  closeWithGrace({ delay: prepared.config.SHUTDOWN_TIMEOUT_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down: draining in-flight requests')
    await app.close()
  })
  try {
    await app.listen({ host: prepared.config.HOST, port: prepared.config.PORT })
  } catch (err) {
    await app.close().catch(() => {})
    throw withContext(err, prepared.config)
  }
  if (development) process.stderr.write(`${startupBanner(prepared.config, prepared.notices)}\n`)
  return app
}

/** A start-up failure with the config it happened under, so its one-line explanation can name it. */
class StartupFailure extends Error {
  constructor(
    readonly failure: unknown,
    readonly config: Config,
  ) {
    super((failure as Error)?.message ?? String(failure))
  }
}
const withContext = (err: unknown, config: Config) =>
  err instanceof ConfigError ? err : new StartupFailure(err, config)

/**
 * Runs `start` as a command: a configuration error exits 78 (EX_CONFIG) with every problem; a busy
 * port or an unreachable database exits 1 with one line; anything else prints its stack.
 */
export async function runServer(env?: NodeJS.ProcessEnv): Promise<void> {
  try {
    await start(env)
  } catch (err) {
    process.exitCode = exitForFailure(err)
    process.exit()
  }
}

/** Writes the failure to stderr the way an operator needs it and returns the exit code. */
export function exitForFailure(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`statehouse: ${err.message}\n`)
    return EXIT_CONFIG
  }
  const cause = err instanceof StartupFailure ? err.failure : err
  const config = err instanceof StartupFailure ? err.config : undefined
  if (cause instanceof ConfigError) return exitForFailure(cause)
  const line = explainStartupFailure(cause, { database: config?.database, host: config?.HOST, port: config?.PORT })
  process.stderr.write(`statehouse: ${line ?? `failed to start: ${(cause as Error)?.stack ?? cause}`}\n`)
  return 1
}

if (
  import.meta.url === `file://${process.argv[1]}` ||
  process.argv[1]?.endsWith('/server.ts') ||
  process.argv[1]?.endsWith('/server.js')
) {
  void runServer()
}
