/**
 * `statehouse ingest [<source>] [--prefix P] [--json]` (SPEC §6): the same job the API runs — same
 * lease, same per-file transactions, same skipping — in the foreground, with a progress bar (files,
 * records/s, ETA) on stderr and a summary on stdout. Exit codes: 2 for a usage error or a source
 * that cannot be used (unknown scheme, missing or unreadable folder, bucket that cannot be listed:
 * nothing runs), 1 when any file failed (or the job did), 0 otherwise — with a warning when no file
 * matched. Ctrl-C / SIGTERM stop after the current file and release the lease.
 */
import { parseArgs } from 'node:util'
import cliProgress from 'cli-progress'
import { type Config, loadConfig } from '../../config.js'
import { createDb, tablesOf } from '../../platform/db/index.js'
import { type MigrationSource, migrateToLatest } from '../../platform/db/migrate.js'
import { Problem } from '../../platform/errors.js'
import { IngestService, summarize } from './ingest.js'
import { failedFiles, jobFailureReason } from './job-errors.js'
import type { JobView } from './schemas.js'
import { type AircraftSource, openSource, SourceError, safeSubPrefix, sourceUrl } from './sources.js'
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
const plural = (n: number, one: string) => `${n.toLocaleString('en-US')} ${one}${n === 1 ? '' : 's'}`
/** A summary line per error whatever the reason holds (a parser's message may span lines). */
const oneLine = (text: string) =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
  text.replace(/\s*[\r\n]+\s*/g, ' / ').replace(/[\u0000-\u001f\u007f]/g, ' ')
/** Seconds as the bar shows them (12s, 3m04s, 1h05m), or – when nothing is done yet to go by. */
function eta(job: JobView, seconds: number): string {
  if (job.files_done === 0 || seconds <= 0) return '–'
  const left = Math.ceil(((job.files_total - job.files_done) * seconds) / job.files_done)
  const pad = (n: number) => String(n).padStart(2, '0')
  if (left >= 3600) return `${Math.floor(left / 3600)}h${pad(Math.floor((left % 3600) / 60))}m`
  if (left >= 60) return `${Math.floor(left / 60)}m${pad(left % 60)}s`
  return `${left}s`
}

/** The summary's first line: what happened, in words that never call a run with failures a success. */
function headline(job: JobView, failed: number, where: string): string {
  const failedNames = job.errors.filter((e) => e.file !== '').map((e) => oneLine(e.file))
  const named = failedNames.slice(0, 3).join(', ') + (failed > 3 ? `, …${failed - 3} more` : '')
  if (job.status !== 'succeeded') {
    const why = jobFailureReason(job.errors)
    return `Ingest ${job.status}${failed ? ` (${plural(failed, 'file')} failed: ${named})` : ''}: ${where}${why ? `: ${oneLine(why)}` : ''}`
  }
  if (failed)
    return `Ingest finished with errors: ${failed.toLocaleString('en-US')} of ${plural(job.files_total, 'file')} failed (${named}): ${where}`
  if (job.files_total === 0) return `No files matched: ${where} has no .json or .json.gz file; nothing was ingested`
  return `Data processed successfully: ${where}`
}

/**
 * `statehouse ingest` as the CLI runs it. The main thread of a job allocates ~100,000 short-lived
 * values per file (statement parameters), and V8 would grow its young generation to ~48 MiB, all of
 * it resident; the launch command (bin/statehouse.js, `npm run statehouse`) sets 2 MiB semi-spaces
 * before the heap exists, so the command runs in that one process (no second Node start).
 */
export function ingestMain(argv: string[], migrations: readonly MigrationSource[]): Promise<number> {
  return ingestCommand(argv, migrations)
}

/** Runs the command (migrating first with every module's migrations); resolves with the process exit code. */
async function ingestCommand(
  argv: string[],
  migrations: readonly MigrationSource[],
  env: NodeJS.ProcessEnv = process.env,
  io: CliIo = process,
): Promise<number> {
  let args: ReturnType<typeof parse>
  function parse() {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { prefix: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    })
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
  // A source that cannot be used is a usage error found before anything runs (no database is made).
  let source: AircraftSource
  try {
    source = openSource(url, config)
    await source.check?.()
  } catch (err) {
    if (!(err instanceof SourceError)) throw err
    io.stderr.write(`statehouse ingest: ${err.message}\n`)
    return 2
  }
  const db = createDb(config.database, { poolSize: 2, sqliteSynchronous: config.SQLITE_SYNCHRONOUS })
  const bar = new cliProgress.SingleBar(
    {
      // Its own ETA: cli-progress prints an unknown one as "LLs" or "NFs".
      format: 'ingest |{bar}| {value}/{total} files | {records} records | {rate} records/s | ETA {eta_text}',
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
    const payload = {
      records: job.records.toLocaleString('en-US'),
      rate: seconds > 0 ? Math.round(job.records / seconds).toLocaleString('en-US') : '–',
      eta_text: eta(job, seconds),
    }
    // No bar for an empty listing: there is no progress to show (the summary says no file matched).
    if (!barStarted && job.status === 'running' && job.files_total > 0) {
      startedMs = Date.now()
      bar.start(job.files_total, job.files_done, payload)
      barStarted = true
    } else if (barStarted) bar.update(job.files_done, payload)
  }
  const ingest = new IngestService(tablesOf<AircraftTables>(db), source, {
    leaseMs: config.INGEST_LEASE_SECONDS * 1000,
    workers: config.INGEST_WORKERS,
    onProgress,
  })
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
    const failed = failedFiles(finished.errors)
    const where = `${ingest.sourceName}${prefix ? ` (prefix ${prefix})` : ''}`
    if (finished.status === 'succeeded' && finished.files_total === 0) {
      io.stderr.write(`statehouse ingest: warning: no files matched in ${where}\n`)
    }
    if (args.values.json) {
      io.stdout.write(
        `${JSON.stringify({ ...summary, source: ingest.sourceName, files_total: finished.files_total, bytes: finished.bytes, seconds, records_per_second: seconds > 0 ? finished.records / seconds : null, peak_rss_bytes: peakRss })}\n`,
      )
    } else {
      const state =
        summary.status === 'succeeded' && failed ? `ran to the end, ${plural(failed, 'file')} failed` : summary.status
      const lines = [
        headline(finished, failed, where),
        `  job        ${summary.job_id} (${state})`,
        `  files      ${finished.files_total} listed: ${summary.files_processed} processed, ${summary.files_skipped} skipped (unchanged since last run), ${failed} failed`,
        `  records    ${summary.records_processed.toLocaleString('en-US')} in ${seconds.toFixed(1)} s (${seconds > 0 ? Math.round(summary.records_processed / seconds).toLocaleString('en-US') : '–'} records/s), ${mb(finished.bytes)} read`,
        `  peak RSS   ${mb(peakRss)}`,
        ...summary.errors.slice(0, 20).map((e) => `  error      ${oneLine(e.file) || '(job)'}: ${oneLine(e.reason)}`),
        ...(summary.errors.length > 20
          ? [`  …and ${summary.errors.length - 20} more errors (GET /jobs/${summary.job_id})`]
          : []),
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
