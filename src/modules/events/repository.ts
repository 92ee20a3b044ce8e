/** SQL of the events module: the outbox, its retention, and the stream tickets kept in the database. */
import { type Kysely, sql } from 'kysely'
import { type Db, inChunks } from '../../platform/db/index.js'
import type { OutboxEvent, OutboxReader } from '../../platform/events/hub.js'
import type { EventTopic } from '../../platform/events/sink.js'
import type { EventsTables, NewEventRow } from './tables.js'

type K = Kysely<EventsTables>

// Rows per INSERT (five parameters each), far below the engines' bound-parameter limits.
const INSERT_CHUNK = 1000

export async function insertEvents(trx: K, rows: NewEventRow[]): Promise<void> {
  for (const chunk of inChunks(rows, INSERT_CHUNK)) await trx.insertInto('events').values(chunk).execute()
}

/** What the hub reads: its poll statement compiled (on SQLite prepared) once. */
export function outboxReader(db: Db<EventsTables>): OutboxReader {
  const k = db.kysely
  const afterQuery = db.prepared(
    k.selectFrom('events').select(['id', 'topic', 'type', 'data']).where('id', '>', 0).orderBy('id').limit(0),
  )
  return {
    after: (after, limit) => afterQuery([after, limit]) as Promise<OutboxEvent[]>,
    range: (after: number, upTo: number, topics: readonly EventTopic[], limit: number) =>
      k
        .selectFrom('events')
        .select(['id', 'topic', 'type', 'data'])
        .where('id', '>', after)
        .where('id', '<=', upTo)
        .where('topic', 'in', [...topics])
        .orderBy('id')
        .limit(limit)
        .execute(),
    async bounds() {
      const [newest, horizon] = await Promise.all([
        k
          .selectFrom('events')
          .select((eb) => eb.fn.max('id').as('id'))
          .executeTakeFirst(),
        k.selectFrom('events_horizon').select('purged_through').where('id', '=', 1).executeTakeFirstOrThrow(),
      ])
      return { newest: Number(newest?.id ?? 0), purgedThrough: Number(horizon.purged_through) }
    },
  }
}

/**
 * Deletes events created before `cutoff`, at most `chunk` rows per transaction (a long backlog
 * never holds the write lock for long), and moves the horizon with each chunk. Returns the count.
 */
export async function purgeEvents(db: Db<EventsTables>, cutoff: string, chunk = 5000): Promise<number> {
  let deleted = 0
  for (let round = 0; round < 1000; round++) {
    const n = await db.writeTransaction(async (trx) => {
      const firstWhere = (op: '<' | '>=') =>
        trx.selectFrom('events').select('id').where('created_at', op, cutoff).orderBy('id').limit(1).executeTakeFirst()
      const kept = await firstWhere('>=')
      const oldest = await firstWhere('<')
      if (!oldest || (kept && oldest.id > kept.id)) return 0
      const newest = await trx
        .selectFrom('events')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirstOrThrow()
      // Everything up to the first event still inside the window (ids grow with time).
      const boundary = kept ? Number(kept.id) - 1 : Number(newest.id)
      const through = Math.min(boundary, Number(oldest.id) + chunk - 1)
      const result = await trx.deleteFrom('events').where('id', '<=', through).executeTakeFirst()
      await trx
        .updateTable('events_horizon')
        .set({
          purged_through: sql<number>`case when purged_through > ${through} then purged_through else ${through} end`,
        })
        .where('id', '=', 1)
        .execute()
      return Number(result.numDeletedRows)
    })
    deleted += n
    if (n === 0) break
  }
  return deleted
}

export async function insertTicket(db: K, ticketHash: string, scopes: string, expiresAt: string): Promise<void> {
  await db.insertInto('event_tickets').values({ ticket_hash: ticketHash, scopes, expires_at: expiresAt }).execute()
}

/** Takes a ticket out (single use: whoever deletes it has it); undefined when unknown, used or expired. */
export async function takeTicket(db: K, ticketHash: string, now: string): Promise<string | undefined> {
  const row = await db
    .deleteFrom('event_tickets')
    .where('ticket_hash', '=', ticketHash)
    .returning(['scopes', 'expires_at'])
    .executeTakeFirst()
  return row && row.expires_at > now ? row.scopes : undefined
}

export async function deleteExpiredTickets(db: K, now: string): Promise<void> {
  await db.deleteFrom('event_tickets').where('expires_at', '<=', now).execute()
}
