/**
 * `npm run bench`: statehouse against baselines measured in the same run, so the figures are ratios
 * that hold on a noisy 2-core machine. The servers run on core 1, the load generator on core 0.
 *
 *   bare       a node:http server answering a constant JSON (the ceiling for any Node server here)
 *   fastify    plain Fastify with a response schema (a reference: the framework's own cost)
 *   sqlite-tx  a better-sqlite3 loop, one update transaction (UPDATE state + INSERT log) per iteration,
 *              synchronous=FULL (what one-transaction-per-request costs)
 *   node -e 0  for cold start and `statehouse --help`; bench/ingest_reference.py for the ingest row
 *
 * Loads: autocannon, 64 connections, BENCH_SECONDS (10) each, on GET /status, POST /update, GET /logs
 * (with 1,000 and with 1,000,000 log rows) on SQLite; the same on PostgreSQL (one process); POST
 * /update through nginx to 3 replicas on PostgreSQL + Redis (deploy/nginx/statehouse.conf, as the
 * cluster test runs it). Then cold start, `--help`, the 20-file ingest (bench/ingest.ts; skip with
 * --no-ingest) and RSS. After each write load the durability check: counter = version = log rows =
 * seeded rows + 200 responses. The first table is issue 16's, with its targets.
 *
 * `--soak` (`npm run test:soak`): RSS of one server over BENCH_SOAK_SECONDS (300) of writes with the
 * access log on; exits 1 when RSS grows more than 10 % after the first minute, peaks above
 * BENCH_SOAK_MAX_RSS_MIB (256), or the durability check fails.
 * `--write` also rewrites the section in bench/RESULTS.md. Needs `psql`-free PostgreSQL at
 * BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test), Redis at 127.0.0.1:6379, nginx.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { findNginx, NGINX_SNIPPET, startNginx, writeBareNginxConfig } from '../test/deploy/nginx-harness.js'
import { writeResultsSection } from './results-file.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = 64
const KEY = 'bench-key-0123456789'
const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true'])
    return os.availableParallelism() > 1
  } catch {
    return false
  }
})()

// The load generator stays on core 0; servers go to core 1.
if (hasTaskset) execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' })

function pinned(cmd: string, args: string[]): [string, string[]] {
  return hasTaskset ? ['taskset', ['-c', '1', cmd, ...args]] : [cmd, args]
}

async function waitFor(url: string, child: ChildProcess) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited ${child.exitCode}`)
    try {
      if ((await fetch(url)).ok) return
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${url} never answered`)
}

interface Result {
  name: string
  rps: number
  p50: number
  p99: number
  errors: number
  non2xx: number
  /** 2xx responses. */
  ok: number
  /** CPU the server processes spent per request (user + system, all their threads). */
  cpuUs?: number
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100
  } catch {
    return 100
  }
})()

/** CPU time a process has used so far, in µs (Linux /proc; undefined elsewhere). */
function cpuMicros(pid: number | undefined): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS
  } catch {
    return undefined
  }
}

/** Loads a URL; with `servers`, also reports their CPU per request — a figure that, unlike req/s,
 * does not depend on how much of the machine the load generator got. */
async function load(name: string, opts: autocannon.Options, servers: ChildProcess[] = []): Promise<Result> {
  const cpuNow = () => {
    const each = servers.map((s) => cpuMicros(s.pid))
    return each.some((c) => c === undefined) ? undefined : (each as number[]).reduce((a, b) => a + b, 0)
  }
  const before = cpuNow()
  const r = await autocannon({ connections: CONNECTIONS, duration: SECONDS, pipelining: 1, ...opts })
  const after = cpuNow()
  return {
    name,
    rps: r.requests.total / Math.max(0.001, r.duration),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    ok: r['2xx'],
    cpuUs:
      servers.length > 0 && before !== undefined && after !== undefined && r.requests.total > 0
        ? (after - before) / r.requests.total
        : undefined,
  }
}

function startProcess(cmd: string, args: string[], env: Record<string, string>, logFile?: string): ChildProcess {
  const [c, a] = pinned(cmd, args)
  const out = logFile ? fs.openSync(logFile, 'w') : 'ignore'
  return spawn(c, a, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', out, out] })
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}

/** One transaction per update with synchronous=FULL, for as long as one load runs. */
function sqliteTransactionLoop(dir: string): number {
  const db = new SQLite(path.join(dir, 'loop.db'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.exec(`create table state (id integer primary key, counter integer, message text, version integer, updated_at text);
    insert into state values (1, 0, '', 0, '');
    create table state_log (id integer primary key, timestamp text, old_counter integer, new_counter integer,
      old_message text, new_message text, update_type text);`)
  const update = db.prepare(
    'update state set counter = counter + 1, version = version + 1, updated_at = ? where id = 1',
  )
  const insert = db.prepare(
    "insert into state_log (timestamp, old_counter, new_counter, old_message, new_message, update_type) values (?, ?, ?, '', '', 'counter')",
  )
  const tx = db.transaction((n: number) => {
    const now = new Date().toISOString()
    update.run(now)
    insert.run(now, n, n + 1)
  })
  let n = 0
  const started = performance.now()
  while (performance.now() - started < SECONDS * 1000) tx(n++)
  const rate = n / ((performance.now() - started) / 1000)
  db.close()
  return rate
}

/** Fills a fresh statehouse database with `rows` log rows (dense ids, version = rows). */
function seedLogs(file: string, rows: number) {
  const db = new SQLite(file)
  const insert = db.prepare(
    "insert into state_log (id, timestamp, old_counter, new_counter, old_message, new_message, update_type) values (?, ?, ?, ?, '', '', 'counter')",
  )
  const now = new Date().toISOString()
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) insert.run(i, now, i - 1, i)
    db.prepare('update state set counter = ?, version = ? where id = 1').run(rows, rows)
  })()
  db.close()
}

const MIB = 1024 * 1024
const fmtInt = (n: number) => Math.round(n).toLocaleString('en')
const x = (n: number) => `${n.toFixed(2)}×`
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

/** RSS now and its peak (VmHWM), in bytes (Linux /proc; 0 elsewhere). */
function rss(pid: number | undefined): { now: number; peak: number } {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024
    return { now: kib('VmRSS'), peak: kib('VmHWM') }
  } catch {
    return { now: 0, peak: 0 }
  }
}

/** A write load whose every response is counted: a fixed number of requests (sized from a short
 * first run to last about SECONDS), so nothing is in flight when it ends. `ok` is the 2xx of both. */
async function writeLoad(name: string, opts: autocannon.Options, servers: ChildProcess[]) {
  const probe = await autocannon({ connections: CONNECTIONS, amount: 2000, pipelining: 1, ...opts })
  const rate = probe.requests.total / Math.max(0.001, probe.duration)
  const result = await load(name, { ...opts, amount: Math.max(2000, Math.round(rate * SECONDS)) }, servers)
  return { ...result, ok: result.ok + probe['2xx'] }
}

function row(r: Result, baseline?: Result | number, label = '') {
  const base = typeof baseline === 'number' ? baseline : baseline?.rps
  const ratio = base ? `${((r.rps / base) * 100).toFixed(0)} % of ${label}` : ''
  const bad = r.errors + r.non2xx > 0 ? ` (${r.errors} errors, ${r.non2xx} non-2xx)` : ''
  const cpu = r.cpuUs === undefined ? '' : Math.round(r.cpuUs)
  return `| ${r.name} | ${fmtInt(r.rps)} | ${r.p50} | ${r.p99} | ${cpu} | ${ratio}${bad} |`
}

interface StateCheck {
  counter: number
  version: number
  logRows: number
}

/** counter = version = log rows = seeded rows + acknowledged updates. */
function durability(where: string, seeded: number, acknowledged: number, s: StateCheck, clean: boolean) {
  const expected = seeded + acknowledged
  const ok = clean && s.counter === expected && s.version === expected && s.logRows === expected
  return {
    ok,
    line:
      `${where}: counter ${fmtInt(s.counter)}, version ${fmtInt(s.version)}, ${fmtInt(s.logRows)} log rows; ` +
      `${fmtInt(seeded)} seeded + ${fmtInt(acknowledged)} answered 200 = ${fmtInt(expected)} (${ok ? 'consistent' : 'CHECK'}).`,
  }
}

function sqliteState(file: string): StateCheck {
  const db = new SQLite(file, { readonly: true })
  const { counter, version } = db.prepare('select counter, version from state').get() as StateCheck
  const logRows = (db.prepare('select count(*) as n from state_log').get() as { n: number }).n
  db.close()
  return { counter, version, logRows }
}

async function postgresState(url: string): Promise<StateCheck> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const s = await client.query('select counter, version from state where id = 1')
    const n = await client.query('select count(*)::int as n from state_log')
    return { counter: Number(s.rows[0].counter), version: Number(s.rows[0].version), logRows: n.rows[0].n }
  } finally {
    await client.end()
  }
}

const PG_ADMIN = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** A fresh PostgreSQL database for one part of the run; dropped by the returned function. */
async function postgresDatabase(name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: PG_ADMIN })
  await admin.connect()
  const db = `statehouse_bench_${name}_${process.pid}`
  await admin.query(`drop database if exists ${db}`)
  await admin.query(`create database ${db}`)
  await admin.end()
  const url = new URL(PG_ADMIN)
  url.pathname = `/${db}`
  return {
    url: url.href,
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN })
      await c.connect()
      await c.query(`drop database if exists ${db} with (force)`)
      await c.end()
    },
  }
}

async function seedPostgresLogs(url: string, rows: number) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const now = new Date().toISOString()
  await client.query(
    `insert into state_log (id, timestamp, old_counter, new_counter, old_message, new_message, update_type)
     select i, $1, i - 1, i, '', '', 'counter' from generate_series(1, $2::int) as i`,
    [now, rows],
  )
  await client.query('update state set counter = $1, version = $1 where id = 1', [rows])
  await client.end()
}

const SERVER_ENV = {
  API_KEY: KEY,
  ENVIRONMENT: 'production',
  JWT_SECRET: 'bench-jwt-secret-0123456789abcdef0123456789',
  RATE_LIMIT_PER_MINUTE: '0',
  SQLITE_SYNCHRONOUS: 'FULL',
  LOG_LEVEL: 'info',
  REQUEST_LOG: 'true',
  HOST: '127.0.0.1',
}

function migrate(env: Record<string, string>) {
  execFileSync(process.execPath, [path.join(ROOT, 'dist/src/cli.js'), 'migrate'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  })
}

/** The node flags the image's CMD, start:prod and bin/statehouse.js's #! line launch with. */
const NODE_FLAGS = ['--max-semi-space-size=2']

/** The compiled server, as the image runs it, pinned to core 1; its log (access lines) goes to a file. */
async function serve(dir: string, name: string, env: Record<string, string>, port: number) {
  const full = { ...SERVER_ENV, DATA_DIR: dir, PORT: String(port), ...env }
  const child = startProcess(
    process.execPath,
    [...NODE_FLAGS, path.join(ROOT, 'dist/src/server.js')],
    full,
    path.join(dir, `${name}.log`),
  )
  await waitFor(`http://127.0.0.1:${port}/health`, child)
  return child
}

/** Milliseconds from spawn to the first 200 on `url` (polled every 2 ms), median of `runs`. */
async function coldStart(cmd: string, args: string[], env: Record<string, string>, url: string, runs = 5) {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    const child = startProcess(cmd, args, env)
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${cmd} ${args.join(' ')} exited ${child.exitCode}`)
      const ok = await new Promise<boolean>((resolve) => {
        const req = http.get(url, { agent: false }, (res) => {
          res.resume()
          resolve(res.statusCode === 200)
        })
        req.on('error', () => resolve(false))
      })
      if (ok) break
      await new Promise((r) => setTimeout(r, 2))
    }
    times.push(performance.now() - started)
    await stop(child)
  }
  return median(times)
}

/** Milliseconds a command takes to run to its end, pinned to core 1, median of `runs`. */
function commandTime(cmd: string, args: string[], runs = 7): number {
  const [c, a] = pinned(cmd, args)
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    execFileSync(c, a, { cwd: ROOT, stdio: 'ignore' })
    times.push(performance.now() - started)
  }
  return median(times)
}

const target = (met: boolean) => (met ? 'met' : '**missed**')

/** The soak's bounds: RSS growth after the first minute, and peak RSS (measured: 146 → 157 MiB). */
const SOAK_WARMUP_SECONDS = 60
const SOAK_MAX_GROWTH = 0.1
const SOAK_MAX_RSS = Number(process.env.BENCH_SOAK_MAX_RSS_MIB ?? 256) * MIB

/** Why the soak fails (none: it passed). A run that ends within the first minute has no growth to check. */
function soakFailures(
  samples: { t: number; rss: number }[],
  peak: number,
  growth: number,
  durable: { ok: boolean; line: string },
): string[] {
  const failures: string[] = []
  if (!samples.some((s) => s.rss > 0)) failures.push('RSS could not be read (/proc/<pid>/status)')
  if (growth > SOAK_MAX_GROWTH)
    failures.push(`RSS grew ${(growth * 100).toFixed(1)} % after the first ${SOAK_WARMUP_SECONDS} s`)
  if (peak > SOAK_MAX_RSS) failures.push(`peak RSS ${(peak / MIB).toFixed(1)} MiB > ${SOAK_MAX_RSS / MIB} MiB`)
  if (!durable.ok) failures.push(durable.line)
  return failures
}

/**
 * `--soak`: RSS of one SQLite server, access log on, over BENCH_SOAK_SECONDS (300) of POST /update.
 * Sets exit code 1 when RSS grows more than 10 % after the first minute (the peak after it over the
 * peak within it), peaks above SOAK_MAX_RSS, or the durability check fails.
 */
async function soak(dir: string) {
  const seconds = Number(process.env.BENCH_SOAK_SECONDS ?? 300)
  const file = path.join(dir, 'soak.db')
  const env = { DATABASE_URL: `sqlite:${file}` }
  migrate({ ...SERVER_ENV, ...env, DATA_DIR: dir })
  const server = await serve(dir, 'soak', env, 5099)
  const samples: { t: number; rss: number }[] = []
  const started = performance.now()
  const sampler = setInterval(
    () => samples.push({ t: (performance.now() - started) / 1000, rss: rss(server.pid).now }),
    1000,
  )
  let ok = 0
  let clean = true
  let requests = 0
  while (performance.now() - started < seconds * 1000) {
    const r = await autocannon({
      connections: CONNECTIONS,
      amount: 20_000,
      url: 'http://127.0.0.1:5099/update',
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: '{"increment":1}',
    })
    ok += r['2xx']
    requests += r.requests.total
    if (r.errors + r.timeouts + r.non2xx > 0) clean = false
  }
  clearInterval(sampler)
  // VmHWM: the peak between samples too.
  const peak = Math.max(rss(server.pid).peak, ...samples.map((s) => s.rss))
  await stop(server)
  const first = samples.filter((s) => s.t <= SOAK_WARMUP_SECONDS)
  const later = samples.filter((s) => s.t > SOAK_WARMUP_SECONDS)
  const firstLevel = Math.max(...first.map((s) => s.rss))
  const laterPeak = Math.max(...later.map((s) => s.rss))
  const last = samples.at(-1)?.rss ?? 0
  const growth = laterPeak / firstLevel - 1
  const check = durability('Durability after the soak', 0, ok, sqliteState(file), clean)
  const failures = soakFailures(samples, peak, growth, check)
  const perMinute = Array.from({ length: Math.ceil(seconds / 60) }, (_, m) => {
    const inMinute = samples.filter((s) => s.t > m * 60 && s.t <= (m + 1) * 60).map((s) => s.rss)
    return inMinute.length ? `${(Math.max(...inMinute) / MIB).toFixed(0)}` : '—'
  })
  const text = [
    `Run ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}: ` +
      `one SQLite server (synchronous=FULL, access log on, written to a file), POST /update {"increment":1} from ` +
      `${CONNECTIONS} connections for ${seconds} s (${fmtInt(requests)} requests); RSS sampled every second.`,
    '',
    '| first-minute peak RSS | peak RSS after it | last | growth | target | peak (VmHWM) | target |',
    '|---:|---:|---:|---:|---|---:|---|',
    `| ${(firstLevel / MIB).toFixed(1)} MiB | ${later.length ? `${(laterPeak / MIB).toFixed(1)} MiB` : '—'} | ${(last / MIB).toFixed(1)} MiB | ${later.length ? `${(growth * 100).toFixed(1)} %` : '—'} | ≤ ${SOAK_MAX_GROWTH * 100} %: ${later.length ? target(growth <= SOAK_MAX_GROWTH) : 'not checked (run ≤ 1 minute)'} | ${(peak / MIB).toFixed(1)} MiB | ≤ ${SOAK_MAX_RSS / MIB} MiB: ${target(peak <= SOAK_MAX_RSS)} |`,
    '',
    `Peak RSS per minute (MiB): ${perMinute.join(', ')}.`,
    '',
    check.line,
  ].join('\n')
  console.log(text)
  if (process.argv.includes('--write'))
    writeResultsSection('RSS over a 5-minute write load (npm run bench -- --soak)', text)
  for (const failure of failures) console.error(`soak failed: ${failure}`)
  if (failures.length > 0) process.exitCode = 1
}

/** bench/ingest.ts on the small case (20 files × 10,000 aircraft), one round: its ratios. */
function ingestSmallCase(dir: string): { wall: number; job: number } | undefined {
  if (process.argv.includes('--no-ingest')) return undefined
  const summary = path.join(dir, 'ingest-summary.json')
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'bench/ingest.ts'),
      '--files',
      '20',
      '--aircraft',
      '10000',
      '--rounds',
      '1',
      '--summary',
      summary,
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  return JSON.parse(fs.readFileSync(summary, 'utf8'))
}

async function main() {
  // The bundle `npm run build` makes (scripts/bundle.mjs), without its type check: another engineer's
  // work in progress must not stop a measurement of what `npm run start:prod` runs.
  console.error('bundling…')
  fs.mkdirSync(path.join(ROOT, 'dist/src'), { recursive: true })
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/bundle.mjs')], { cwd: ROOT, stdio: 'inherit' })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-bench-'))
  if (process.argv.includes('--soak')) {
    await soak(dir)
    fs.rmSync(dir, { recursive: true, force: true })
    return
  }
  const results: string[] = []
  const durabilityLines: string[] = []
  const drops: (() => Promise<void>)[] = []

  console.error('baseline: bare node:http')
  const bareSource = `require('http').createServer((q, s) => { s.writeHead(200, {'content-type': 'application/json'}); s.end('{"counter":0,"message":""}') }).listen(5098, '127.0.0.1')`
  const bareChild = startProcess(process.execPath, ['-e', bareSource], {})
  await waitFor('http://127.0.0.1:5098/', bareChild)
  const bareIdle = rss(bareChild.pid).now
  const bare = await load('bare node:http, constant JSON', { url: 'http://127.0.0.1:5098/' }, [bareChild])
  const bareRss = { idle: bareIdle, peak: rss(bareChild.pid).peak }
  await stop(bareChild)

  // Not a target, a floor: what the framework alone costs per request, to read the figures below by.
  console.error('reference: Fastify with a response schema and nothing else')
  const floorSource =
    "import Fastify from 'fastify'; const app = Fastify(); app.get('/', { schema: { response: { 200: { type: 'object', " +
    "properties: { counter: { type: 'integer' }, message: { type: 'string' } } } } } }, async () => ({ counter: 0, message: '' })); " +
    "await app.listen({ port: 5097, host: '127.0.0.1' })"
  const floorChild = startProcess(process.execPath, ['--input-type=module', '-e', floorSource], {})
  await waitFor('http://127.0.0.1:5097/', floorChild)
  const floorIdle = rss(floorChild.pid).now
  const floor = await load('Fastify 5, response schema, no hooks (reference)', { url: 'http://127.0.0.1:5097/' }, [
    floorChild,
  ])
  const floorRss = { idle: floorIdle, peak: rss(floorChild.pid).peak }
  await stop(floorChild)

  console.error('baseline: better-sqlite3 one transaction per update')
  const loopRate = hasTaskset
    ? Number(
        execFileSync(
          'taskset',
          ['-c', '1', process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--loop', dir],
          { cwd: ROOT, env: { ...process.env, BENCH_SECONDS: String(SECONDS) } },
        )
          .toString()
          .trim(),
      )
    : sqliteTransactionLoop(dir)

  const update = {
    url: '',
    method: 'POST' as const,
    headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
    body: '{"increment":1}',
  }

  console.error('statehouse on SQLite: 1,000 log rows')
  const smallFile = path.join(dir, 'small.db')
  const sqliteEnv = { DATABASE_URL: `sqlite:${smallFile}` }
  migrate({ ...SERVER_ENV, ...sqliteEnv, DATA_DIR: dir })
  seedLogs(smallFile, 1000)
  let server = await serve(dir, 'small', sqliteEnv, 5099)
  await fetch('http://127.0.0.1:5099/status').then((r) => r.text())
  await new Promise((r) => setTimeout(r, 1000))
  const idleRss = rss(server.pid).now
  const logsSmall = await load('GET /logs (1,000 rows)', { url: 'http://127.0.0.1:5099/logs?page=1&limit=10' }, [
    server,
  ])
  const status = await load('GET /status', { url: 'http://127.0.0.1:5099/status' }, [server])
  const updated = await writeLoad('POST /update {"increment":1}', { ...update, url: 'http://127.0.0.1:5099/update' }, [
    server,
  ])
  const peakRss = rss(server.pid).peak
  await stop(server)
  const sqliteCheck = durability(
    'SQLite, after POST /update',
    1000,
    updated.ok,
    sqliteState(smallFile),
    updated.errors + updated.non2xx === 0,
  )
  durabilityLines.push(sqliteCheck.line)

  console.error('statehouse on SQLite: 1,000,000 log rows')
  const largeFile = path.join(dir, 'large.db')
  migrate({ ...SERVER_ENV, DATABASE_URL: `sqlite:${largeFile}`, DATA_DIR: dir })
  seedLogs(largeFile, 1_000_000)
  server = await serve(dir, 'large', { DATABASE_URL: `sqlite:${largeFile}` }, 5099)
  const logsLarge = await load('GET /logs (1,000,000 rows)', { url: 'http://127.0.0.1:5099/logs?page=1&limit=10' }, [
    server,
  ])
  const logsDeep = await load(
    'GET /logs?page=50000 (1,000,000 rows)',
    { url: 'http://127.0.0.1:5099/logs?page=50000&limit=10' },
    [server],
  )
  await stop(server)

  console.error('statehouse on PostgreSQL, one process')
  let pgRows: { status: Result; update: Result & { ok: number }; logs: Result } | undefined
  try {
    const database = await postgresDatabase('one')
    drops.push(database.drop)
    const env = { DATABASE_URL: database.url }
    migrate({ ...SERVER_ENV, ...env, DATA_DIR: dir })
    await seedPostgresLogs(database.url, 1000)
    server = await serve(dir, 'pg', env, 5099)
    const pgLogs = await load(
      'PostgreSQL: GET /logs (1,000 rows)',
      { url: 'http://127.0.0.1:5099/logs?page=1&limit=10' },
      [server],
    )
    const pgStatus = await load('PostgreSQL: GET /status', { url: 'http://127.0.0.1:5099/status' }, [server])
    const pgUpdate = await writeLoad('PostgreSQL: POST /update', { ...update, url: 'http://127.0.0.1:5099/update' }, [
      server,
    ])
    await stop(server)
    pgRows = { status: pgStatus, update: pgUpdate, logs: pgLogs }
    durabilityLines.push(
      durability(
        'PostgreSQL, after POST /update',
        1000,
        pgUpdate.ok,
        await postgresState(database.url),
        pgUpdate.errors + pgUpdate.non2xx === 0,
      ).line,
    )
  } catch (err) {
    console.error(`PostgreSQL skipped: ${(err as Error).message}`)
  }

  console.error('3 replicas + nginx on PostgreSQL + Redis')
  let cluster: (Result & { ok: number }) | undefined
  const nginx = findNginx()
  if (!nginx) console.error('cluster skipped: nginx is not installed (apt-get install nginx)')
  else {
    const replicas: ChildProcess[] = []
    let proxy: Awaited<ReturnType<typeof startNginx>> | undefined
    try {
      const database = await postgresDatabase('cluster')
      drops.push(database.drop)
      const env = {
        DATABASE_URL: database.url,
        REDIS_URL: `redis://127.0.0.1:6379/${1 + (process.pid % 15)}`,
        TRUST_PROXY: '1',
        DB_POOL_SIZE: '4',
      }
      migrate({ ...SERVER_ENV, ...env, DATA_DIR: dir })
      const ports = [5101, 5102, 5103]
      for (const [i, port] of ports.entries()) replicas.push(await serve(dir, `replica${i + 1}`, env, port))
      const nginxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-bench-nginx-'))
      const conf = writeBareNginxConfig(fs.readFileSync(NGINX_SNIPPET, 'utf8'), nginxDir, ports, 5100)
      proxy = await startNginx(nginx, nginxDir, conf, 5100)
      cluster = await writeLoad(
        '3 replicas + nginx, PostgreSQL + Redis: POST /update',
        { ...update, url: `${proxy.url}/update` },
        replicas,
      )
      durabilityLines.push(
        durability(
          'Cluster (3 replicas), after POST /update',
          0,
          cluster.ok,
          await postgresState(database.url),
          cluster.errors + cluster.non2xx === 0,
        ).line,
      )
    } catch (err) {
      console.error(`cluster skipped: ${(err as Error).stack}`)
    } finally {
      await proxy?.stop()
      for (const r of replicas) await stop(r)
    }
  }

  console.error('cold start and statehouse --help')
  const coldFile = path.join(dir, 'cold.db')
  migrate({ ...SERVER_ENV, DATABASE_URL: `sqlite:${coldFile}`, DATA_DIR: dir })
  const coldBare = await coldStart(process.execPath, ['-e', bareSource], {}, 'http://127.0.0.1:5098/')
  const coldStatehouse = await coldStart(
    process.execPath,
    [...NODE_FLAGS, path.join(ROOT, 'dist/src/server.js')],
    { ...SERVER_ENV, DATABASE_URL: `sqlite:${coldFile}`, DATA_DIR: dir, PORT: '5099' },
    'http://127.0.0.1:5099/health',
  )
  const nodeNothing = commandTime(process.execPath, ['-e', '0'])
  const help = commandTime(process.execPath, [...NODE_FLAGS, path.join(ROOT, 'bin/statehouse.js'), '--help'])

  console.error('ingest: 20 files × 10,000 aircraft against the Python reference')
  const ingest = ingestSmallCase(dir)

  for (const drop of drops) await drop().catch(() => {})

  const cpu = (r: Result | undefined) => (r?.cpuUs === undefined ? '?' : `${Math.round(r.cpuUs)} µs`)
  const mib = (b: number) => (b / MIB).toFixed(0)
  const statusRatio = status.rps / bare.rps
  const updateBare = updated.rps / bare.rps
  const updateLoop = updated.rps / loopRate
  const logsRatio = logsSmall.rps / bare.rps
  const pgRatios = pgRows && {
    status: pgRows.status.rps / status.rps,
    update: pgRows.update.rps / updated.rps,
    logs: pgRows.logs.rps / logsSmall.rps,
  }
  const clusterRatio = cluster?.cpuUs !== undefined && updated.cpuUs ? cluster.cpuUs / updated.cpuUs : undefined
  const summary = [
    '| | bare node:http | Fastify + schema | statehouse (SQLite unless named) | target (ratio in this run) | |',
    '|---|---:|---:|---|---|---|',
    `| GET /status req/s (server CPU per request) | ${fmtInt(bare.rps)} (${cpu(bare)}) | ${fmtInt(floor.rps)} (${cpu(floor)}) | ${fmtInt(status.rps)} (${cpu(status)}) = ${x(statusRatio)} bare | ≥ 0.70× bare | ${target(statusRatio >= 0.7)} |`,
    `| POST /update \`{"increment":1}\` req/s | | | ${fmtInt(updated.rps)} (${cpu(updated)}), p99 ${updated.p99} ms = ${x(updateBare)} bare, ${x(updateLoop)} the one-transaction loop (${fmtInt(loopRate)}/s) | ≥ 0.35× bare and ≥ 4× the loop; p99 < 20 ms | ${target(updateBare >= 0.35 && updateLoop >= 4 && updated.p99 < 20)} |`,
    `| GET /logs newest 10 req/s | | | ${fmtInt(logsSmall.rps)} (${cpu(logsSmall)}) = ${x(logsRatio)} bare | ≥ 0.50× bare | ${target(logsRatio >= 0.5)} |`,
    pgRatios
      ? `| statehouse on PostgreSQL, one process | | | /status ${x(pgRatios.status)}, /update ${x(pgRatios.update)}, /logs ${x(pgRatios.logs)} of SQLite's req/s (${cpu(pgRows?.status)}, ${cpu(pgRows?.update)}, ${cpu(pgRows?.logs)}) | each ≥ 0.67× SQLite's | ${target(Math.min(pgRatios.status, pgRatios.update, pgRatios.logs) >= 0.67)} |`
      : "| statehouse on PostgreSQL, one process | | | not run (PostgreSQL unreachable) | each ≥ 0.67× SQLite's | |",
    cluster && clusterRatio !== undefined
      ? `| 3 replicas + nginx on PostgreSQL + Redis, POST /update | | | ${cpu(cluster)} of replica CPU per update = ${x(clusterRatio)} the single SQLite process; ${fmtInt(cluster.rps)} req/s, p99 ${cluster.p99} ms | ≤ 2× | ${target(clusterRatio <= 2)} |`
      : '| 3 replicas + nginx on PostgreSQL + Redis, POST /update | | | not run (nginx, PostgreSQL or Redis missing) | ≤ 2× | |',
    `| cold start, spawn → first 200 on /health | ${coldBare.toFixed(0)} ms | | ${coldStatehouse.toFixed(0)} ms = ${x(coldStatehouse / coldBare)} bare | ≤ 4× bare | ${target(coldStatehouse / coldBare <= 4)} |`,
    `| \`statehouse --help\` | \`node -e 0\`: ${nodeNothing.toFixed(0)} ms | | ${help.toFixed(0)} ms = ${x(help / nodeNothing)} | ≤ 2.5× \`node -e 0\` | ${target(help / nodeNothing <= 2.5)} |`,
    ingest
      ? `| ingest, 20 gzipped files × 10,000 aircraft, vs the stdlib Python reference | | | whole command ${x(ingest.wall)}, job rate ${x(ingest.job)} | whole command ≥ 1.5×, job rate ≥ 2× | ${target(ingest.wall >= 1.5 && ingest.job >= 2)} |`
      : '| ingest, 20 gzipped files × 10,000 aircraft | | | not run (--no-ingest) | whole command ≥ 1.5×, job rate ≥ 2× | |',
    `| RSS idle / under load | ${mib(bareRss.idle)} / ${mib(bareRss.peak)} MiB | ${mib(floorRss.idle)} / ${mib(floorRss.peak)} MiB | ${mib(idleRss)} / ${mib(peakRss)} MiB | ≤ 80 / ≤ 120 MiB (flat over minutes: \`--soak\`) | ${target(idleRss <= 80 * MIB && peakRss <= 120 * MIB)} |`,
  ]
  const date = new Date().toISOString().slice(0, 10)
  results.push(
    `Run ${date} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; ` +
      `${CONNECTIONS} connections, ${SECONDS} s each (writes: a fixed number of requests sized to last about that long, so every answer is counted); ` +
      `servers on core 1, load on core 0${hasTaskset ? '' : ' (taskset unavailable: unpinned)'}; ` +
      'SQLite synchronous=FULL; one access-log line per request, written to a file; rate limit off. ' +
      `Load average when the run ended: ${os.loadavg()[0]?.toFixed(1)}.`,
    '',
    ...summary,
    '',
    'Every load:',
    '',
    '| load | req/s | p50 ms | p99 ms | server CPU µs/req | ratio |',
    '|---|---:|---:|---:|---:|---|',
    row(bare),
    row(floor, bare, 'bare'),
    `| better-sqlite3, one update transaction per iteration | ${fmtInt(loopRate)} | | | | |`,
    row(status, bare, 'bare'),
    row(updated, loopRate, 'the one-transaction loop'),
    row(logsSmall, bare, 'bare'),
    row(logsLarge, logsSmall, 'GET /logs with 1,000 rows (target: no slower)'),
    row(logsDeep, logsSmall, 'GET /logs with 1,000 rows'),
    ...(pgRows
      ? [
          row(pgRows.status, status, 'SQLite'),
          row(pgRows.update, updated, 'SQLite'),
          row(pgRows.logs, logsSmall, 'SQLite'),
        ]
      : []),
    ...(cluster ? [row(cluster, updated, 'one SQLite process (CPU: the three replicas together)')] : []),
    '',
    ...durabilityLines.flatMap((l) => [l, '']),
  )
  const text = results.join('\n')
  console.log(text)
  if (process.argv.includes('--write')) writeResultsSection('HTTP load (npm run bench)', text)
  fs.rmSync(dir, { recursive: true, force: true })
}

if (process.argv[2] === '--loop') {
  process.stdout.write(String(sqliteTransactionLoop(process.argv[3] ?? os.tmpdir())))
} else {
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
