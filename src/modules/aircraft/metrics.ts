/**
 * Ingest on /metrics: totals over every job as counters, and the current (or last) job as
 * unlabelled gauges. No series carries a job id: a label per job would add series forever.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import { errorCount } from './job-errors.js'
import type { JobView } from './schemas.js'

/**
 * Registers the ingest series in `registry`; returns the `onProgress` callback of
 * {@link IngestService} that moves them (it sees every job's progress, start and end).
 */
export function ingestMetrics(registry: Registry): (job: JobView) => void {
  const counter = (name: string, help: string) => new Counter({ name, help, registers: [registry] })
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers: [registry] })
  const files = counter(
    'statehouse_ingest_files_total',
    'Files ingest jobs went through (stored, skipped as unchanged, or failed)',
  )
  const records = counter('statehouse_ingest_records_total', 'Position records ingest jobs stored')
  const bytes = counter('statehouse_ingest_bytes_total', 'Bytes of files ingest jobs read')
  const errors = counter('statehouse_ingest_errors_total', 'Ingest errors: failed files, and jobs that stopped')
  const jobRunning = gauge('statehouse_job_running', '1 while an ingest job runs in this process, else 0')
  const jobFilesTotal = gauge(
    'statehouse_job_files_total',
    'Files listed by the current (or last) ingest job of this process',
  )
  const jobFilesDone = gauge(
    'statehouse_job_files_done',
    'Files done by the current (or last) ingest job of this process',
  )

  // What the counters have already taken from the job being reported, so each report adds its delta.
  let seen = { id: '', files: 0, records: 0, bytes: 0, errors: 0 }
  return (job) => {
    if (job.id !== seen.id) seen = { id: job.id, files: 0, records: 0, bytes: 0, errors: 0 }
    const now = {
      id: job.id,
      files: job.files_done,
      records: job.records,
      bytes: job.bytes,
      errors: errorCount(job.errors),
    }
    // A file whose commit failed is taken back out of the job's records; a counter only grows,
    // so it keeps the high-water mark (and never counts those records twice).
    if (now.files > seen.files) files.inc(now.files - seen.files)
    if (now.records > seen.records) records.inc(now.records - seen.records)
    if (now.bytes > seen.bytes) bytes.inc(now.bytes - seen.bytes)
    if (now.errors > seen.errors) errors.inc(now.errors - seen.errors)
    seen = {
      id: job.id,
      files: Math.max(seen.files, now.files),
      records: Math.max(seen.records, now.records),
      bytes: Math.max(seen.bytes, now.bytes),
      errors: Math.max(seen.errors, now.errors),
    }
    jobRunning.set(job.status === 'running' || job.status === 'queued' ? 1 : 0)
    jobFilesTotal.set(job.files_total)
    jobFilesDone.set(job.files_done)
  }
}
