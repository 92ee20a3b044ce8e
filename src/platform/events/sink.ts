/**
 * How a module records what it changed (SPEC §2.4): events go into the outbox inside the same
 * transaction as the change, so an event exists exactly when its change committed. The platform
 * defines the shape; the events module owns the outbox table and installs the implementation
 * behind `ModuleContext.events` when it registers (it is listed first for that reason).
 */
import type { Kysely } from 'kysely'

export const EVENT_TOPICS = ['state', 'builds', 'aircraft'] as const
export type EventTopic = (typeof EVENT_TOPICS)[number]

/** A transaction over whichever module's tables: the sink needs only its connection. */
// biome-ignore lint/suspicious/noExplicitAny: each caller's Kysely<ItsTables> must fit, whatever its tables
export type AnyTransaction = Kysely<any>

/** One event as a module records it; `data` becomes the SSE message's one-line JSON. */
export interface NewEvent {
  topic: EventTopic
  type: string
  data: Record<string, unknown>
}

export interface EventSink {
  /** Writes `events` inside the caller's open write transaction `trx`; call it last in that transaction. */
  append(trx: AnyTransaction, events: readonly NewEvent[]): Promise<void>
  /** SQLite only: the same, synchronously on the raw handle, for transactions that run there directly. */
  appendSync(events: readonly NewEvent[]): void
  /** After the commit: wakes the readers on every replica. A hint only: the slow safety poll covers a lost one. */
  committed(): void
}

/** `ModuleContext.events`: forwards to the outbox the events module installs. */
export class EventSinkSlot implements EventSink {
  private target: EventSink | undefined

  install(sink: EventSink): void {
    this.target = sink
  }

  append(trx: AnyTransaction, events: readonly NewEvent[]): Promise<void> {
    return events.length === 0 ? Promise.resolve() : this.sink().append(trx, events)
  }

  appendSync(events: readonly NewEvent[]): void {
    if (events.length > 0) this.sink().appendSync(events)
  }

  committed(): void {
    this.target?.committed()
  }

  private sink(): EventSink {
    // Failing the transaction beats committing a change without its event.
    if (!this.target) throw new Error('no events module is registered: the outbox is missing')
    return this.target
  }
}
