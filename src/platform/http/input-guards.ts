/**
 * Input that never reaches a route, or would reach the database as something it refuses: each gets a
 * 4xx application/problem+json like every other error, never a 5xx or Fastify's or Node's own body.
 *
 * - router errors (`frameworkErrors`): a URL that does not decode (`/items/%`) is 400, a path
 *   parameter over the router's 100 characters is 414;
 * - connection-level errors Node answers before Fastify sees a request (`clientErrorHandler`):
 *   headers over the limit are 431, a request that took too long is 408, garbage is 400;
 * - a NUL in a path parameter or query value (PostgreSQL text cannot hold one: error 22021) is 422,
 *   on both engines alike;
 * - a JSON body in a charset other than UTF-8 (`application/json; charset=utf-16`) is 415 instead of
 *   being read as UTF-8.
 */
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { PROBLEM_CONTENT_TYPE, Problem, problems, sendProblem } from '../errors.js'

/** Fastify's `frameworkErrors`: the router's refusals as problems. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const problem =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new Problem(414, 'a path parameter is longer than 100 characters', {
          type: 'urn:statehouse:problem:uri-too-long',
        })
      : error.code === 'FST_ERR_BAD_URL'
        ? problems.badRequest('the URL is not valid (a % that starts no escape, or bytes that are not UTF-8)')
        : new Problem(error.statusCode && error.statusCode < 500 ? error.statusCode : 400, 'the request is not valid')
  return sendProblem(request, reply, problem)
}

const CLIENT_ERRORS: Record<string, { status: number; detail: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, detail: 'the request headers are larger than the server accepts (16 KiB)' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, detail: 'the request was not received in time' },
  HPE_HEADERS_TIMEOUT: { status: 408, detail: 'the request headers were not received in time' },
}

/** Fastify's `clientErrorHandler`: what Node would answer on a bad connection, as problem+json. */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const { status, detail } = CLIENT_ERRORS[error.code ?? ''] ?? { status: 400, detail: 'the request is malformed' }
  const body = JSON.stringify({
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Bad Request',
    status,
    detail,
    instance: '',
  })
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy(error)
}

const NUL = '\u0000'
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH'])
const UTF8_CHARSET = /;\s*charset\s*=\s*"?utf-?8"?\s*(;|$)/i

/** The two request checks, as one cheap onRequest hook (most requests pay two `includes`). */
export function registerInputGuards(app: FastifyInstance) {
  app.addHook('onRequest', async (request) => {
    // NUL arrives only percent-encoded: the URL is searched once, the parts only when it is there.
    if (request.url.includes('%00')) {
      const bad = [
        ...Object.entries((request.params ?? {}) as Record<string, unknown>).map(([k, v]) => [`params.${k}`, v]),
        ...Object.entries((request.query ?? {}) as Record<string, unknown>).map(([k, v]) => [`querystring.${k}`, v]),
      ].filter(([, v]) => (Array.isArray(v) ? v : [v]).some((x) => typeof x === 'string' && x.includes(NUL)))
      if (bad.length > 0) {
        throw problems.validation(
          bad.map(([path]) => ({ path: String(path), message: 'must not contain NUL characters' })),
        )
      }
    }
    // Only where a body is parsed (GET and DELETE bodies are never read).
    const type = request.headers['content-type']
    if (type?.includes('charset') && BODY_METHODS.has(request.method) && !UTF8_CHARSET.test(type)) {
      throw new Problem(415, `unsupported charset in ${JSON.stringify(type)}; send UTF-8 (application/json)`, {
        type: 'urn:statehouse:problem:unsupported-media-type',
      })
    }
  })
}
