#!/usr/bin/env node
/**
 * `statehouse serve | migrate | …`: one entry point for operators. Commands are small functions over
 * the same config and platform the server uses.
 */
import { ConfigError, loadConfig } from './config.js'
import { createDb } from './platform/db/index.js'
import { migrateToLatest } from './platform/db/migrate.js'

const USAGE = `usage: statehouse <command>

commands:
  serve      run the HTTP server (same as npm start)
  migrate    apply database migrations and exit
  ingest     ingest aircraft position files: statehouse ingest [<source>] [--prefix P] [--json]
  user       create a user: statehouse user create --username NAME --password-stdin [--superuser]
`

export async function main(argv: string[]): Promise<number> {
  const [command] = argv
  switch (command) {
    case 'serve': {
      const { start } = await import('./server.js')
      await start()
      return -1 // keeps running
    }
    case 'migrate': {
      const config = loadConfig()
      const { modules } = await import('./app.js')
      const db = createDb(config.database)
      try {
        const result = await migrateToLatest(db, modules)
        const applied = result.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? []
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n')
        return 0
      } finally {
        await db.close()
      }
    }
    case 'ingest': {
      const [{ ingestMain }, { modules }] = await Promise.all([import('./modules/aircraft/ingest-cli.js'), import('./app.js')])
      return ingestMain(argv.slice(1), modules)
    }
    case 'user': {
      const [{ userCommand }, { modules }] = await Promise.all([import('./modules/identity/cli.js'), import('./app.js')])
      return userCommand(argv.slice(1), modules)
    }
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE)
      return command === undefined ? 2 : 0
    default:
      process.stderr.write(`statehouse: unknown command ${JSON.stringify(command)}\n${USAGE}`)
      return 2
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code)
  },
  (err) => {
    process.stderr.write(`statehouse: ${err instanceof ConfigError ? err.message : ((err as Error).stack ?? err)}\n`)
    process.exit(1)
  },
)
