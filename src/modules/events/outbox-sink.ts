/**
 * The outbox writer behind `ModuleContext.events`.
 *
 * Ordering. Readers deliver by id and must never skip an id that commits later. On SQLite every write
 * transaction holds the database's one write lock, so ids (AUTOINCREMENT) commit in id order by
 * construction. On PostgreSQL ids come from a sequence, and two transactions could take 10 and 11
 * and commit 11 first: a reader that saw 11 and moved on would never send 10. So every transaction
 * that writes events first takes one transaction-level advisory lock, just before its inserts (the
 * last thing it does): ids are then handed out and committed one transaction at a time, and a reader
 * that sees id N has already seen every committed id below it. PostgreSQL makes a commit visible
 * before it releases the transaction's locks, so the next holder's ids are always newer than
 * anything visible. The cost is that event-writing commits are serialised: state updates already
 * are (the state row lock), and builds and ingest commits are few. Ids that a rolled-back
 * transaction took leave holes forever; holes are harmless because readers never wait for an id.
 * Nothing waits while holding the lock but the inserts and the commit, so it cannot deadlock.
 */
import { type Kysely, sql } from 'kysely'
import type { Db } from '../../platform/db/index.js'
import type { WakeBus } from '../../platform/events/bus.js'
import type { AnyTransaction, EventSink, NewEvent } from '../../platform/events/sink.js'
import { insertEvents } from './repository.js'
import type { EventsTables, NewEventRow } from './tables.js'

/** pg_advisory_xact_lock key of the outbox ("SHEV"); advisory locks are per database. */
const OUTBOX_LOCK = 0x53484556

const toRows = (events: readonly NewEvent[]): NewEventRow[] => {
  const now = new Date().toISOString()
  return events.map((e) => ({ topic: e.topic, type: e.type, data: JSON.stringify(e.data), created_at: now }))
}

export function outboxSink(db: Db<EventsTables>, bus: WakeBus): EventSink {
  const insertOne = db.sqlite?.prepare('INSERT INTO events (topic, type, data, created_at) VALUES (?, ?, ?, ?)')
  return {
    async append(trx: AnyTransaction, events: readonly NewEvent[]) {
      if (db.engine === 'postgresql') await sql`select pg_advisory_xact_lock(${OUTBOX_LOCK})`.execute(trx)
      await insertEvents(trx as Kysely<EventsTables>, toRows(events))
    },
    appendSync(events: readonly NewEvent[]) {
      if (!insertOne) throw new Error('appendSync is for transactions on the SQLite handle')
      for (const row of toRows(events)) insertOne.run(row.topic, row.type, row.data, row.created_at)
    },
    committed: () => bus.notify(),
  }
}
