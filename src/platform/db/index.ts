/**
 * One Kysely instance over either engine. SQLite (better-sqlite3) is the embedded default; PostgreSQL
 * (pg) is for scale-out. The platform knows no tables: each module takes a typed view of its own
 * (`tablesOf<ItsTables>(db)`), and its repositories see `Kysely<ItsTables>`; the few places where the
 * SQL must differ ask `engine`.
 */
import fs from 'node:fs'
import type net from 'node:net'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { type Compilable, CompiledQuery, Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import type { DatabaseTarget } from '../../config.js'

export type Engine = DatabaseTarget['engine']

/** A database handle; `DB` is the tables its holder may see (none, until a module names its own). */
export interface Db<DB = object> {
  kysely: Kysely<DB>
  engine: Engine
  /** The raw better-sqlite3 handle (SQLite only), for the few hot statements that skip the builder. */
  sqlite?: SQLite.Database
  /** Runs `fn` in a write transaction: BEGIN IMMEDIATE on SQLite (takes the write lock up front, so the
   * busy timeout applies instead of a mid-transaction SQLITE_BUSY), a normal transaction on PostgreSQL. */
  writeTransaction<T>(fn: (trx: Kysely<DB>) => Promise<T>): Promise<T>
  /**
   * For hot read paths: compiles a Kysely query once and returns a runner that takes fresh parameters
   * (in the order the compiled query lists them). On SQLite the statement is also prepared once —
   * Kysely's SQLite driver prepares on every call, which dominated the cost of a one-row read.
   */
  prepared<R>(query: Compilable<R>): (params?: readonly unknown[]) => Promise<R[]>
  ping(): Promise<void>
  /** Connections now (for /metrics): open, idle, queries waiting for one, the most it opens. */
  poolStats(): { size: number; idle: number; waiting: number; max: number }
  close(): Promise<void>
}

/**
 * `rows` in slices of at most `size`: a multi-row INSERT stays under the engines' bound parameters
 * per statement (SQLite 32,766, PostgreSQL 65,535).
 */
export function* inChunks<T>(rows: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size)
}

/**
 * The same handle, typed for a module's own tables: one connection (and pool) serves every module,
 * while each module's code can name only the tables it declares.
 */
// biome-ignore lint/suspicious/noExplicitAny: a Db over any tables; Kysely's table type is invariant, so no narrower type accepts them all
export function tablesOf<T>(db: Db<any>): Db<T> {
  return db as Db<T>
}

export interface DbOptions {
  poolSize?: number
  sqliteSynchronous?: 'FULL' | 'NORMAL'
  /** Milliseconds a PostgreSQL connection attempt (or a wait for a free pool connection) may take. */
  connectTimeoutMs?: number
  /**
   * Milliseconds one PostgreSQL statement may run (server-side `statement_timeout`, also the longest a
   * session may sit idle inside a transaction). The client gives up a second later: a statement with
   * no answer by then is on a dead or half-open connection, which is then destroyed, not reused.
   */
  statementTimeoutMs?: number
}

/** Defaults of {@link DbOptions}: no dependency call waits without a bound. */
const DB_CONNECT_TIMEOUT_MS = 5000
const DB_STATEMENT_TIMEOUT_MS = 5000
/** Idle time before the kernel probes a PostgreSQL connection (finds peers that vanished while idle). */
const KEEPALIVE_DELAY_MS = 10_000

/** The error pg gives when `query_timeout` passes with no answer from the server. */
const isReadTimeout = (err: unknown) => err instanceof Error && err.message === 'Query read timeout'

/**
 * pg leaves a connection whose query timed out in the pool with that query still "active", so every
 * later query on it waits too. Destroying its socket fails what is queued on it at once and makes the
 * pool discard it on release (a fresh connection replaces it).
 */
function destroyOnReadTimeout(client: pg.PoolClient) {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown
  ;(client as unknown as { query: typeof query }).query = (...args) => {
    const result = query(...args)
    if (result instanceof Promise) {
      result.catch((err: unknown) => {
        if (isReadTimeout(err))
          (client as unknown as { connection: { stream: net.Socket } }).connection.stream.destroy()
      })
    }
    return result
  }
}

// int8 and numeric come back from pg as strings by default; every such column here is a counter
// kept within ±2^53, which a JS number holds exactly.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v)
    if (oid === 1700) return (v: string) => Number(v)
    return pg.types.getTypeParser(oid, format as 'text')
  },
}

export function createDb(target: DatabaseTarget, opts: DbOptions = {}): Db {
  if (target.engine === 'sqlite') return createSqlite(target.filename, opts)
  const statementTimeout = opts.statementTimeoutMs ?? DB_STATEMENT_TIMEOUT_MS
  const pool = new pg.Pool({
    connectionString: target.url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? DB_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    // Deadlines on every call: the server cancels a long statement (57014) and ends a session left
    // idle in a transaction (whose client vanished, still holding the state row's lock); the client
    // gives up on a connection that stopped answering at all (half-open: no FIN, no RST).
    statement_timeout: statementTimeout,
    idle_in_transaction_session_timeout: statementTimeout,
    query_timeout: statementTimeout + 1000,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    types: pgTypes,
  })
  // A client that dies (server restart, cut connection) must not crash the process: idle ones are
  // reported on the pool, checked-out ones on the client itself (the query then fails normally).
  pool.on('error', () => {})
  pool.on('connect', (client) => {
    client.on('error', () => {})
    destroyOnReadTimeout(client)
  })
  const kysely = new Kysely<object>({ dialect: new PostgresDialect({ pool }) })
  return {
    kysely,
    engine: 'postgresql',
    writeTransaction: (fn) => kysely.transaction().execute(fn),
    prepared<R>(query: Compilable<R>) {
      const compiled = query.compile()
      return async (params = compiled.parameters) =>
        (await kysely.executeQuery(CompiledQuery.raw(compiled.sql, [...params]))).rows as R[]
    },
    async ping() {
      await sql`select 1`.execute(kysely)
    },
    poolStats: () => ({
      size: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: pool.options.max,
    }),
    close: () => kysely.destroy(),
  }
}

function createSqlite(filename: string, opts: DbOptions): Db {
  if (filename !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true })
  const handle = new SQLite(filename)
  handle.pragma('journal_mode = WAL')
  handle.pragma(`synchronous = ${opts.sqliteSynchronous ?? 'FULL'}`)
  handle.pragma('foreign_keys = ON')
  handle.pragma('busy_timeout = 5000')
  const kysely = new Kysely<object>({ dialect: new SqliteDialect({ database: handle }) })
  return {
    kysely,
    engine: 'sqlite',
    sqlite: handle,
    writeTransaction: (fn) =>
      kysely.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn)
        try {
          const result = await fn(conn)
          await sql`commit`.execute(conn)
          return result
        } catch (err) {
          if (handle.inTransaction) await sql`rollback`.execute(conn)
          throw err
        }
      }),
    prepared<R>(query: Compilable<R>) {
      const compiled = query.compile()
      const statement = handle.prepare(compiled.sql)
      return async (params = compiled.parameters) => statement.all(...params) as R[]
    },
    async ping() {
      handle.prepare('select 1').get()
    },
    // One synchronous connection: nothing waits for a pool (writers queue on the file lock instead).
    poolStats: () => ({ size: handle.open ? 1 : 0, idle: handle.open ? 1 : 0, waiting: 0, max: 1 }),
    close: () => kysely.destroy(),
  }
}
