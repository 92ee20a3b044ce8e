/** Rules of the shared-state API (SPEC §2): reads, batched updates and the audit log. */
import type { Db } from '../../platform/db/index.js'
import type { EventSink } from '../../platform/events/sink.js'
import { membersOf } from '../../platform/http/common-schemas.js'
import { type BatchPlan, planBatch, type UpdateCommand, type UpdateOutcome } from './apply-updates.js'
import { problems } from './problems.js'
import * as repo from './repository.js'
import { LogEntry, type LogsQuery, type LogsResponse, type StateValue } from './schemas.js'
import { type BatchCommitter, sqliteBatchCommitter } from './sqlite-batch.js'
import type { StateLogRow, StateLogTable, StateRow, StateTables } from './tables.js'
import { WriteBatcher } from './write-batcher.js'

/** How many of the newest log entries the single-writer cache keeps (the largest page). */
const RECENT_LOGS = 100

export class StateService {
  private readonly batcher: WriteBatcher<UpdateCommand, UpdateOutcome>
  private batches = 0
  // The two hot reads, compiled (and on SQLite prepared) once.
  private readonly readRow: () => Promise<StateRow[]>
  private readonly readLogs: (params: [maxId: number, limit: number]) => Promise<StateLogRow[]>
  /**
   * On SQLite this process is the only writer of the state (several replicas need PostgreSQL), so the
   * row and the newest log entries are also kept here, replaced after each commit: the hot reads then
   * touch no file. The database stays the source of truth; on PostgreSQL every read goes to it.
   */
  private readonly singleWriter: boolean
  private cache: { state: StateRow; recent: LogEntry[] } | undefined
  /** One batch's transaction: on SQLite its statements prepared once (sqlite-batch.ts), else Kysely. */
  private readonly writeBatch: BatchCommitter

  constructor(
    private readonly db: Db<StateTables>,
    /** Each applied update's state.updated event is written in its batch's transaction. */
    private readonly events: EventSink,
    /** How long one batch of updates may take to commit before its requests get a 503 to retry. */
    private readonly writeDeadlineMs = 10_000,
  ) {
    this.batcher = new WriteBatcher((commands) => this.commitBatch(commands), 1000, {
      ms: writeDeadlineMs,
      error: () => problems.writeDeadline(writeDeadlineMs),
    })
    this.readRow = db.prepared(repo.stateQuery(db.kysely))
    this.readLogs = db.prepared(repo.logsQuery(db.kysely, 0, 0))
    this.singleWriter = db.engine === 'sqlite'
    this.writeBatch = db.sqlite
      ? sqliteBatchCommitter(db.sqlite, db.kysely, (e) => events.appendSync(e), stateUpdated)
      : (commands, now) => this.kyselyBatch(commands, now)
  }

  async read(): Promise<StateRow> {
    if (this.cache) return this.cache.state
    const commitsBefore = this.batches
    const [row] = await this.readRow()
    if (!row) throw new Error('the state row is missing; were migrations applied?')
    if (this.singleWriter) {
      const recent = (await this.readLogs([row.version, RECENT_LOGS])).map(toLogEntry)
      // Only if no commit slipped in between the two reads (it would not be in either).
      if (this.batches === commitsBefore) this.cache ??= { state: row, recent }
    }
    return row
  }

  /** Applies one update; resolves once its transaction has committed (or it was rejected). */
  update(command: UpdateCommand): Promise<UpdateOutcome> {
    return this.batcher.submit(command)
  }

  async logs(query: LogsQuery): Promise<LogsResponse> {
    const { limit } = query
    const { version: total } = await this.read()
    let page = query.page
    let maxId = total - (page - 1) * limit
    if (query.cursor !== undefined) {
      const before = decodeCursor(query.cursor)
      maxId = Math.min(before - 1, total)
      page = Math.floor((total - maxId) / limit) + 1
    }
    let logs: LogEntry[] = []
    if (maxId > 0) {
      const recent = this.cache?.recent
      const oldestCached = total - (recent?.length ?? 0) + 1
      logs =
        recent && maxId <= total && Math.max(1, maxId - limit + 1) >= oldestCached
          ? recent.slice(total - maxId, total - maxId + limit)
          : (await this.readLogs([maxId, limit])).map(toLogEntry)
    }
    const last = logs.at(-1)
    return {
      logs,
      page,
      limit,
      total,
      total_pages: Math.max(1, Math.ceil(total / limit)),
      next_cursor: last && last.id > 1 ? encodeCursor(last.id) : null,
    }
  }

  /** Whether updates are failing to commit in time now (a batch past its deadline, or one missed lately). */
  writesStuck(): boolean {
    return this.batcher.stuck(this.writeDeadlineMs * 2)
  }

  /** Waits for queued updates to commit (graceful shutdown). */
  flushed(): Promise<void> {
    return this.batcher.flushed()
  }

  private async commitBatch(commands: UpdateCommand[]): Promise<UpdateOutcome[]> {
    const now = new Date()
    const plan = await this.writeBatch(commands, now)
    this.batches++
    if (plan.logs.length > 0 && this.cache) {
      const added = plan.logs.map(toLogEntry).reverse()
      this.cache = { state: plan.state, recent: added.concat(this.cache.recent).slice(0, RECENT_LOGS) }
    }
    if (plan.logs.length > 0) this.events.committed()
    if (this.batches % 1000 === 0) {
      // Housekeeping off the request path: expired replay records go in the background.
      repo.deleteExpiredIdempotencyRecords(this.db.kysely, now.toISOString()).catch(() => {})
    }
    return plan.outcomes
  }

  /** The batch's transaction through Kysely (PostgreSQL; sqlite-batch.ts writes the same on SQLite). */
  private kyselyBatch(commands: UpdateCommand[], now: Date): Promise<BatchPlan> {
    return this.db.writeTransaction(async (trx) => {
      const current = await repo.readStateForUpdate(trx, this.db.engine)
      const keys = commands.flatMap((c) => (c.idempotencyKey === undefined ? [] : [c.idempotencyKey]))
      const stored = await repo.findIdempotencyRecords(trx, [...new Set(keys)], now.toISOString())
      const plan = planBatch(current, commands, stored, now)
      if (plan.logs.length > 0) {
        await repo.writeState(trx, plan.state)
        await repo.insertLogs(trx, plan.logs)
        await repo.saveIdempotencyRecords(trx, plan.idempotency)
        await this.events.append(trx, plan.logs.map(stateUpdated)) // last: see the events outbox's ordering
      }
      return plan
    })
  }
}

/** The state.updated event of one applied update (its log row). */
function stateUpdated(l: StateLogTable) {
  return {
    topic: 'state' as const,
    type: 'state.updated',
    data: {
      version: l.id,
      counter: l.new_counter,
      message: l.new_message,
      old_counter: l.old_counter,
      old_message: l.old_message,
      update_type: l.update_type,
      timestamp: l.timestamp,
    },
  }
}

const logEntryMembers = membersOf(LogEntry)

function toLogEntry(row: StateLogRow): LogEntry {
  return logEntryMembers({
    ...row,
    old_value: { counter: row.old_counter, message: row.old_message },
    new_value: { counter: row.new_counter, message: row.new_message },
  })
}

function encodeCursor(lastId: number): string {
  return Buffer.from(`before:${lastId}`).toString('base64url')
}

function decodeCursor(cursor: string): number {
  const match = /^before:(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString())
  const before = match ? Number(match[1]) : Number.NaN
  if (!Number.isSafeInteger(before) || before < 1) {
    throw problems.badCursor()
  }
  return before
}

/** Parses `If-Match: "<version>"` (also W/"…", a bare number, or *). */
export function parseIfMatch(header: string | undefined): number | '*' | undefined {
  if (header === undefined) return undefined
  const value = header.trim()
  if (value === '*') return '*'
  const match = /^(?:W\/)?"?(\d{1,16})"?$/.exec(value)
  if (!match) {
    throw problems.badIfMatch()
  }
  return Number(match[1])
}
