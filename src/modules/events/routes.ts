/** HTTP surface of the events module: GET /events (Server-Sent Events) and POST /events/tickets. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { ALL_SCOPES, authenticate, hasScope, type Principal } from '../../platform/auth/index.js'
import { type EventHub, HubFull } from '../../platform/events/hub.js'
import { EVENT_TOPICS, type EventTopic } from '../../platform/events/sink.js'
import { errors } from '../../platform/http/problem-responses.js'
import { problems } from './problems.js'
import { EventStream, EventTicket, StreamHeaders, StreamQuery } from './schemas.js'
import { TICKET_TTL_SECONDS, type TicketStore } from './tickets.js'

export interface EventRoutesOptions {
  hub: EventHub
  tickets: TicketStore
}

const tags = ['events']
const TICKET_IN_URL = /([?&]ticket=)[^&#]*/g

/** Who may see what: `state` and `aircraft` are public; `builds` needs `read`. */
type Caller = { principal: Principal | null }

export const eventRoutes: FastifyPluginAsyncTypebox<EventRoutesOptions> = async (app, { hub, tickets }) => {
  app.get(
    '/events',
    {
      schema: {
        summary: 'Stream committed changes (Server-Sent Events), resumable by event id',
        description:
          'One stream for every topic. Resume with the Last-Event-ID header or ?last_event_id=; past the ' +
          'retention window the stream starts with `event: reset`. `builds` needs the read scope (X-API-Key, ' +
          'Bearer, or a ?ticket= from POST /events/tickets, for EventSource which cannot send headers).',
        operationId: 'streamEvents',
        tags,
        querystring: StreamQuery,
        headers: StreamHeaders,
        response: {
          200: { description: 'the event stream', content: { 'text/event-stream': { schema: EventStream } } },
          ...errors(401, 403, 422, 503),
        },
      },
      // A ticket is a credential: it never reaches a log line or a problem's `instance` (the query
      // was parsed already; this only changes what is reported).
      onRequest: async (request) => {
        const raw = request.raw
        if (raw.url?.includes('ticket=')) raw.url = raw.url.replace(TICKET_IN_URL, '$1[redacted]')
      },
    },
    async (request, reply) => {
      const caller = await identify(request, request.query.ticket)
      const mayReadBuilds = caller.principal !== null && hasScope(caller.principal, 'read')
      const topics: EventTopic[] = request.query.topics
        ? [...new Set(request.query.topics.split(',') as EventTopic[])]
        : EVENT_TOPICS.filter((t) => t !== 'builds' || mayReadBuilds)
      if (topics.includes('builds') && !mayReadBuilds) {
        throw caller.principal ? problems.buildsNeedRead() : problems.buildsNeedCredentials()
      }
      try {
        hub.admit()
      } catch (err) {
        if (err instanceof HubFull) throw problems.tooManySubscribers()
        throw err
      }
      const lastEventId = request.headers['last-event-id'] ?? request.query.last_event_id
      reply.hijack()
      reply.raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no', // nginx: pass each message on at once
      })
      try {
        await hub.open(reply.raw, topics, lastEventId)
      } catch (err) {
        // Full or closing between the check and now: end it; the client's retry goes elsewhere.
        if (!(err instanceof HubFull)) request.log.warn({ err }, 'events: a stream could not open')
        reply.raw.end()
      }
    },
  )

  app.post(
    '/events/tickets',
    {
      config: { auth: {} },
      schema: {
        summary: 'A single-use, ~60 s ticket for GET /events?ticket= (EventSource cannot send headers)',
        operationId: 'createEventTicket',
        tags,
        response: { 201: EventTicket, ...errors(401, 403, 429, 503) },
      },
    },
    async (request, reply) => {
      const principal = request.principal as Principal
      const scopes = ALL_SCOPES.filter((s) => hasScope(principal, s))
      let ticket: string
      try {
        ticket = await tickets.mint(scopes)
      } catch (err) {
        request.log.warn({ err }, 'events: a ticket could not be stored')
        throw problems.ticketsUnavailable()
      }
      return reply.code(201).send({ ticket, expires_in: TICKET_TTL_SECONDS })
    },
  )

  /** The caller: from a ticket, else X-API-Key / Bearer when sent (a wrong one is a 401), else anonymous. */
  async function identify(request: FastifyRequest, ticket: string | undefined): Promise<Caller> {
    if (ticket !== undefined) {
      let scopes: string[] | undefined
      try {
        scopes = await tickets.redeem(ticket)
      } catch (err) {
        request.log.warn({ err }, 'events: tickets cannot be read')
        throw problems.ticketsUnavailable()
      }
      if (!scopes) throw problems.badTicket()
      return {
        principal: {
          kind: 'api-token',
          subject: 'event-ticket',
          scopes: new Set(scopes.filter((s): s is (typeof ALL_SCOPES)[number] => ALL_SCOPES.includes(s as never))),
          isSuperuser: false,
        },
      }
    }
    const { authorization } = request.headers
    const sent =
      !!request.headers['x-api-key'] || (typeof authorization === 'string' && /^bearer\s/i.test(authorization))
    return { principal: sent ? await authenticate(app.auth, request, {}) : null }
  }
}
