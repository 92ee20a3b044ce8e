/**
 * The rules of POST /update as a pure function over one batch: given the current row, the stored
 * idempotency records and the requests in arrival order, decide each request's outcome and the rows
 * to write. Rejections are decided here, before anything is written, so a bad request in a batch
 * never spoils the others that share its transaction.
 */
import { createHash } from 'node:crypto'
import type { Problem } from '../../platform/errors.js'
import { problems } from './problems.js'
import type { UpdateBody, UpdateResponse } from './schemas.js'
import type { IdempotencyKeyTable, StateLogTable, StateRow } from './tables.js'

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000

export interface UpdateCommand {
  body: UpdateBody
  /** Parsed `If-Match`: a version number, or '*' (any). */
  ifMatch?: number | '*'
  idempotencyKey?: string
}

export type UpdateOutcome =
  | { ok: true; status: number; body: UpdateResponse; replayed: boolean }
  | { ok: false; problem: Problem }

export interface BatchPlan {
  state: StateRow
  logs: StateLogTable[]
  idempotency: IdempotencyKeyTable[]
  outcomes: UpdateOutcome[]
}

/** A stable hash of the request body (key order does not matter). */
function hashBody(body: UpdateBody): string {
  const canonical = JSON.stringify([body.counter ?? null, body.message ?? null, body.increment ?? null])
  return createHash('sha256').update(canonical).digest('base64url')
}

function updateType(body: UpdateBody): string {
  const parts: string[] = []
  if (body.counter !== undefined || body.increment !== undefined) parts.push('counter')
  if (body.message !== undefined) parts.push('message')
  return parts.join(', ')
}

export function planBatch(
  current: StateRow,
  commands: UpdateCommand[],
  stored: Pick<IdempotencyKeyTable, 'key' | 'request_hash' | 'status_code' | 'response_body'>[],
  now: Date,
): BatchPlan {
  const nowIso = now.toISOString()
  const expiresIso = new Date(now.getTime() + IDEMPOTENCY_TTL_MS).toISOString()
  const records = new Map(stored.map((r) => [r.key, r]))
  let state = { ...current }
  const logs: StateLogTable[] = []
  const idempotency: IdempotencyKeyTable[] = []

  const outcomes = commands.map((cmd): UpdateOutcome => {
    const hash = cmd.idempotencyKey !== undefined ? hashBody(cmd.body) : ''
    if (cmd.idempotencyKey !== undefined) {
      const record = records.get(cmd.idempotencyKey)
      if (record) {
        if (record.request_hash !== hash) {
          return {
            ok: false,
            problem: problems.validation(
              [{ path: 'headers.idempotency-key', message: 'was already used with a different request body' }],
              'Idempotency-Key was already used with a different request body',
            ),
          }
        }
        return { ok: true, status: record.status_code, body: JSON.parse(record.response_body), replayed: true }
      }
    }
    if (cmd.ifMatch !== undefined && cmd.ifMatch !== '*' && cmd.ifMatch !== state.version) {
      return {
        ok: false,
        problem: problems.versionMismatch(cmd.ifMatch, state.version),
      }
    }
    const { body } = cmd
    let counter = state.counter
    if (body.counter !== undefined) counter = body.counter
    if (body.increment !== undefined) {
      counter = state.counter + body.increment
      if (!Number.isSafeInteger(counter)) {
        return {
          ok: false,
          problem: problems.validation(
            [{ path: 'body.increment', message: `would take the counter outside ±${Number.MAX_SAFE_INTEGER}` }],
            `incrementing ${state.counter} by ${body.increment} leaves the range ±${Number.MAX_SAFE_INTEGER}; the state is unchanged`,
          ),
        }
      }
    }
    const message = body.message ?? state.message
    const old = { counter: state.counter, message: state.message }
    state = { id: 1, counter, message, version: state.version + 1, updated_at: nowIso }
    logs.push({
      id: state.version,
      timestamp: nowIso,
      old_counter: old.counter,
      new_counter: counter,
      old_message: old.message,
      new_message: message,
      update_type: updateType(body),
    })
    const next = { counter, message }
    const response: UpdateResponse = {
      success: true,
      message: 'State updated successfully',
      old_state: old,
      new_state: next,
      state: next,
      version: state.version,
    }
    if (cmd.idempotencyKey !== undefined) {
      const row = {
        key: cmd.idempotencyKey,
        request_hash: hash,
        status_code: 200,
        response_body: JSON.stringify(response),
        created_at: nowIso,
        expires_at: expiresIso,
      }
      records.set(row.key, row) // a repeat later in the same batch replays this one
      idempotency.push(row)
    }
    return { ok: true, status: 200, body: response, replayed: false }
  })
  return { state, logs, idempotency, outcomes }
}
