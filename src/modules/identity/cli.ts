/**
 * `statehouse user create --username NAME --password-stdin [--superuser] [--email ADDRESS]`: makes a
 * user from the command line (the password is read from stdin, so it is never in argv or history).
 */
import { parseArgs } from 'node:util'
import { loadConfig, withEnvFile } from '../../config.js'
import { createDb, tablesOf } from '../../platform/db/index.js'
import { type MigrationSource, migrateToLatest } from '../../platform/db/migrate.js'
import { Problem } from '../../platform/errors.js'
import { promptHidden } from '../../platform/prompt.js'
import { createUser } from './service.js'
import type { IdentityTables } from './tables.js'

const USER_USAGE =
  'usage: statehouse user create --username NAME [--password-stdin] [--superuser] [--email ADDRESS]\n' +
  '  (without --password-stdin on a terminal, the password is asked for and not shown)\n'

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

/** Runs `statehouse user …` (migrating first with every module's migrations); returns the exit code. */
export async function userCommand(argv: string[], migrations: readonly MigrationSource[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === '--help' || sub === '-h' || (sub === 'create' && (rest.includes('--help') || rest.includes('-h')))) {
    process.stdout.write(USER_USAGE)
    return 0
  }
  if (sub !== 'create') {
    process.stderr.write(USER_USAGE)
    return 2
  }
  let options: { username?: string; email?: string; passwordStdin?: boolean; superuser?: boolean }
  try {
    const spec = {
      username: { type: 'string' },
      email: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      superuser: { type: 'boolean' },
    } as const
    const { values } = parseArgs({ args: rest, options: spec, strict: true, allowPositionals: false })
    options = {
      username: values.username,
      email: values.email,
      passwordStdin: values['password-stdin'],
      superuser: values.superuser,
    }
  } catch (err) {
    process.stderr.write(`statehouse user create: unknown argument (${(err as Error).message})\n${USER_USAGE}`)
    return 2
  }
  if (!options.username || !/^[A-Za-z0-9._@+-]{1,100}$/.test(options.username)) {
    process.stderr.write(
      `statehouse user create: --username is required (1–100 of letters, digits, . _ @ + -)\n${USER_USAGE}`,
    )
    return 2
  }
  const prompt = !options.passwordStdin && process.stdin.isTTY === true
  if (!options.passwordStdin && !prompt) {
    process.stderr.write(`statehouse user create: --password-stdin is required (pipe the password in)\n${USER_USAGE}`)
    return 2
  }
  const password = prompt ? await promptHidden('Password: ') : await readStdin()
  if (prompt && (await promptHidden('Password again: ')) !== password) {
    process.stderr.write('statehouse user create: the passwords differ\n')
    return 2
  }
  if (password.length < 8) {
    process.stderr.write('statehouse user create: the password must have at least 8 characters\n')
    return 2
  }
  const config = loadConfig(withEnvFile())
  const db = createDb(config.database)
  try {
    await migrateToLatest(db, migrations)
    const user = await createUser(tablesOf<IdentityTables>(db).kysely, {
      username: options.username,
      email: options.email ?? null,
      password,
      is_superuser: options.superuser === true,
    })
    process.stdout.write(`created user ${user.username} (id ${user.id}${user.is_superuser ? ', superuser' : ''})\n`)
    return 0
  } catch (err) {
    if (err instanceof Problem && err.status === 409) {
      process.stderr.write(`statehouse user create: ${err.message}\n`)
      return 1
    }
    throw err
  } finally {
    await db.close()
  }
}
