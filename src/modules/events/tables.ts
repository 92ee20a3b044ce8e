import type { Generated, Insertable } from 'kysely'
import type { EventTopic } from '../../platform/events/sink.js'

/**
 * The outbox: one row per event, written in the transaction of the change it describes. `id` only
 * grows and is never reused (AUTOINCREMENT; bigserial), and commits in id order (see outbox-sink.ts).
 */
export interface EventsTable {
  id: Generated<number>
  topic: EventTopic
  type: string
  /** The event's data as one-line JSON text, sent as is. */
  data: string
  created_at: string
}

/** One row: the highest id retention has deleted, so a resume from before it gets `reset`. */
export interface EventsHorizonTable {
  id: number
  purged_through: number
}

/** Single-use stream tickets when there is no Redis; only a hash of the ticket is stored. */
export interface EventTicketsTable {
  ticket_hash: string
  scopes: string
  expires_at: string
}

export interface EventsTables {
  events: EventsTable
  events_horizon: EventsHorizonTable
  event_tickets: EventTicketsTable
}

export type NewEventRow = Insertable<EventsTable>
