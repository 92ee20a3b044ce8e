#!/usr/bin/env node
/**
 * `statehouse <command>`: one entry point for operators. Commands are small functions over the same
 * config and platform the server uses; every one parses its arguments with node:util parseArgs,
 * answers --help without acting, and exits 78 (EX_CONFIG) on a configuration error.
 */
import { parseArgs } from 'node:util'
import { ConfigError, EXIT_CONFIG, loadConfig, withEnvFile } from './config.js'
import { BackupError, backupSqlite, restoreSqlite } from './platform/db/backup.js'
import { createDb } from './platform/db/index.js'
import { migrateToLatest } from './platform/db/migrate.js'
import { PACKAGE_VERSION } from './platform/paths.js'
import { explainStartupFailure } from './platform/startup-failure.js'

const USAGE = `usage: statehouse <command> [options]      (statehouse <command> --help for its options)

commands:
  serve            run the HTTP server (same as npm start)
  migrate          apply database migrations and exit
  ingest           ingest aircraft position files: statehouse ingest [<source>] [--prefix P] [--json]
  user create      create a user: statehouse user create --username NAME [--password-stdin] [--superuser]
  backup <file>    copy the SQLite database to <file> while the server runs (PostgreSQL: pg_dump)
  restore <file>   replace the SQLite database with a backup (server stopped; PostgreSQL: pg_restore)

options:
  -h, --help       this text
  -V, --version    the version

Settings come from the environment (and a .env file in the working folder, which the environment
overrides); see README "Configuration". Exit codes: 0 done, 1 failed, 2 bad usage, 78 bad configuration.
`

const COMMAND_USAGE: Record<string, string> = {
  serve:
    'usage: statehouse serve\n\n  Runs the HTTP server on HOST:PORT with the configured database (see README "Configuration").\n',
  migrate:
    'usage: statehouse migrate\n\n  Applies the database migrations the server would apply at start, then exits.\n',
  backup:
    'usage: statehouse backup <file>\n\n  SQLite: an online, consistent copy of the database to <file> (a new file), safe while the server\n' +
    '  writes; checked with PRAGMA integrity_check. PostgreSQL: use pg_dump (README "Backups").\n',
  restore:
    'usage: statehouse restore <file>\n\n  SQLite: replaces the configured database with the backup <file> after checking it; refuses while\n' +
    '  a server has the database open. PostgreSQL: use pg_restore (README "Backups").\n',
}

const PG_BACKUP = `statehouse backup/restore copy SQLite files; this database is PostgreSQL. Use its own tools:
  pg_dump --format=custom --file=statehouse.dump "$DATABASE_URL"
  pg_restore --clean --if-exists --no-owner --dbname="$DATABASE_URL" statehouse.dump
On AWS RDS, automated backups and manual snapshots do this for you (README "Backups").
`

class UsageError extends Error {}

/** parseArgs with --help; an unknown option or a wrong positional count is a UsageError. */
function parse(argv: string[], positionals: number) {
  const parsed = (() => {
    try {
      return parseArgs({
        args: argv,
        options: { help: { type: 'boolean', short: 'h' } },
        allowPositionals: true,
        strict: true,
      })
    } catch (err) {
      throw new UsageError((err as Error).message)
    }
  })()
  if (!parsed.values.help && parsed.positionals.length !== positionals) {
    throw new UsageError(
      positionals === 0
        ? `takes no arguments (got ${parsed.positionals.join(' ')})`
        : `needs exactly ${positionals} argument(s)`,
    )
  }
  return { help: parsed.values.help === true, positionals: parsed.positionals }
}

async function sqliteFile(command: 'backup' | 'restore'): Promise<string | undefined> {
  const config = loadConfig(withEnvFile())
  if (config.database.engine === 'postgresql') return undefined
  if (config.database.filename === ':memory:')
    throw new ConfigError([`DATABASE_URL: sqlite::memory: has nothing to ${command}`])
  return config.database.filename
}

async function run(command: string | undefined, rest: string[]): Promise<number> {
  switch (command) {
    case 'serve': {
      if (parse(rest, 0).help) return help(command)
      const { runServer } = await import('./server.js')
      await runServer()
      return -1 // keeps running
    }
    case 'migrate': {
      if (parse(rest, 0).help) return help(command)
      const config = loadConfig(withEnvFile())
      const { modules } = await import('./app.js')
      const db = createDb(config.database)
      try {
        const result = await migrateToLatest(db, modules)
        const applied = result.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? []
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n')
        return 0
      } catch (err) {
        const line = explainStartupFailure(err, { database: config.database })
        if (!line) throw err
        process.stderr.write(`statehouse migrate: ${line}\n`)
        return 1
      } finally {
        await db.close()
      }
    }
    case 'backup':
    case 'restore': {
      const { help: wantsHelp, positionals } = parse(rest, 1)
      if (wantsHelp) return help(command)
      const file = positionals[0] as string
      const database = await sqliteFile(command)
      if (!database) {
        process.stderr.write(PG_BACKUP)
        return 2
      }
      try {
        if (command === 'backup') {
          const { bytes } = await backupSqlite(database, file)
          process.stdout.write(`backed up ${database} to ${file} (${bytes} bytes, integrity ok)\n`)
        } else {
          const { bytes } = await restoreSqlite(file, database)
          process.stdout.write(
            `restored ${database} from ${file} (${bytes} bytes, integrity ok); start the server to apply newer migrations\n`,
          )
        }
        return 0
      } catch (err) {
        if (!(err instanceof BackupError)) throw err
        process.stderr.write(`statehouse ${command}: ${err.message}\n`)
        return 1
      }
    }
    case 'ingest': {
      // --help is answered here, so it never starts a job; everything else is the ingest command's.
      if (rest.includes('--help') || rest.includes('-h')) {
        const { INGEST_USAGE } = await import('./modules/aircraft/ingest-cli.js')
        process.stdout.write(INGEST_USAGE)
        return 0
      }
      const [{ ingestMain }, { modules }] = await Promise.all([
        import('./modules/aircraft/ingest-cli.js'),
        import('./app.js'),
      ])
      return ingestMain(rest, modules)
    }
    case 'user': {
      const [{ userCommand }, { modules }] = await Promise.all([
        import('./modules/identity/cli.js'),
        import('./app.js'),
      ])
      return userCommand(rest, modules)
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`)
  }
}

function help(command: string): number {
  process.stdout.write(COMMAND_USAGE[command] ?? USAGE)
  return 0
}

/** Runs the command line; resolves with the exit code (-1: keeps running). */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv
  if (first === undefined) {
    process.stderr.write(USAGE)
    return 2
  }
  if (first === '-h' || first === '--help' || first === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  if (first === '-V' || first === '--version') {
    process.stdout.write(`statehouse ${PACKAGE_VERSION}\n`)
    return 0
  }
  try {
    return await run(first, rest)
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`statehouse ${first}: ${err.message}\n\n${COMMAND_USAGE[first] ?? USAGE}`)
      return 2
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`statehouse: ${err.message}\n`)
      return EXIT_CONFIG
    }
    throw err
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code)
  },
  (err) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`statehouse: ${err.message}\n`)
      process.exit(EXIT_CONFIG)
    }
    process.stderr.write(`statehouse: ${(err as Error).stack ?? err}\n`)
    process.exit(1)
  },
)
