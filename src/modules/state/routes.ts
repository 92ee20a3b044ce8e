/** HTTP surface of the shared-state API (SPEC §2.1–2.3, §2.5). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { DATABASE_UNAVAILABLE, isUnavailable, problems, sendProblem } from '../../platform/errors.js'
import type { HealthProbe, HealthSnapshot } from '../../platform/health.js'
import { errors } from '../../platform/http/problem-responses.js'
import { PACKAGE_VERSION } from '../../platform/paths.js'
import {
  LogsQuery,
  LogsResponse,
  RootResponse,
  StatusResponse,
  UpdateBody,
  UpdateHeaders,
  UpdateResponse,
} from './schemas.js'
import { parseIfMatch, type StateService } from './service.js'

export interface StateRoutesOptions {
  state: StateService
  health: HealthProbe
  /** Route → summary, filled as routes register (for GET /). */
  endpoints: ReadonlyMap<string, string>
}

export const stateRoutes: FastifyPluginAsyncTypebox<StateRoutesOptions> = async (app, { state, health, endpoints }) => {
  const startedAt = performance.now()
  // GET /status serializes its body once per (state version, health snapshot); the two fields that
  // change on every request, timestamp and uptime, are spliced into that text.
  let statusBody: StatusTemplate | undefined
  // A browser on / is sent to the dashboard when a module serves one (the ui module, registered
  // later): looked up on the first such request, when every route is in place.
  let dashboard: boolean | undefined
  const hasDashboard = () => (dashboard ??= app.findRoute({ method: 'GET', url: '/ui/' }) !== null)

  app.get(
    '/',
    {
      schema: {
        operationId: 'getIndex',
        summary: 'Service index: every route and where the docs are',
        tags: ['state'],
        response: {
          200: RootResponse,
          302: Type.Null({ description: 'A browser (Accept: text/html) is sent to the dashboard at /ui/' }),
        },
      },
    },
    async (request, reply) => {
      if (/\btext\/html\b/.test(request.headers.accept ?? '') && hasDashboard()) return reply.redirect('/ui/', 302)
      return {
        message: 'Shared State API',
        service: 'statehouse',
        status: 'healthy',
        version: PACKAGE_VERSION,
        endpoints: Object.fromEntries(endpoints),
        docs: '/docs',
      }
    },
  )

  app.get(
    '/status',
    {
      schema: {
        operationId: 'getStatus',
        summary: 'Current counter and message, with health (ETag: the version)',
        tags: ['state'],
        headers: Type.Object({ 'if-none-match': Type.Optional(Type.String()) }),
        response: { 200: StatusResponse, 304: Type.Null() },
      },
    },
    async (request, reply) => {
      const row = await state.read().catch((err: unknown) => {
        // Still a 503 to retry, but one that says which component is down (from the probe).
        if (!isUnavailable(err)) throw err
        const snapshot = health.snapshot()
        throw problems.unavailable(DATABASE_UNAVAILABLE, {
          overall_status: snapshot.overall,
          components: snapshot.components,
        })
      })
      const etag = `"${row.version}"`
      reply.header('etag', etag).header('cache-control', 'no-cache')
      const ifNoneMatch = request.headers['if-none-match']
      if (
        ifNoneMatch &&
        ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')
      ) {
        return reply.code(304).send(null)
      }
      const snapshot = health.snapshot()
      if (statusBody?.version !== row.version || statusBody.snapshot !== snapshot) {
        statusBody = statusTemplate((payload) => String(reply.serialize(payload)), row, snapshot)
      }
      const uptime = Math.round(performance.now() - startedAt) / 1000
      const body = `${statusBody.head}${new Date().toISOString()}${statusBody.middle}${uptime}${statusBody.tail}`
      // Already JSON: Fastify sends a string with a JSON content type as it is.
      return reply.type('application/json; charset=utf-8').send(body as never)
    },
  )

  app.post(
    '/update',
    {
      config: { auth: { schemes: ['apiKey'], scope: 'write' } },
      schema: {
        operationId: 'updateState',
        summary: 'Change the counter and/or message (API key with the write scope)',
        description:
          'Send at least one of `counter`, `message`, `increment` (not `counter` with `increment`). ' +
          'Optional `If-Match: "<version>"` (412 if the state moved on) and `Idempotency-Key` (24 h replay).',
        tags: ['state'],
        headers: UpdateHeaders,
        body: UpdateBody,
        response: { 200: UpdateResponse, ...errors(400, 401, 403, 412, 413, 415, 422, 429) },
      },
    },
    async (request, reply) => {
      const { body } = request
      if (body.counter === undefined && body.message === undefined && body.increment === undefined) {
        throw problems.validation([{ path: 'body', message: 'send at least one of counter, message, increment' }])
      }
      if (body.counter !== undefined && body.increment !== undefined) {
        throw problems.validation([{ path: 'body.increment', message: 'cannot be sent together with counter' }])
      }
      const outcome = await state.update({
        body,
        ifMatch: parseIfMatch(request.headers['if-match']),
        idempotencyKey: scopedIdempotencyKey(request.principal?.subject, request.headers['idempotency-key']),
      })
      if (!outcome.ok) return sendProblem(request, reply, outcome.problem)
      if (outcome.replayed) reply.header('idempotent-replayed', 'true')
      return reply.code(200).header('etag', `"${outcome.body.version}"`).send(outcome.body)
    },
  )

  app.get(
    '/logs',
    {
      schema: {
        operationId: 'listLogs',
        summary: 'Audit log of changes, newest first (page/limit or cursor)',
        tags: ['state'],
        querystring: LogsQuery,
        response: { 200: LogsResponse, ...errors(422) },
      },
    },
    async (request) => state.logs(request.query),
  )
}

interface StatusTemplate {
  version: number
  snapshot: HealthSnapshot
  /** The body up to the timestamp's value, between it and uptime_seconds' value, and after that. */
  head: string
  middle: string
  tail: string
}

const TIMESTAMP_MARK = '1970-01-01T00:00:00.000Z'
const UPTIME_MARK = 7777777.125

/** The /status body through the route's own serializer, cut where timestamp and uptime go. */
function statusTemplate(
  serialize: (payload: unknown) => string,
  row: { counter: number; message: string; version: number },
  snapshot: HealthSnapshot,
): StatusTemplate {
  const text = serialize({
    counter: row.counter,
    message: row.message,
    state: { counter: row.counter, message: row.message },
    version: row.version,
    timestamp: TIMESTAMP_MARK,
    uptime_seconds: UPTIME_MARK,
    overall_status: snapshot.overall,
    components: snapshot.components,
  })
  // Unescaped quotes occur only around keys and values, never inside a string, so this is the field.
  const marks = `"timestamp":"${TIMESTAMP_MARK}","uptime_seconds":${UPTIME_MARK}`
  const at = text.indexOf(marks)
  if (at < 0) throw new Error('the /status serializer changed shape: timestamp and uptime_seconds not found')
  const timestampAt = at + '"timestamp":"'.length
  return {
    version: row.version,
    snapshot,
    head: text.slice(0, timestampAt),
    middle: '","uptime_seconds":',
    tail: text.slice(at + marks.length),
  }
}

/**
 * Idempotency-Keys are per caller: the same key from another principal is another request (it gets
 * its own decision, never the first caller's stored response). The stored key names the caller.
 */
function scopedIdempotencyKey(subject: string | undefined, key: string | undefined): string | undefined {
  return key === undefined ? undefined : `${subject ?? 'anonymous'} ${key}`
}
