/**
 * kill -9 under write load (issue 17, acceptance 3): on each engine the real server process is
 * started on one database, driven by concurrent `POST /update {"increment":1}` over keep-alive
 * connections, and SIGKILLed after a short, varied stretch of load — ten times. Every restart, and
 * one after the last kill, checks the stored state against what the clients saw:
 *
 *   counter = version = log rows (each change and its log row commit together), and
 *   acknowledged ≤ stored ≤ acknowledged + in flight at the kills
 *
 * where acknowledged counts the 200 responses, and in flight the requests sent but not answered when
 * the server died (those may or may not have committed). So no acknowledged write is lost, and
 * nothing is stored that was not sent.
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import { it } from 'node:test'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { TEST_API_KEY, testEnv } from '../helpers/app.js'
import { describeOnEachDialect, type TestDatabase } from '../helpers/databases.js'
import { type ServerProcess, startServer } from '../helpers/server-process.js'

const ROUNDS = 10
const LOOPS = 16
const BODY = '{"increment":1}'
/** Generous: a started server that acknowledges nothing this long is broken, not slow. */
const FIRST_ACK_BOUND_MS = 30_000

interface Stored {
  counter: number
  version: number
  logRows: number
}

/** The state row and the log's row count, read from the database itself (not through the server). */
async function readStored(database: TestDatabase): Promise<Stored> {
  if (database.url.startsWith('sqlite:')) {
    const db = new SQLite(database.url.slice('sqlite:'.length), { readonly: true })
    try {
      const { counter, version } = db.prepare('select counter, version from state').get() as Stored
      const { n } = db.prepare('select count(*) as n from state_log').get() as { n: number }
      return { counter, version, logRows: n }
    } finally {
      db.close()
    }
  }
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  try {
    const s = await client.query('select counter, version from state')
    const n = await client.query('select count(*)::int as n from state_log')
    return { counter: Number(s.rows[0].counter), version: Number(s.rows[0].version), logRows: n.rows[0].n }
  } finally {
    await client.end()
  }
}

/** One POST /update; resolves with the status, rejects when the connection fails (the kill). */
function postIncrement(server: ServerProcess, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: '/update',
        method: 'POST',
        agent,
        headers: {
          'x-api-key': TEST_API_KEY,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(BODY),
        },
      },
      (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      },
    )
    req.on('error', reject)
    req.end(BODY)
  })
}

interface Round {
  acknowledged: number
  inFlight: number
  /** Answers other than 200, and connection errors before the kill: none expected. */
  unexpected: string[]
}

/**
 * LOOPS concurrent writers; `loadMs` after the first 200 (so every kill lands under load, however
 * slow the machine), SIGKILL. Counts what was answered and what was still in flight.
 */
async function loadAndKill(server: ServerProcess, loadMs: number): Promise<Round> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: LOOPS })
  const round: Round = { acknowledged: 0, inFlight: 0, unexpected: [] }
  let killed = false
  let firstAck: () => void = () => {}
  const acknowledgedOnce = new Promise<void>((resolve) => (firstAck = resolve))
  const loop = async () => {
    while (!killed) {
      round.inFlight++
      let status: number
      try {
        status = await postIncrement(server, agent)
      } catch (err) {
        // The server died with this request unanswered: it stays counted as in flight.
        if (!killed) round.unexpected.push(`before the kill: ${(err as Error).message}`)
        return
      }
      round.inFlight--
      if (status === 200) {
        round.acknowledged++
        firstAck()
      } else round.unexpected.push(`status ${status}`)
    }
  }
  const loops = Array.from({ length: LOOPS }, loop)
  let timer: NodeJS.Timeout | undefined
  const noAck = new Promise<'none'>((resolve) => (timer = setTimeout(() => resolve('none'), FIRST_ACK_BOUND_MS)))
  const first = await Promise.race([acknowledgedOnce, noAck])
  clearTimeout(timer)
  if (first !== 'none') await new Promise((r) => setTimeout(r, loadMs))
  // No request starts after this line: the flag is set and the signal sent in the same turn.
  killed = true
  const exited = server.stop('SIGKILL')
  await Promise.all(loops)
  await exited
  agent.destroy()
  if (first === 'none') round.unexpected.push(`no write acknowledged within ${FIRST_ACK_BOUND_MS} ms`)
  return round
}

describeOnEachDialect('kill -9 under write load', (dialect) => {
  it(`${ROUNDS} SIGKILLs mid-load: no acknowledged write lost, nothing stored that was not sent`, {
    timeout: 240_000,
  }, async (t) => {
    const database = await dialect.create()
    let server: ServerProcess | undefined
    t.after(async () => {
      await server?.stop('SIGKILL')
      await database.drop()
    })
    const env = testEnv(database.url)
    let acknowledged = 0
    let inFlight = 0

    /** After a (re)start: the stored state against every round so far. */
    const check = async (after: string) => {
      const stored = await readStored(database)
      const status = await fetch(`${server?.url}/status`)
      assert.equal(status.status, 200)
      const served = (await status.json()) as { counter: number; version: number }
      const what = `${after}: stored ${JSON.stringify(stored)}, served counter ${served.counter} version ${served.version}; ${acknowledged} acknowledged, ${inFlight} in flight at the kills`
      assert.equal(stored.version, stored.counter, `counter = version, ${what}`)
      assert.equal(stored.logRows, stored.counter, `log rows = counter, ${what}`)
      assert.deepEqual([served.counter, served.version], [stored.counter, stored.version], `served = stored, ${what}`)
      assert.ok(stored.counter >= acknowledged, `acknowledged writes lost: ${acknowledged - stored.counter}, ${what}`)
      assert.ok(stored.counter <= acknowledged + inFlight, `more stored than sent, ${what}`)
    }

    for (let round = 1; round <= ROUNDS; round++) {
      server = await startServer(env, { bundled: true })
      await check(`start ${round}`)
      // 100–400 ms of load, varied so the kills land in different phases of a batch's commit.
      const result = await loadAndKill(server, 100 + ((round * 137) % 300))
      assert.deepEqual(result.unexpected, [], `round ${round}: only 200s until the kill`)
      acknowledged += result.acknowledged
      inFlight += result.inFlight
    }
    server = await startServer(env, { bundled: true })
    await check(`restart after ${ROUNDS} kills`)
    t.diagnostic(`${dialect.name}: ${acknowledged} acknowledged, ${inFlight} in flight at ${ROUNDS} kills`)
  })
})
