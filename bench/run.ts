/**
 * `npm run bench`: statehouse against two baselines measured in the same run, so the figures are
 * ratios that hold on a noisy 2-core machine. The servers run on core 1, the load generator on core 0.
 *
 *   bare       a node:http server answering a constant JSON (the ceiling for any Node server here)
 *   sqlite-tx  a better-sqlite3 loop, one update transaction (UPDATE state + INSERT log) per iteration,
 *              synchronous=FULL (what one-transaction-per-request costs)
 *
 * Loads: autocannon, 64 connections, BENCH_SECONDS (10) each, on GET /status, POST /update, GET /logs
 * (with 1,000 and with 1,000,000 log rows). `--write` also rewrites bench/RESULTS.md.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import SQLite from 'better-sqlite3'
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
  /** CPU the server process spent per request (user + system, all its threads). */
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

/** Loads a URL; with `server`, also reports the server's CPU per request — a figure that, unlike
 * req/s, does not depend on how much of the machine the load generator got. */
async function load(name: string, opts: autocannon.Options, server?: ChildProcess): Promise<Result> {
  const before = cpuMicros(server?.pid)
  const r = await autocannon({ connections: CONNECTIONS, duration: SECONDS, pipelining: 1, ...opts })
  const after = cpuMicros(server?.pid)
  return {
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    cpuUs:
      before !== undefined && after !== undefined && r.requests.total > 0
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

async function statehouse(dir: string, name: string, logRows: number) {
  const file = path.join(dir, `${name}.db`)
  const env = {
    DATABASE_URL: `sqlite:${file}`,
    API_KEY: KEY,
    ENVIRONMENT: 'production',
    JWT_SECRET: 'bench-jwt-secret-0123456789abcdef0123456789',
    RATE_LIMIT_PER_MINUTE: '0',
    SQLITE_SYNCHRONOUS: 'FULL',
    LOG_LEVEL: 'info',
    REQUEST_LOG: 'true',
    HOST: '127.0.0.1',
    PORT: '5099',
    DATA_DIR: dir,
  }
  // Migrate, seed, then serve: the server starts on a database that already has its log rows.
  execFileSync(process.execPath, [path.join(ROOT, 'dist/src/cli.js'), 'migrate'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  })
  if (logRows > 0) seedLogs(file, logRows)
  const child = startProcess(
    process.execPath,
    [path.join(ROOT, 'dist/src/server.js')],
    env,
    path.join(dir, `${name}.log`),
  )
  await waitFor('http://127.0.0.1:5099/health', child)
  return child
}

function row(r: Result, baseline?: Result | number, label = '') {
  const base = typeof baseline === 'number' ? baseline : baseline?.rps
  const ratio = base ? `${((r.rps / base) * 100).toFixed(0)} % of ${label}` : ''
  const bad = r.errors + r.non2xx > 0 ? ` (${r.errors} errors, ${r.non2xx} non-2xx)` : ''
  const cpu = r.cpuUs === undefined ? '' : Math.round(r.cpuUs)
  return `| ${r.name} | ${Math.round(r.rps).toLocaleString('en')} | ${r.p50} | ${r.p99} | ${cpu} | ${ratio}${bad} |`
}

async function main() {
  console.error('building…')
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-bench-'))
  const results: string[] = []

  console.error('baseline: bare node:http')
  const bareSource = `require('http').createServer((q, s) => { s.writeHead(200, {'content-type': 'application/json'}); s.end('{"counter":0,"message":""}') }).listen(5098, '127.0.0.1')`
  const bareChild = startProcess(process.execPath, ['-e', bareSource], {})
  await waitFor('http://127.0.0.1:5098/', bareChild)
  const bare = await load('bare node:http, constant JSON', { url: 'http://127.0.0.1:5098/' }, bareChild)
  await stop(bareChild)

  // Not a target, a floor: what the framework alone costs per request, to read the figures below by.
  console.error('reference: Fastify with a response schema and nothing else')
  const floorSource =
    "import Fastify from 'fastify'; const app = Fastify(); app.get('/', { schema: { response: { 200: { type: 'object', " +
    "properties: { counter: { type: 'integer' }, message: { type: 'string' } } } } } }, async () => ({ counter: 0, message: '' })); " +
    "await app.listen({ port: 5097, host: '127.0.0.1' })"
  const floorChild = startProcess(process.execPath, ['--input-type=module', '-e', floorSource], {})
  await waitFor('http://127.0.0.1:5097/', floorChild)
  const floor = await load(
    'Fastify 5, response schema, no hooks (reference)',
    { url: 'http://127.0.0.1:5097/' },
    floorChild,
  )
  await stop(floorChild)

  console.error('baseline: better-sqlite3 one transaction per update')
  const loopRate = hasTaskset
    ? Number(
        execFileSync(
          'taskset',
          ['-c', '1', process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), '--loop', dir],
          {
            cwd: ROOT,
            env: { ...process.env, BENCH_SECONDS: String(SECONDS) },
          },
        )
          .toString()
          .trim(),
      )
    : sqliteTransactionLoop(dir)

  console.error('statehouse: 1,000 log rows')
  let server = await statehouse(dir, 'small', 1000)
  const logsSmall = await load('GET /logs (1,000 rows)', { url: 'http://127.0.0.1:5099/logs?page=1&limit=10' }, server)
  const status = await load('GET /status', { url: 'http://127.0.0.1:5099/status' }, server)
  const update = await load(
    'POST /update {"increment":1}',
    {
      url: 'http://127.0.0.1:5099/update',
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: '{"increment":1}',
    },
    server,
  )
  await stop(server)
  // Every acknowledged update must be in the database.
  const check = new SQLite(path.join(dir, 'small.db'), { readonly: true })
  const { counter, version } = check.prepare('select counter, version from state').get() as {
    counter: number
    version: number
  }
  const logCount = (check.prepare('select count(*) as n from state_log').get() as { n: number }).n
  check.close()

  console.error('statehouse: 1,000,000 log rows')
  server = await statehouse(dir, 'large', 1_000_000)
  const logsLarge = await load(
    'GET /logs (1,000,000 rows)',
    { url: 'http://127.0.0.1:5099/logs?page=1&limit=10' },
    server,
  )
  const logsDeep = await load(
    'GET /logs?page=50000 (1,000,000 rows)',
    { url: 'http://127.0.0.1:5099/logs?page=50000&limit=10' },
    server,
  )
  await stop(server)

  const date = new Date().toISOString().slice(0, 10)
  results.push(
    `Run ${date} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; ` +
      `${CONNECTIONS} connections, ${SECONDS} s each; server on core 1, load on core 0${hasTaskset ? '' : ' (taskset unavailable: unpinned)'}; ` +
      'SQLite synchronous=FULL; one access-log line per request, written to a file.',
    '',
    '| load | req/s | p50 ms | p99 ms | server CPU µs/req | ratio |',
    '|---|---:|---:|---:|---:|---|',
    row(bare),
    row(floor, bare, 'bare'),
    `| better-sqlite3, one update transaction per iteration | ${Math.round(loopRate).toLocaleString('en')} | | | | |`,
    row(status, bare, 'bare (target ≥ 70 %)'),
    row(update, loopRate, 'the one-transaction loop (target ≥ 400 %, p99 < 20 ms)'),
    row(logsSmall, status, 'GET /status (target ≥ 50 %)'),
    row(logsLarge, logsSmall, 'GET /logs with 1,000 rows (target: no slower)'),
    row(logsDeep, logsSmall, 'GET /logs with 1,000 rows'),
    '',
    `Durability check after the POST load: counter ${counter}, version ${version}, ${logCount} log rows ` +
      `(${update.errors + update.non2xx === 0 && counter === version && version === logCount ? 'consistent' : 'CHECK'}).`,
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
