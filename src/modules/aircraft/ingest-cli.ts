/**
 * `statehouse ingest [<source>] [--prefix P] [--json]` (SPEC §6): the same job the API runs — same
 * lease, same per-file transactions, same skipping — in the foreground, with a progress bar (files,
 * records/s, ETA) on stderr and a summary on stdout. Exit code 1 when any file failed (or the job
 * did), 0 otherwise. Ctrl-C / SIGTERM stop after the current file and release the lease.
 */
import { spawn } from 'node:child_process'
import os from 'node:os'
import { parseArgs } from 'node:util'
import cliProgress from 'cli-progress'
import { type Config, loadConfig } from '../../config.js'
import { createDb, tablesOf } from '../../platform/db/index.js'
import { type MigrationSource, migrateToLatest } from '../../platform/db/migrate.js'
import { Problem } from '../../platform/errors.js'
import { IngestService, type JobView, summarize } from './ingest.js'
import { openSource, safeSubPrefix, sourceUrl } from './sources.js'
import type { AircraftTables } from './tables.js'

export const INGEST_USAGE = `usage: statehouse ingest [<source>] [--prefix P] [--json]

  <source>     file:./folder or s3://bucket/prefix (default: AIRCRAFT_SOURCE, else s3://$S3_BUCKET/$S3_PREFIX,
               else file:./data/sample-aircraft)
  --prefix P   only the files under this sub-prefix of the source
  --json       print the summary as one JSON line (for scripts)
`

/** Streams the command writes to (the process's, or a test's). */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

/**
 * The main thread of a job allocates ~100,000 short-lived values per file (statement parameters),
 * and V8 answers by growing its young generation to ~48 MiB, all of it resident; 2 MiB semi-spaces
 * cost no measurable speed and ~30 MiB less peak RSS. The heap is sized before any code runs, so the
 * command runs itself again once with the flag (unless it already has one).
 */
const YOUNG_GENERATION_FLAG = '--max-semi-space-size=2'

/** Runs the command in a child process with {@link YOUNG_GENERATION_FLAG}; resolves with its exit code. */
function rerunWithSmallYoungGeneration(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, YOUNG_GENERATION_FLAG, ...process.argv.slice(1)], { stdio: 'inherit' })
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal)
  const onInt = forward('SIGINT')
  const onTerm = forward('SIGTERM')
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onTerm)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1))
    })
  })
}

/** `statehouse ingest` as the CLI runs it: in a child with a small young generation (see above). */
export async function ingestMain(argv: string[], migrations: readonly MigrationSource[]): Promise<number> {
  if (process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))) return ingestCommand(argv, migrations)
  return rerunWithSmallYoungGeneration()
}

/** Runs the command (migrating first with every module's migrations); resolves with the process exit code. */
export async function ingestCommand(argv: string[], migrations: readonly MigrationSource[], env: NodeJS.ProcessEnv = process.env, io: CliIo = process): Promise<number> {
  let args: ReturnType<typeof parse>
  function parse() {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options: { prefix: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  }
  try {
    args = parse()
  } catch (err) {
    io.stderr.write(`statehouse ingest: ${(err as Error).message}\n${INGEST_USAGE}`)
    return 2
  }
  if (args.values.help) {
    io.stdout.write(INGEST_USAGE)
    return 0
  }
  if (args.positionals.length > 1) {
    io.stderr.write(`statehouse ingest: one source at most\n${INGEST_USAGE}`)
    return 2
  }
  const prefix = safeSubPrefix(args.values.prefix ?? '')
  if (prefix === null) {
    io.stderr.write('statehouse ingest: --prefix must be a relative sub-prefix (no .., no absolute path, no scheme)\n')
    return 2
  }
  const config: Config = loadConfig(env)
  const url = args.positionals[0] ?? sourceUrl(config)
  const db = createDb(config.database, { poolSize: 2, sqliteSynchronous: config.SQLITE_SYNCHRONOUS })
  const bar = new cliProgress.SingleBar(
    {
      format: 'ingest |{bar}| {value}/{total} files | {records} records | {rate} records/s | ETA {eta_formatted}',
      stream: io.stderr,
      // Not a terminal (CI, a log file): one line every few seconds instead of redrawing in place.
      noTTYOutput: !io.stderr.isTTY,
      notTTYSchedule: 2000,
      etaBuffer: 50,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  )
  let barStarted = false
  let startedMs = 0
  const onProgress = (job: JobView) => {
    const seconds = startedMs ? (Date.now() - startedMs) / 1000 : 0
    const payload = { records: job.records.toLocaleString('en-US'), rate: seconds > 0 ? Math.round(job.records / seconds).toLocaleString('en-US') : '–' }
    if (!barStarted && job.status === 'running') {
      startedMs = Date.now()
      bar.start(job.files_total, job.files_done, payload)
      barStarted = true
    } else if (barStarted) bar.update(job.files_done, payload)
  }
  const ingest = new IngestService(tablesOf<AircraftTables>(db), openSource(url, config), { leaseMs: config.INGEST_LEASE_SECONDS * 1000, workers: config.INGEST_WORKERS, onProgress })
  // `on`, not `once`: Ctrl-C reaches this process both from the terminal and through the launcher;
  // a repeated signal must not kill it before the job has released its lease.
  const interrupt = () => void ingest.stop()
  process.on('SIGINT', interrupt)
  process.on('SIGTERM', interrupt)
  try {
    await migrateToLatest(db, migrations)
    let finished: JobView
    try {
      finished = await (await ingest.start(prefix)).done
    } catch (err) {
      if (err instanceof Problem) {
        io.stderr.write(`statehouse ingest: ${err.message}\n`)
        return 1
      }
      throw err
    } finally {
      if (barStarted) bar.stop()
    }
    const seconds = startedMs ? (Date.now() - startedMs) / 1000 : 0
    const summary = summarize(finished)
    const peakRss = process.resourceUsage().maxRSS * 1024
    const failed = summary.errors.length
    if (args.values.json) {
      io.stdout.write(
        `${JSON.stringify({ ...summary, source: ingest.sourceName, files_total: finished.files_total, bytes: finished.bytes, seconds, records_per_second: seconds > 0 ? finished.records / seconds : null, peak_rss_bytes: peakRss })}\n`,
      )
    } else {
      const lines = [
        `${summary.message}: ${ingest.sourceName}${prefix ? ` (prefix ${prefix})` : ''}`,
        `  job        ${summary.job_id} (${summary.status})`,
        `  files      ${finished.files_total} listed: ${summary.files_processed} processed, ${summary.files_skipped} skipped (unchanged since last run), ${summary.errors.filter((e) => e.file).length} failed`,
        `  records    ${summary.records_processed.toLocaleString('en-US')} in ${seconds.toFixed(1)} s (${seconds > 0 ? Math.round(summary.records_processed / seconds).toLocaleString('en-US') : '–'} records/s), ${mb(finished.bytes)} read`,
        `  peak RSS   ${mb(peakRss)}`,
        ...summary.errors.slice(0, 20).map((e) => `  error      ${e.file || '(job)'}: ${e.reason}`),
        ...(failed > 20 ? [`  …and ${failed - 20} more errors (GET /jobs/${summary.job_id})`] : []),
      ]
      io.stdout.write(`${lines.join('\n')}\n`)
    }
    return failed > 0 || summary.status !== 'succeeded' ? 1 : 0
  } finally {
    process.off('SIGINT', interrupt)
    process.off('SIGTERM', interrupt)
    await ingest.stop()
    await db.close()
  }
}
