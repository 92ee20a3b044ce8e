/**
 * `npm run bench:events`: GET /events fan-out on one process on SQLite (issue 12, acceptance 5).
 * For each N in BENCH_EVENTS_SUBSCRIBERS (1000,10000): N raw http streams in this process, then
 * BENCH_EVENTS_RATE (500) POST /update per second for BENCH_EVENTS_SECONDS (5). Reported:
 *   latency   commit to delivery, p50/p99: the event's own `timestamp` (set in the writing transaction,
 *             same clock, ms) to the arrival of the chunk carrying it, on the first 1,000 streams
 *   RSS       (server RSS with N idle streams − RSS with none) / N
 *   lost      subscribers missing any id, or seeing one twice or out of order (must be 0)
 * 10,000 streams need 10,000 descriptors in this process and in the server: the script raises
 * nothing itself; run it under `ulimit -n 20000` (this machine's default). `--write` rewrites the
 * section in bench/RESULTS.md.
 */
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { startServer } from '../test/helpers/server-process.js'
import { writeResultsSection } from './results-file.js'

const COUNTS = (process.env.BENCH_EVENTS_SUBSCRIBERS ?? '1000,10000').split(',').map(Number)
const RATE = Number(process.env.BENCH_EVENTS_RATE ?? 500)
const SECONDS = Number(process.env.BENCH_EVENTS_SECONDS ?? 5)
const KEY = 'bench-events-key-0123456789'

interface Stream {
  lastId: number
  count: number
  broken: boolean
  ended: boolean
  ready: boolean
  /** Latency is recorded on the first 1,000 streams only (bounded memory at 10,000). */
  sampled: boolean
  buffer: string
  req: http.ClientRequest
}

/** Commit time (ms since epoch) per event id, parsed once from the first copy seen. */
const commitMs = new Map<number, number>()
let latencies: Float64Array = new Float64Array(0)
let latencyCount = 0
const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY })

function openStream(base: string, sampled: boolean): Stream {
  const s: Stream = {
    lastId: 0,
    count: 0,
    broken: false,
    ended: false,
    ready: false,
    sampled,
    buffer: '',
    req: undefined as never,
  }
  s.req = http.get(`${base}/events?topics=state`, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
    if (res.statusCode !== 200) s.broken = true
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      const at = Date.now() // the server's clock too: same machine
      const lines = (s.buffer + chunk).split('\n')
      s.buffer = lines.pop() ?? ''
      let id = 0
      for (const line of lines) {
        if (line.startsWith('retry:')) s.ready = true
        else if (line.startsWith('id: ')) id = Number(line.slice(4))
        else if (line.startsWith('data: ') && id > 0) {
          if (id !== s.lastId + 1 && s.lastId !== 0) s.broken = true
          s.lastId = id
          s.count++
          let committed = commitMs.get(id)
          if (committed === undefined) {
            const m = /"timestamp":"([^"]+)"/.exec(line)
            committed = m ? Date.parse(m[1] as string) : Number.NaN
            commitMs.set(id, committed)
          }
          if (s.sampled && latencyCount < latencies.length) latencies[latencyCount++] = at - committed
          id = 0
        }
      }
    })
    res.on('close', () => (s.ended = true))
  })
  s.req.on('error', () => {
    s.broken = true
    s.ended = true
  })
  return s
}

/** Writes go over 64 keep-alive connections: past that, requests queue here, not in the server. */
const writeAgent = new http.Agent({ keepAlive: true, maxSockets: 64 })

function postUpdate(base: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}/update`,
      {
        method: 'POST',
        agent: writeAgent,
        headers: { 'x-api-key': KEY, 'content-type': 'application/json', 'content-length': '15' },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end('{"increment":1}')
  })
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m?.[1])
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

async function until(ready: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!ready()) {
    if (Date.now() > deadline) return false
    await sleep(50)
  }
  return true
}

async function runOne(n: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-bench-events-'))
  const server = await startServer({
    DATABASE_URL: `sqlite:${path.join(dir, 'bench.db')}`,
    DATA_DIR: dir,
    API_KEY: KEY,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
    EVENTS_MAX_SUBSCRIBERS: String(n + 1000),
    // Every stream is a connection: the server's connection cap must fit them and the writers.
    MAX_CONNECTIONS: String(n + 1000),
    EVENTS_HEARTBEAT_MS: '5000',
    EVENTS_POLL_MS: '200',
  })
  const pid = server.child.pid as number
  try {
    await sleep(1000)
    const rss0 = rssKiB(pid)
    const streams: Stream[] = []
    for (let i = 0; i < n; i++) {
      streams.push(openStream(server.url, i < 1000))
      if (i % 200 === 199) await until(() => streams.every((s) => s.ready || s.ended), 30_000)
    }
    const allReady = await until(() => streams.every((s) => s.ready || s.ended), 60_000)
    await sleep(1000)
    const rssN = rssKiB(pid)

    commitMs.clear()
    const total = RATE * SECONDS
    latencies = new Float64Array(total * Math.min(n, 1000))
    latencyCount = 0
    let ok = 0
    const failures = new Map<string, number>()
    const started = performance.now()
    const inflight: Promise<void>[] = []
    for (let sent = 0; sent < total; ) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE) + 1)
      for (; sent < due; sent++)
        inflight.push(
          postUpdate(server.url).then(
            (status) => {
              if (status === 200) ok++
              else failures.set(`HTTP ${status}`, (failures.get(`HTTP ${status}`) ?? 0) + 1)
            },
            (err: Error) => {
              failures.set(err.message, (failures.get(err.message) ?? 0) + 1)
            },
          ),
        )
      await sleep(2)
    }
    await Promise.all(inflight)
    const writeSeconds = (performance.now() - started) / 1000
    const drained = await until(() => streams.every((s) => s.count >= ok || s.ended), 120_000)
    const lost = streams.filter((s) => s.broken || s.ended || s.count !== ok).length
    const lostHow = {
      outOfOrder: streams.filter((s) => s.broken).length,
      ended: streams.filter((s) => s.ended).length,
      short: streams.filter((s) => s.count !== ok).length,
    }
    for (const s of streams) s.req.destroy()
    const sorted = latencies.subarray(0, latencyCount).sort()
    return {
      n,
      allReady,
      updates: ok,
      failed: [...failures.values()].reduce((a, b) => a + b, 0),
      failures: Object.fromEntries(failures),
      rate: ok / writeSeconds,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: sorted[sorted.length - 1] ?? Number.NaN,
      perSubscriberKiB: (rssN - rss0) / n,
      rss0,
      rssN,
      peakRss: rssKiB(pid),
      drained,
      lost,
      lostHow,
    }
  } finally {
    await server.stop('SIGTERM')
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const rows = []
for (const n of COUNTS) {
  const r = await runOne(n)
  console.log(JSON.stringify(r))
  rows.push(r)
}
const table = [
  `One process on SQLite, ${RATE} POST /update per second for ${SECONDS} s; subscribers are raw http streams in the load generator's process (same 2 shared cores, ${os.cpus()[0]?.model ?? 'cpu'}). Targets: p99 < 50 ms at 1,000; 10,000 held at ≤ 10 KiB RSS each; 0 lost.`,
  '',
  '| subscribers | updates (achieved /s) | p50 ms | p99 ms | max ms | RSS / subscriber | server RSS 0 → N | lost |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.n.toLocaleString('en')} | ${r.updates} (${r.rate.toFixed(0)}${r.failed ? `, ${r.failed} failed` : ''}) | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(0)} | ${r.perSubscriberKiB.toFixed(1)} KiB | ${(r.rss0 / 1024).toFixed(0)} → ${(r.rssN / 1024).toFixed(0)} MiB | ${r.lost}${r.drained ? '' : ' (not drained in 120 s)'} |`,
  ),
].join('\n')
console.log(`\n${table}`)
if (process.argv.includes('--write')) writeResultsSection('Realtime fan-out (npm run bench:events)', table)
