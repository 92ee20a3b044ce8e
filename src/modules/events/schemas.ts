/** Wire shapes of the events module (the stream itself is text/event-stream, see docs in routes.ts). */
import { type Static, Type } from 'typebox'

const TOPICS_PATTERN = '^(state|builds|aircraft)(,(state|builds|aircraft))*$'

export const StreamQuery = Type.Object({
  topics: Type.Optional(
    Type.String({
      pattern: TOPICS_PATTERN,
      description: 'comma list of state, builds, aircraft; default: every topic the caller may see',
    }),
  ),
  last_event_id: Type.Optional(
    Type.Integer({ minimum: 0, description: 'resume after this event id (same as the Last-Event-ID header)' }),
  ),
  ticket: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'single-use ticket from POST /events/tickets' }),
  ),
})
export type StreamQuery = Static<typeof StreamQuery>

export const StreamHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.Integer({ minimum: 0, description: 'resume after this event id (sent by EventSource on reconnect)' }),
  ),
})
export type StreamHeaders = Static<typeof StreamHeaders>

export const EventTicket = Type.Object(
  {
    ticket: Type.String({ description: 'pass as ?ticket= to GET /events, once, within expires_in seconds' }),
    expires_in: Type.Integer({ description: 'seconds the ticket stays valid' }),
  },
  { title: 'EventTicket' },
)
export type EventTicket = Static<typeof EventTicket>

/** The stream as OpenAPI describes it (the response is written by hand, never serialised). */
export const EventStream = Type.String({
  description:
    'Server-Sent Events: `retry: 3000`, then messages `id: <n>` / `event: <type>` / `data: <one-line JSON>` ' +
    '(state.updated, build.created, build.state_changed, build.failed, aircraft.ingest_progress, ' +
    'aircraft.ingest_finished, reset) and `: ping` comments every 15 s',
})
