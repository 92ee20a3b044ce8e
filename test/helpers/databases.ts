/**
 * The engines tests run on. SQLite always; PostgreSQL when it answers at TEST_DATABASE_URL
 * (default: the machine's local cluster). With CI=true a missing PostgreSQL fails the run instead of
 * skipping, so CI can never go green without having run the PostgreSQL half.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, type TestContext } from 'node:test'
import pg from 'pg'
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js'

export const PG_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export interface TestDatabase {
  url: string
  drop(): Promise<void>
}

export interface Dialect {
  name: 'sqlite' | 'postgresql'
  /** false, or the reason the dialect is skipped on this machine. */
  skip: false | string
  create(): Promise<TestDatabase>
}

async function postgresReachable(): Promise<string | null> {
  // Generous: under a loaded CI machine a healthy server can take seconds to accept.
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 10_000 })
  try {
    await client.connect()
    await client.query('select 1')
    return null
  } catch (err) {
    return (err as Error).message
  } finally {
    await client.end().catch(() => {})
  }
}

const pgProblem = await postgresReachable()
if (pgProblem && process.env.CI === 'true') {
  throw new Error(`CI=true but PostgreSQL at ${PG_ADMIN_URL} is unreachable (${pgProblem}); .ci/run must start it`)
}
if (pgProblem) {
  console.warn(`\n*** SKIPPING PostgreSQL tests: ${PG_ADMIN_URL} unreachable (${pgProblem}) ***\n`)
}

export function tempDir(prefix = 'statehouse-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export const sqlite: Dialect = {
  name: 'sqlite',
  skip: false,
  async create() {
    const dir = tempDir()
    return {
      url: `sqlite:${path.join(dir, 'test.db')}`,
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    }
  },
}

export const postgresql: Dialect = {
  name: 'postgresql',
  skip: pgProblem ? `PostgreSQL unreachable: ${pgProblem}` : false,
  async create() {
    const name = `statehouse_t_${randomBytes(6).toString('hex')}`
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
    await admin.connect()
    try {
      await admin.query(`create database ${name}`)
    } finally {
      await admin.end()
    }
    const url = new URL(PG_ADMIN_URL)
    url.pathname = `/${name}`
    return {
      url: url.toString(),
      async drop() {
        const c = new pg.Client({ connectionString: PG_ADMIN_URL })
        await c.connect()
        try {
          await c.query(`drop database if exists ${name} with (force)`)
        } finally {
          await c.end()
        }
      },
    }
  },
}

export const DIALECTS: Dialect[] = [sqlite, postgresql]

/**
 * The dialect loop every engine-level suite uses: one `describe('<subject> on <engine>')` per
 * engine, skipped with the reason where the engine is missing (and failing under CI=true, above).
 */
export function describeOnEachDialect(subject: string, body: (dialect: Dialect) => void): void {
  for (const dialect of DIALECTS) describe(`${subject} on ${dialect.name}`, { skip: dialect.skip }, () => body(dialect))
}

/**
 * A fresh PostgreSQL database reached through a TCP proxy the test owns (cut it to lose the
 * database without touching the shared cluster). Both are cleaned up when the test ends.
 */
export async function postgresThroughProxy(t: TestContext): Promise<{ database: TestDatabase; proxy: TcpProxy }> {
  const real = await postgresql.create()
  t.after(() => real.drop())
  const target = new URL(PG_ADMIN_URL)
  const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432))
  t.after(() => proxy.close())
  const viaProxy = new URL(real.url)
  viaProxy.host = `127.0.0.1:${proxy.port}`
  // The app closes its pool; the real database is dropped above, not through the proxy.
  return { database: { url: viaProxy.toString(), drop: async () => {} }, proxy }
}
