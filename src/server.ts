/**
 * The process: loadConfig() → buildApp() → listen. On SIGTERM/SIGINT it stops accepting, lets
 * in-flight requests finish (≤ SHUTDOWN_TIMEOUT_MS), then closes the database and Redis.
 */
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { type Config, ConfigError, loadConfig } from './config.js'
import { ensureGeneratedSecret } from './platform/secrets.js'

/** Development conveniences: a missing API key is generated once and kept in the data folder. */
export function withDevelopmentSecrets(config: Config): { config: Config; notices: string[] } {
  const notices: string[] = []
  if (config.ENVIRONMENT === 'production' || config.apiKeys.length > 0) return { config, notices }
  const key = ensureGeneratedSecret(config.DATA_DIR, 'api-key')
  if (key.created) notices.push(`generated an API key for development (kept in ${config.DATA_DIR}/secrets/api-key): ${key.value}`)
  else notices.push(`using the development API key in ${config.DATA_DIR}/secrets/api-key`)
  return { config: { ...config, apiKeys: [key.value] }, notices }
}

export async function start(env: NodeJS.ProcessEnv = process.env) {
  let config: Config
  try {
    config = loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`statehouse: ${err.message}\n`)
      process.exit(78) // EX_CONFIG
    }
    throw err
  }
  const prepared = withDevelopmentSecrets(config)
  const app = await buildApp(prepared.config)
  for (const notice of prepared.notices) app.log.warn(notice)

  closeWithGrace({ delay: prepared.config.SHUTDOWN_TIMEOUT_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down: draining in-flight requests')
    await app.close()
  })
  await app.listen({ host: prepared.config.HOST, port: prepared.config.PORT })
  return app
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/server.ts') || process.argv[1]?.endsWith('/server.js')) {
  start().catch((err) => {
    // A setting a module checks as it starts (a missing JWT_SECRET in production) is a configuration
    // error like any other: its message, exit 78, no stack trace.
    if (err instanceof ConfigError) {
      process.stderr.write(`statehouse: ${err.message}\n`)
      process.exit(78)
    }
    process.stderr.write(`statehouse: failed to start: ${(err as Error).stack ?? err}\n`)
    process.exit(1)
  })
}
