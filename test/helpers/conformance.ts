/**
 * Response conformance (issue 15, acceptance 2): every response the app sends during a test is
 * checked against the OpenAPI document it publishes (/openapi.json, what clients are generated
 * from): the status is documented for that operation, the content type is one it documents, and a
 * JSON body validates against the documented schema. buildTestApp installs it on every test app.
 */
import { createHash } from 'node:crypto'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

interface Media {
  schema?: unknown
}
interface Operation {
  responses?: Record<string, { content?: Record<string, Media> }>
}
interface Document {
  paths?: Record<string, Record<string, Operation>>
  components?: { schemas?: Record<string, unknown> }
}

const COMPONENTS_ID = 'openapi-components'

/** One Ajv per distinct document (every test app of a run publishes much the same one). */
class DocumentSchemas {
  private readonly ajv = addFormats.default(new Ajv({ strict: false, allErrors: true, validateFormats: true }))
  private readonly validators = new Map<string, ValidateFunction>()

  constructor(readonly doc: Document) {
    this.ajv.addSchema({ $id: COMPONENTS_ID, definitions: localRefs(doc.components?.schemas ?? {}) })
  }

  validator(key: string, schema: unknown): ValidateFunction {
    let validate = this.validators.get(key)
    if (!validate) {
      validate = this.ajv.compile(localRefs(schema) as object)
      this.validators.set(key, validate)
    }
    return validate
  }
}

/** `#/components/schemas/X` → a reference Ajv resolves on its own (the components as definitions). */
function localRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(localRefs)
  if (!node || typeof node !== 'object') return node
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) =>
      key === '$ref' && typeof value === 'string'
        ? [key, value.replace('#/components/schemas/', `${COMPONENTS_ID}#/definitions/`)]
        : [key, localRefs(value)],
    ),
  )
}

const byDocument = new Map<string, DocumentSchemas>()
function schemasOf(doc: Document): DocumentSchemas {
  const hash = createHash('sha256').update(JSON.stringify(doc)).digest('hex')
  let schemas = byDocument.get(hash)
  if (!schemas) {
    schemas = new DocumentSchemas(doc)
    byDocument.set(hash, schemas)
  }
  return schemas
}

const mediaType = (contentType: unknown) =>
  String(contentType ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase() ?? ''
const isJson = (type: string) => type === 'application/json' || type.endsWith('+json')
/** Fastify's `/builds/:id` as the document writes it, `/builds/{id}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')

/** What is wrong with one response (empty: it conforms), judged against the published document. */
export function responseMismatches(
  doc: Document,
  route: { method: string; url: string | undefined },
  response: { status: number; contentType: unknown; payload: unknown },
): string[] {
  const { status } = response
  const type = mediaType(response.contentType)
  const name = `${route.method} ${route.url ?? '(no route)'} → ${status}`
  // Not a documented route (unknown path, a hidden docs asset): errors are still problems.
  const operation =
    route.url === undefined
      ? undefined
      : doc.paths?.[openApiPath(route.url)]?.[(route.method === 'HEAD' ? 'GET' : route.method).toLowerCase()]
  if (!operation) {
    return status >= 400 && type !== 'application/problem+json'
      ? [`${name}: an error sent as ${type || 'nothing'}`]
      : []
  }
  const responses = operation.responses ?? {}
  const documented = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default
  if (!documented) return [`${name}: status not documented (documented: ${Object.keys(responses).join(', ')})`]

  const payload = response.payload
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined
  const streamed = payload !== null && payload !== undefined && text === undefined
  // A 204 or 304 has no body on the wire whatever the handler passed (Node drops it).
  const empty = status === 204 || status === 304 || (!streamed && (text === undefined || text === ''))
  const content = documented.content ?? {}
  if (Object.keys(content).length === 0) return empty ? [] : [`${name}: sends a ${type} body where none is documented`]
  if (route.method === 'HEAD') return []
  if (empty) return [`${name}: sends no body, documented: ${Object.keys(content).join(', ')}`]
  const media = content[type]
  if (!media) return [`${name}: content type ${type || 'none'}, documented: ${Object.keys(content).join(', ')}`]
  if (streamed || !isJson(type) || media.schema === undefined) return []
  let body: unknown
  try {
    body = JSON.parse(text ?? '')
  } catch {
    return [`${name}: the ${type} body is not JSON`]
  }
  const key = `${route.method} ${route.url} ${status} ${type}`
  const validate = schemasOf(doc).validator(key, media.schema)
  if (validate(body)) return []
  const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message}`).slice(0, 5)
  return [`${name}: body does not match the documented schema: ${errors.join('; ')}`]
}

export interface ConformanceCheck {
  /** Every mismatch seen so far, one line each. */
  readonly mismatches: string[]
}

/**
 * Checks every response the app sends from now on (add it before `ready`). `app.inject` rejects
 * when its response does not conform; anything else (a listening app) is in `mismatches`.
 */
export function checkConformance(app: FastifyInstance): ConformanceCheck {
  const mismatches: string[] = []
  let doc: Document | undefined
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    doc ??= app.swagger() as Document
    mismatches.push(
      ...responseMismatches(
        doc,
        { method: request.method, url: request.routeOptions.url },
        { status: reply.statusCode, contentType: reply.getHeader('content-type'), payload },
      ),
    )
    return payload
  })
  const inject = app.inject.bind(app) as (...args: unknown[]) => unknown
  // Only the promise form (options, no callback) is wrapped; the chain and callback forms are left as they are.
  Object.defineProperty(app, 'inject', {
    configurable: true,
    writable: true,
    value: (...args: unknown[]) => {
      const result = inject(...args)
      if (args.length !== 1 || typeof (result as PromiseLike<unknown> | undefined)?.then !== 'function') return result
      const before = mismatches.length
      return Promise.resolve(result).then((response: unknown) => {
        if (mismatches.length > before) {
          throw new Error(`response does not conform to /openapi.json:\n${mismatches.slice(before).join('\n')}`)
        }
        return response
      })
    },
  })
  return { mismatches }
}
