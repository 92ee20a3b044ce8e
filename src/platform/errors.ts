/**
 * One error shape for the whole API: RFC 9457 `application/problem+json`
 * `{type, title, status, detail, instance, errors?}`. Routes throw `Problem`s (built by the named
 * factories in `problems`); one error handler turns everything else — validation, body parsing,
 * rate limits, surprises — into the same shape. No stack traces or SQL ever reach a body.
 */
import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { STORED_TEXT_PATTERN } from './http/common-schemas.js'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8'

export interface FieldError {
  path: string
  message: string
}

export class Problem extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly options: {
      type?: string
      title?: string
      errors?: FieldError[]
      headers?: Record<string, string>
      /** Extension members (RFC 9457 §3.2) sent beside the standard ones. */
      extensions?: Record<string, unknown>
    } = {},
  ) {
    super(detail)
    this.name = 'Problem'
  }
}

const typeUri = (slug: string) => `urn:statehouse:problem:${slug}`

/** Named factories: the catalogue of every problem the API sends on purpose. */
export const problems = {
  badRequest: (detail: string) => new Problem(400, detail, { type: typeUri('bad-request') }),
  unauthorized: (detail: string, challenge = 'ApiKey', extensions?: Record<string, unknown>) =>
    new Problem(401, detail, {
      type: typeUri('unauthorized'),
      headers: { 'www-authenticate': challenge },
      ...(extensions ? { extensions } : {}),
    }),
  forbidden: (detail: string) => new Problem(403, detail, { type: typeUri('forbidden') }),
  /** `extensions`: context beside the text (e.g. the id asked for), so `detail` can stay a reference text. */
  notFound: (detail: string, extensions?: Record<string, unknown>) =>
    new Problem(404, detail, { type: typeUri('not-found'), ...(extensions ? { extensions } : {}) }),
  methodNotAllowed: (method: string, allow: string[]) =>
    new Problem(405, `${method} is not allowed here; use ${allow.join(', ')}`, {
      type: typeUri('method-not-allowed'),
      headers: { allow: allow.join(', ') },
    }),
  conflict: (detail: string, extensions?: Record<string, unknown>) =>
    new Problem(409, detail, { type: typeUri('conflict'), ...(extensions ? { extensions } : {}) }),
  preconditionFailed: (detail: string) => new Problem(412, detail, { type: typeUri('precondition-failed') }),
  validation: (errors: FieldError[], detail?: string) =>
    new Problem(422, detail ?? errors.map((e) => `${e.path}: ${e.message}`).join('; '), {
      type: typeUri('validation-error'),
      title: 'Unprocessable Content',
      errors,
    }),
  unavailable: (detail: string, extensions?: Record<string, unknown>) =>
    new Problem(503, detail, {
      type: typeUri('unavailable'),
      headers: { 'retry-after': '1' },
      ...(extensions ? { extensions } : {}),
    }),
}

/** Response schema for every error, referenced from each route's OpenAPI entry. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  // Extension members (RFC 9457 §3.2, e.g. the id asked for) pass through: context goes beside `detail`.
  { $id: 'Problem', description: 'RFC 9457 problem details', additionalProperties: true },
)

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem) {
  const { status } = problem
  if (problem.options.headers) reply.headers(problem.options.headers)
  return reply
    .code(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send({
      type: problem.options.type ?? 'about:blank',
      title: problem.options.title ?? STATUS_CODES[status] ?? 'Error',
      status,
      detail: problem.message,
      instance: request.url,
      ...(problem.options.errors ? { errors: problem.options.errors } : {}),
      ...problem.options.extensions,
    })
}

interface AjvError {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}

/** Turns ajv's errors into `{path, message}` entries that name the field, e.g. `body.counter`. */
function fieldErrors(context: string, errors: AjvError[]): FieldError[] {
  const seen = new Set<string>()
  const out: FieldError[] = []
  for (const e of errors) {
    let path = context + e.instancePath.replace(/\//g, '.')
    let message = e.message ?? 'is invalid'
    if (e.keyword === 'additionalProperties') {
      path += `.${String(e.params.additionalProperty)}`
      message = 'is not a known field'
    } else if (e.keyword === 'pattern' && e.params.pattern === STORED_TEXT_PATTERN) {
      message = 'must not contain NUL characters or unpaired UTF-16 surrogates'
    } else if (e.keyword === 'required') {
      path += `.${String(e.params.missingProperty)}`
      message = 'is required'
    }
    const key = `${path}|${message}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push({ path, message })
    }
  }
  return out
}

// Fastify's own error codes mapped to the statuses the SPEC asks for.
const FASTIFY_CODES: Record<string, number> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 415,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 400,
  FST_ERR_CTP_EMPTY_JSON_BODY: 400,
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  FST_ERR_CTP_INVALID_JSON_BODY: 400,
}

export function registerErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError | Problem, request, reply) => {
    if (error instanceof Problem) return sendProblem(request, reply, error)
    const fe = error as FastifyError & {
      validation?: AjvError[]
      validationContext?: string
      headers?: Record<string, string>
    }
    if (fe.validation) {
      return sendProblem(
        request,
        reply,
        problems.validation(fieldErrors(fe.validationContext ?? 'request', fe.validation)),
      )
    }
    const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined
    if (mapped) {
      const detail =
        mapped === 413
          ? `request body is larger than ${app.initialConfig.bodyLimit} bytes`
          : mapped === 415
            ? `unsupported content type ${JSON.stringify(request.headers['content-type'] ?? '')}; send application/json`
            : fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe instanceof SyntaxError
              ? 'request body is not valid JSON'
              : fe.message
      return sendProblem(request, reply, new Problem(mapped, detail))
    }
    if (fe instanceof SyntaxError || fe.statusCode === 400) {
      return sendProblem(request, reply, new Problem(400, 'request body is not valid JSON'))
    }
    const status = fe.statusCode ?? 500
    if (status >= 400 && status < 500) {
      return sendProblem(request, reply, new Problem(status, fe.message, fe.headers ? { headers: fe.headers } : {}))
    }
    if (isUnavailable(error)) {
      request.log.warn({ err: error }, 'dependency unavailable')
      return sendProblem(request, reply, problems.unavailable(DATABASE_UNAVAILABLE))
    }
    if (isDataError(error)) {
      // PostgreSQL refused a value the request carried (class 22: NUL in text, out of range, bad
      // encoding): the request's fault, so a 422, not a 500. Which value is in the server log.
      request.log.info({ err: error }, 'value refused by the database')
      return sendProblem(
        request,
        reply,
        problems.validation([{ path: 'request', message: 'holds a value the database cannot store' }]),
      )
    }
    // A surprise: log it with the request context, answer without internals.
    request.log.error({ err: error }, 'unhandled error')
    return sendProblem(
      request,
      reply,
      new Problem(status >= 500 ? status : 500, 'internal error; see the server log for this request id'),
    )
  })

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/'
    const allow = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((method) =>
      app.findRoute({ method: method as 'GET', url: path }),
    )
    if (allow.length > 0) {
      if (allow.includes('GET')) allow.push('HEAD')
      return sendProblem(request, reply, problems.methodNotAllowed(request.method, allow))
    }
    return sendProblem(request, reply, problems.notFound(`no route ${request.method} ${path}`))
  })
}

// Connection-level failures of PostgreSQL (class 08, admin shutdown 57P0x), the socket, or a busy
// SQLite file: the request was fine, the dependency was not, so 503 (retry) rather than 500.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'SQLITE_BUSY',
  '57P01',
  '57P02',
  '57P03',
  '57014', // statement_timeout: the database did not finish in time
  '53300', // too many connections
])

export const DATABASE_UNAVAILABLE = 'the database is unavailable; retry shortly'

/** Whether an error means a dependency could not be reached (the request itself was fine). */
export function isUnavailable(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown }
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true
  return (
    typeof message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect|Connection ended|not queryable|Query read timeout/i.test(
      message,
    )
  )
}

/** A PostgreSQL data exception (SQLSTATE class 22): a value in the request the database refuses. */
export function isDataError(error: unknown): boolean {
  const { code } = error as { code?: unknown }
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)
}
