import type { Selectable } from 'kysely'

/** The single shared-state row (id = 1). `version` = number of changes = number of log rows. */
export interface StateTable {
  id: number
  counter: number
  message: string
  version: number
  updated_at: string
}

/**
 * One row per accepted change. `id` is the state version the change produced, so ids are dense
 * (1..version, no gaps even on PostgreSQL): page N is an index range, and `total` is the version.
 */
export interface StateLogTable {
  id: number
  timestamp: string
  old_counter: number
  new_counter: number
  old_message: string
  new_message: string
  update_type: string
}

/** Replay records for `Idempotency-Key`, committed in the same transaction as the change. */
export interface IdempotencyKeyTable {
  key: string
  request_hash: string
  status_code: number
  response_body: string
  created_at: string
  expires_at: string
}

export interface StateTables {
  state: StateTable
  state_log: StateLogTable
  idempotency_keys: IdempotencyKeyTable
}

export type StateRow = Selectable<StateTable>
export type StateLogRow = Selectable<StateLogTable>
