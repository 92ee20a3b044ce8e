/** SQL of the shared-state module. Functions take the Kysely they run on (a transaction or the pool). */
import type { Kysely } from 'kysely'
import { type Engine, inChunks } from '../../platform/db/index.js'
import type { IdempotencyKeyTable, StateLogTable, StateRow, StateTables } from './tables.js'

type Db = Kysely<StateTables>

/** The state row (run through `Db.prepared` on the hot path). */
export function stateQuery(db: Db) {
  return db.selectFrom('state').selectAll().where('id', '=', 1)
}

/** Reads the state row inside a write transaction; on PostgreSQL it also locks it, which serialises
 * every writer on every replica (SQLite's BEGIN IMMEDIATE already did). */
export async function readStateForUpdate(trx: Db, engine: Engine): Promise<StateRow> {
  const query = trx.selectFrom('state').selectAll().where('id', '=', 1)
  return (engine === 'postgresql' ? query.forUpdate() : query).executeTakeFirstOrThrow()
}

export async function writeState(trx: Db, row: StateRow): Promise<void> {
  await trx
    .updateTable('state')
    .set({ counter: row.counter, message: row.message, version: row.version, updated_at: row.updated_at })
    .where('id', '=', 1)
    .execute()
}

// Rows per INSERT (seven parameters each), far below the engines' bound-parameter limits.
const INSERT_CHUNK = 500

export async function insertLogs(trx: Db, rows: StateLogTable[]): Promise<void> {
  for (const chunk of inChunks(rows, INSERT_CHUNK)) await trx.insertInto('state_log').values(chunk).execute()
}

/** Newest first: ids are dense (1..version), so any page is a primary-key range, whatever its depth.
 * Parameters in order: maxId, limit. */
export function logsQuery(db: Db, maxId: number, limit: number) {
  return db.selectFrom('state_log').selectAll().where('id', '<=', maxId).orderBy('id', 'desc').limit(limit)
}

export async function findIdempotencyRecords(trx: Db, keys: string[], now: string) {
  if (keys.length === 0) return []
  return trx.selectFrom('idempotency_keys').selectAll().where('key', 'in', keys).where('expires_at', '>', now).execute()
}

export async function saveIdempotencyRecords(trx: Db, rows: IdempotencyKeyTable[]): Promise<void> {
  if (rows.length === 0) return
  const keys = rows.map((r) => r.key)
  // An expired record with the same key may still be there: the new one replaces it.
  await trx.deleteFrom('idempotency_keys').where('key', 'in', keys).execute()
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await trx
      .insertInto('idempotency_keys')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute()
  }
}

export async function deleteExpiredIdempotencyRecords(db: Db, now: string): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).executeTakeFirst()
  return Number(result.numDeletedRows)
}
