/**
 * A job's error list: one entry per failed file (`file` set) and job-level entries (`file` empty).
 * Past {@link MAX_LISTED_ERRORS} file errors, one job-level entry counts the rest, so the job row
 * stays small; everything that counts or reports errors reads the list through these functions.
 */
import type { JobError } from './schemas.js'

/** Errors listed per job at most; past that, one last entry counts the rest. */
export const MAX_LISTED_ERRORS = 1000

const UNLISTED = /^(\d+) more file errors not listed$/

/** The job-level entry that counts the file errors past {@link MAX_LISTED_ERRORS}. */
export const unlistedEntry = (count: number): JobError => ({ file: '', reason: `${count} more file errors not listed` })

/** How many files failed: those listed, plus the count in the entry for the unlisted rest. */
export function failedFiles(errors: readonly JobError[]): number {
  let failed = 0
  for (const e of errors) failed += e.file !== '' ? 1 : Number(UNLISTED.exec(e.reason)?.[1] ?? 0)
  return failed
}

/** Every error: each failed file (listed or counted) and each job-level error. */
export function errorCount(errors: readonly JobError[]): number {
  let n = 0
  for (const e of errors) {
    const more = e.file === '' ? UNLISTED.exec(e.reason) : null
    n += more ? Number(more[1]) : 1
  }
  return n
}

/** Why the job itself failed: its last job-level error that is not the count of unlisted files. */
export function jobFailureReason(errors: readonly JobError[]): string | undefined {
  return errors.findLast((e) => e.file === '' && !UNLISTED.test(e.reason))?.reason
}
