/**
 * Ingest jobs (SPEC §6): one at a time across every replica, held by a lease row in the database that
 * the running process renews; if the process dies, the lease runs out and the next job may start.
 * Files are read and parsed ahead on worker threads ({@link ParserPool}) while the main thread folds
 * each finished file into the stats in one transaction, in listing order. That transaction also
 * records the file as processed, advances the job's counters and checks that this job still holds
 * the lease (a fencing check: a job that stalled past its lease cannot write after another took
 * over). A file already folded in with the same ETag and size is skipped, so running again changes
 * nothing; a malformed file becomes a job error and changes nothing.
 */
import { randomUUID } from 'node:crypto'
import os from 'node:os'
import type { Db } from '../../platform/db/index.js'
import type { EventSink, NewEvent } from '../../platform/events/sink.js'
import { membersOf } from '../../platform/http/common-schemas.js'
import { failedFiles, jobFailureReason, MAX_LISTED_ERRORS, unlistedEntry } from './job-errors.js'
import type { CompactFile } from './parse/accumulator.js'
import { MalformedFileError } from './parse/malformed-file-error.js'
import { ParserPool } from './parser-pool.js'
import { problems } from './problems.js'
import * as repo from './repository.js'
import { type JobError, JobSchema, type JobView } from './schemas.js'
import type { AircraftSource, SourceObject } from './sources.js'
import type { AircraftTables, IngestJobRow, IngestJobsTable } from './tables.js'

/**
 * The summary of a finished job: the answer of `POST /process-s3-data` (the reference's keys
 * `message`, `records_processed`, `files_processed`, `files_skipped`, `errors`, plus the job) and the CLI's.
 */
export interface JobSummary {
  message: string
  job_id: string
  status: JobView['status']
  records_processed: number
  files_processed: number
  files_skipped: number
  errors: JobError[]
}

/** Options of {@link IngestService}. */
export interface IngestOptions {
  /** How long a job's lease lasts without renewal (it is renewed every third of that). */
  leaseMs: number
  /** Parser threads; 0 or unset: one per core but one. */
  workers?: number
  /** Called after every file (and at the start and end), with the job as it stands. */
  onProgress?: (job: JobView) => void
  /** aircraft.ingest_progress (with committed files, at most every 250 ms) and aircraft.ingest_finished. */
  events?: EventSink
}

/** The least time between two aircraft.ingest_progress events of a job (the last file always has one). */
const PROGRESS_EVENT_MS = 250

const files = (n: number) => `${n} ${n === 1 ? 'file' : 'files'}`

const jobMembers = membersOf(JobSchema)

/** Rows → API shape. */
function toJobView(row: IngestJobRow): JobView {
  return jobMembers({ ...row, errors: JSON.parse(row.errors) as JobError[] })
}

/**
 * The finished job as `POST /process-s3-data` and the CLI report it. `message` is the reference's
 * `Data processed successfully` only when every file went in; otherwise it says how many failed.
 */
export function summarize(job: JobView): JobSummary {
  const fileErrors = failedFiles(job.errors)
  const message =
    job.status !== 'succeeded'
      ? `Processing failed${fileErrors ? ` (${files(fileErrors)} failed)` : ''}: ${jobFailureReason(job.errors) ?? 'see errors'}`
      : fileErrors
        ? `Data processed with errors: ${files(fileErrors)} of ${job.files_total} failed (see errors)`
        : 'Data processed successfully'
  return {
    message,
    job_id: job.id,
    status: job.status,
    records_processed: job.records,
    files_processed: Math.max(0, job.files_done - job.files_skipped - fileErrors),
    files_skipped: job.files_skipped,
    errors: job.errors,
  }
}

/** The job lost its lease (another process took it over): it must stop writing at once. */
class LeaseLost extends Error {}
/** The service is shutting down: the job stops between files and releases its lease. */
class Interrupted extends Error {}

/** What the read-ahead stage hands to the writer for one file. */
type Prepared = { kind: 'parsed'; file: CompactFile } | { kind: 'skipped' } | { kind: 'error'; reason: string }

/** Runs ingest jobs over one source. One instance per process; the lease makes it one per cluster. */
export class IngestService {
  /** Who holds the lease, for operators reading the lease row. */
  private readonly owner = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  /** Prepared on first use: the tables must exist (migrations run after construction). */
  private committer: repo.FileCommitter | undefined
  private pool: ParserPool | undefined
  private running: { id: string; done: Promise<JobView>; stop: () => void } | undefined
  private progressEventAt = 0

  constructor(
    private readonly db: Db<AircraftTables>,
    private readonly source: AircraftSource,
    private readonly options: IngestOptions,
  ) {}

  /** The source's name (`file:/abs/path` or `s3://bucket/prefix`). */
  get sourceName(): string {
    return this.source.name
  }

  /**
   * Claims the lease and starts a job in the background over `prefix` (already checked to be a safe
   * sub-prefix). Throws a 409 Problem naming the running job when another one, on any replica,
   * holds the lease.
   */
  async start(prefix = ''): Promise<{ job: JobView; done: Promise<JobView> }> {
    const id = randomUUID()
    const now = new Date()
    const claim = await this.db.writeTransaction(async (trx) => {
      const result = await repo.claimLease(trx, this.db.engine, id, this.owner, now, this.options.leaseMs)
      if (!result.claimed) return result
      if (result.expired) {
        // Its process died (or stalled past its lease) without finishing: say so on that job.
        const dead = await repo.findJob(trx, result.expired)
        if (dead && (dead.status === 'queued' || dead.status === 'running')) {
          const errors = [
            ...(JSON.parse(dead.errors) as JobError[]),
            { file: '', reason: 'its process stopped renewing the lease (crashed or killed); run again to resume' },
          ]
          await repo.updateJob(trx, result.expired, {
            status: 'failed',
            finished_at: now.toISOString(),
            errors: JSON.stringify(errors),
          })
        }
      }
      await repo.insertJob(trx, {
        id,
        status: 'queued',
        source: this.source.name,
        prefix,
        files_total: 0,
        files_done: 0,
        files_skipped: 0,
        records: 0,
        bytes: 0,
        errors: '[]',
        started_at: null,
        finished_at: null,
        created_at: now.toISOString(),
      })
      return result
    })
    if (!claim.claimed) throw problems.jobRunning(claim.holder)
    let stopped = false
    const done = this.run(id, prefix, () => stopped)
    this.running = { id, done, stop: () => (stopped = true) }
    void done.finally(() => {
      if (this.running?.id === id) this.running = undefined
    })
    return { job: (await this.job(id)) as JobView, done }
  }

  /** A job by id, or undefined. */
  async job(id: string): Promise<JobView | undefined> {
    const row = await repo.findJob(this.db.kysely, id)
    return row ? toJobView(row) : undefined
  }

  /**
   * Shutdown: the running job stops after the file it is writing, is marked failed ("interrupted")
   * and releases the lease, so another replica can run the rest at once; the parser threads stop.
   */
  async stop(): Promise<void> {
    const running = this.running
    if (running) {
      running.stop()
      await running.done.catch(() => {})
    }
    await this.pool?.close()
    this.pool = undefined
  }

  private parser(): ParserPool {
    // A small young generation per worker: a parse allocates little that survives, and V8's default
    // (up to 48 MiB per thread) showed up as resident memory, not as speed.
    this.pool ??= new ParserPool({
      ...(this.options.workers ? { size: this.options.workers } : {}),
      youngGenerationMb: 4,
    })
    return this.pool
  }

  private async run(id: string, prefix: string, stopped: () => boolean): Promise<JobView> {
    const leaseMs = this.options.leaseMs
    let leaseLost = false
    const heartbeat = setInterval(
      () => {
        repo.renewLease(this.db.kysely, id, new Date(Date.now() + leaseMs)).then(
          (held) => {
            if (!held) leaseLost = true
          },
          () => {}, // the database is briefly away: the next beat (or the lease) decides
        )
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    )
    heartbeat.unref()

    const progress = { files_total: 0, files_done: 0, files_skipped: 0, records: 0, bytes: 0 }
    const errors: JobError[] = []
    let unlisted = 0
    const addError = (error: JobError) => {
      if (errors.length < MAX_LISTED_ERRORS) errors.push(error)
      else unlisted++
    }
    const listedErrors = () => (unlisted ? [...errors, unlistedEntry(unlisted)] : errors)
    let startedAt: string | null = null
    const view = (status: JobView['status'], finishedAt: string | null = null): JobView => ({
      id,
      status,
      ...progress,
      errors: listedErrors(),
      started_at: startedAt,
      finished_at: finishedAt,
    })
    const row = (extra: Partial<IngestJobsTable> = {}) => ({
      ...progress,
      errors: JSON.stringify(listedErrors()),
      ...extra,
    })
    // Skipped and failed files change no data, so their counters are saved at most every 200 ms (or
    // with the next stored file), not with one commit each.
    let savedAt = 0
    const saveProgress = async (force = false) => {
      if (!force && Date.now() - savedAt < 200) return
      savedAt = Date.now()
      await repo.updateJob(this.db.kysely, id, row())
    }
    const report = (status: JobView['status'], finishedAt: string | null = null) =>
      this.options.onProgress?.(view(status, finishedAt))

    let status: JobView['status'] = 'failed'
    let unbulk = async () => {}
    try {
      const files: SourceObject[] = []
      for await (const object of this.source.list(prefix)) files.push(object)
      progress.files_total = files.length
      startedAt = new Date().toISOString()
      await repo.updateJob(this.db.kysely, id, row({ status: 'running', started_at: startedAt }))
      report('running')

      // Read and parse ahead (every worker busy, one more queued each); write strictly in order.
      const pool = this.parser()
      unbulk = this.files().bulk()
      const readAhead = pool.size * 2 + 1
      const pending = new Map<number, Promise<Prepared>>()
      const begin = (i: number) => {
        const file = files[i]
        if (file && !pending.has(i)) pending.set(i, this.prepare(pool, file))
      }
      for (let i = 0; i < files.length; i++) {
        if (stopped()) throw new Interrupted()
        if (leaseLost) throw new LeaseLost()
        for (let j = i; j <= i + readAhead; j++) begin(j)
        const file = files[i] as SourceObject
        const result = await (pending.get(i) as Promise<Prepared>)
        pending.delete(i)
        progress.files_done++
        if (result.kind === 'skipped') {
          progress.files_skipped++
          await saveProgress()
        } else if (result.kind === 'error') {
          progress.bytes += file.size
          addError({ file: file.key, reason: result.reason })
          await saveProgress()
        } else {
          progress.records += result.file.records
          progress.bytes += file.size
          try {
            await this.commitFile(id, file, result.file, row())
            savedAt = Date.now()
          } catch (err) {
            if (err instanceof LeaseLost) throw err
            progress.records -= result.file.records
            addError({ file: file.key, reason: `could not be stored: ${reason(err)}` })
            await saveProgress(true)
          }
        }
        report('running')
      }
      status = 'succeeded'
    } catch (err) {
      const why =
        err instanceof Interrupted
          ? 'interrupted: the process was asked to stop (shutdown, Ctrl-C); run again to resume (finished files are kept and skipped)'
          : err instanceof LeaseLost
            ? 'lost the lease to another job (this process stalled past INGEST_LEASE_SECONDS); stopped writing'
            : `stopped: ${reason(err)}`
      errors.push({ file: '', reason: why })
    } finally {
      clearInterval(heartbeat)
      await unbulk()
    }
    const finishedAt = new Date().toISOString()
    try {
      const { files_done, files_total, records } = progress
      const data = { job_id: id, status, files_done, files_total, records, errors: failedFiles(listedErrors()) }
      await this.db.writeTransaction(async (trx) => {
        await repo.updateJob(trx, id, row({ status, finished_at: finishedAt }))
        await this.options.events?.append(trx, [{ topic: 'aircraft', type: 'aircraft.ingest_finished', data }])
      })
      this.options.events?.committed()
    } finally {
      await repo.releaseLease(this.db.kysely, id).catch(() => {})
    }
    report(status, finishedAt)
    return view(status, finishedAt)
  }

  /** Reads and parses one file, unless it was already folded in with the same ETag and size. */
  private async prepare(pool: ParserPool, file: SourceObject): Promise<Prepared> {
    try {
      const seen = await repo.processedFile(this.db.kysely, this.source.name, file.key)
      if (seen && seen.etag === file.etag && Number(seen.size) === file.size) return { kind: 'skipped' }
      // A folder's files are read by the worker itself; an object store's bytes come through here.
      const input = this.source.localPath?.(file.key) ?? (await this.source.read(file.key))
      return { kind: 'parsed', file: (await pool.parseCompact(input, file.key)).file }
    } catch (err) {
      return { kind: 'error', reason: err instanceof MalformedFileError ? err.reason : reason(err) }
    }
  }

  /** One file, one transaction: the stats, the positions, the file as processed, the job's counters. */
  private async commitFile(id: string, file: SourceObject, parsed: CompactFile, progress: repo.FileCommit['progress']) {
    const now = Date.now()
    const events: NewEvent[] = []
    if (progress.files_done === progress.files_total || now - this.progressEventAt >= PROGRESS_EVENT_MS) {
      const { files_done, files_total, records } = progress
      const data = { job_id: id, files_done, files_total, records }
      events.push({ topic: 'aircraft', type: 'aircraft.ingest_progress', data })
    }
    const committed = await this.files().commit({
      jobId: id,
      leaseUntil: new Date(now + this.options.leaseMs).toISOString(),
      file: parsed,
      updatedAt: new Date(now).toISOString(),
      processed: { source: this.source.name, key: file.key, etag: file.etag, size: file.size, records: parsed.records },
      progress,
      events,
    })
    if (!committed) throw new LeaseLost()
    if (events.length > 0) {
      this.progressEventAt = now
      this.options.events?.committed()
    }
  }

  private files(): repo.FileCommitter {
    this.committer ??= repo.fileCommitter(this.db, this.options.events)
    return this.committer
  }
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
