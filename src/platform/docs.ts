/**
 * OpenAPI 3 generated from the route schemas, served three ways, all offline (assets come from
 * node_modules, never a CDN): /openapi.json, Swagger UI at /docs, ReDoc at /redoc.
 */
import fs from 'node:fs'
import { STATUS_CODES } from 'node:http'
import { createRequire } from 'node:module'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { PACKAGE_VERSION } from './paths.js'

const require = createRequire(import.meta.url)

/** ReDoc's sidebar footer loads its vendor's logo from a CDN; the bundle is served with a local one. */
const REDOC_CDN_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg'
const REDOC_LOCAL_LOGO = '/redoc/logo-mini.svg'
// A plain mark in the footer's size (the footer reads "API docs by Redocly" beside it).
const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="15" height="15" viewBox="0 0 15 15">' +
  '<rect x="1" y="1" width="13" height="13" rx="3" fill="none" stroke="#32329f" stroke-width="2"/></svg>'

/** The ReDoc bundle with every CDN reference pointed at this server (checked once at start-up). */
function localRedocBundle(): Buffer {
  const text = fs.readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'), 'utf8')
  const local = text.replaceAll(REDOC_CDN_LOGO, REDOC_LOCAL_LOGO)
  // A ReDoc upgrade that moves the logo elsewhere fails here, not silently in a browser.
  if (/https:\/\/cdn\.redoc\.ly\//.test(local))
    throw new Error('redoc.standalone.js loads another asset from cdn.redoc.ly; serve it locally in docs.ts')
  return Buffer.from(local)
}

/** Every documented error is the one Problem schema (errors.ts), sent as application/problem+json. */
const PROBLEM_MEDIA_TYPE = 'application/problem+json'
const PROBLEM_REF = '#/components/schemas/Problem'
const problemResponse = { $ref: 'Problem#' }
const SECURITY_SCHEMES = {
  apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'a static key or an issued API token' },
  bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'a JWT from POST /auth/login' },
  // The same JWT, obtained by Swagger UI's Authorize dialog from a username and password.
  oauth2: {
    type: 'oauth2',
    description: 'OAuth2 password grant: /auth/login takes the form and answers a bearer JWT',
    flows: { password: { tokenUrl: '/auth/login', scopes: {} } },
  },
} as const

interface RouteAuth {
  schemes?: string[]
}

export async function registerDocs(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'statehouse',
        version: PACKAGE_VERSION,
        description:
          'Shared state, items, build tracking and aircraft statistics behind one authenticated API. ' +
          'Errors are application/problem+json (RFC 9457).',
      },
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    // Shared schemas (app.addSchema) are named by their $id, never def-N.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transform: ({ schema, url, route }) => {
      if (!schema || schema.hide) return { schema, url }
      const response: Record<string, unknown> = { ...(schema.response as Record<string, unknown> | undefined) }
      // What any route can answer besides its own statuses: a surprise, a dependency down, the
      // global rate limit where it applies, and the platform's answers to a bad request.
      const codes = ['500', '503']
      if (route.config?.rateLimit !== false) codes.push('429')
      // A body can be malformed, too large or of another type; anything validated can be invalid.
      if (schema.body) codes.push('400', '413', '415')
      if (schema.body || schema.querystring || schema.params || schema.headers) codes.push('422')
      for (const code of codes) response[code] ??= problemResponse
      const auth = route.config?.auth as RouteAuth | undefined
      const documented: Record<string, unknown> = { ...schema, response }
      if (auth) {
        const schemes = auth.schemes ?? ['apiKey', 'bearer']
        // A bearer JWT may come from the OAuth2 password flow as well.
        const names = schemes.includes('bearer') ? [...schemes, 'oauth2'] : schemes
        documented.security = names.map((s) => ({ [s]: [] }))
      }
      return { schema: documented as typeof schema, url }
    },
    transformObject: (document) =>
      'openapiObject' in document
        ? completeDocument(document.openapiObject as OpenApiDocument)
        : document.swaggerObject,
  })
  // No staticCSP: the plugin's own policy always says upgrade-insecure-requests; /docs pages get
  // security-headers.ts's page set instead, which says it only over TLS.
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { url: '/openapi.json', validatorUrl: null } })

  const hidden = { schema: { hide: true }, config: { rateLimit: false as const } }
  app.get('/openapi.json', hidden, async () => app.swagger())

  const redocBundle = localRedocBundle()
  app.get('/redoc/redoc.standalone.js', hidden, (_request, reply) =>
    reply
      .type('application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .send(redocBundle),
  )
  app.get(REDOC_LOCAL_LOGO, hidden, (_request, reply) =>
    reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(LOGO_SVG),
  )
  app.get(
    '/redoc',
    {
      ...hidden,
      // ReDoc styles itself inline and runs its search in a blob: worker.
      config: {
        rateLimit: false,
        csp: {
          'style-src': ["'self'", "'unsafe-inline'"],
          'worker-src': ["'self'", 'blob:'],
          'img-src': ["'self'", 'data:'],
        },
      },
    },
    (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><html><head><meta charset="utf-8"><title>statehouse API — ReDoc</title>' +
            `<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="${REDOC_LOCAL_LOGO}"></head>` +
            '<body><redoc spec-url="/openapi.json"></redoc><script src="/redoc/redoc.standalone.js"></script></body></html>',
        ),
  )
}

// ---- the finished document: problem content types, named schemas, tags ---------------------------

interface SchemaNode {
  [key: string]: unknown
}
interface MediaType {
  schema?: SchemaNode
  example?: unknown
  examples?: unknown
}
interface Operation {
  operationId?: string
  tags?: string[]
  requestBody?: { content?: Record<string, MediaType> }
  responses?: Record<string, { description?: string; content?: Record<string, MediaType> }>
}
interface OpenApiDocument {
  paths?: Record<string, Record<string, Operation>>
  components?: { schemas?: Record<string, SchemaNode> }
  tags?: { name: string }[]
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1)

/**
 * Makes the generated document what client generators need: every error a Problem as
 * application/problem+json, every titled schema (TypeBox `title`) one entry under
 * components/schemas, every remaining top-level body named after its operation, and the tags listed.
 * Two different schemas under one title throw: the docs test names them.
 */
export function completeDocument(input: OpenApiDocument): OpenApiDocument {
  const doc = structuredClone(input)
  doc.components ??= {}
  doc.components.schemas ??= {}
  const schemas = doc.components.schemas
  const tags: string[] = []

  const register = (name: string, schema: SchemaNode): SchemaNode => {
    const existing = schemas[name]
    if (existing && JSON.stringify(existing) !== JSON.stringify(schema))
      throw new Error(`two different schemas are named ${name} in the OpenAPI document`)
    schemas[name] = schema
    return { $ref: `#/components/schemas/${name}` }
  }
  // Titled schemas anywhere in a body become references (children first, so nesting stays named).
  const hoist = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(hoist)
    if (!node || typeof node !== 'object') return node
    const out: SchemaNode = {}
    for (const [key, value] of Object.entries(node)) {
      if (key === 'properties' && value && typeof value === 'object') {
        out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hoist(v)]))
      } else if (['items', 'additionalProperties', 'anyOf', 'oneOf', 'allOf', 'not'].includes(key)) {
        out[key] = hoist(value)
      } else out[key] = value
    }
    return typeof out.title === 'string' && out.$ref === undefined ? register(out.title, out) : out
  }
  // A body still inline after hoisting (an object, or an array of objects) is named after its operation.
  const name = (schema: SchemaNode | undefined, fallback: string): SchemaNode | undefined => {
    if (!schema || schema.$ref) return schema
    if (schema.type === 'array' && schema.items && typeof schema.items === 'object') {
      const items = schema.items as SchemaNode
      return items.$ref || items.type !== 'object' ? schema : { ...schema, items: register(`${fallback}Item`, items) }
    }
    return schema.type === 'object' ? register(fallback, schema) : schema
  }

  for (const item of Object.values(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue
      // A route without an operationId keeps its bodies inline; the docs test names it.
      const id = operation.operationId
      for (const tag of operation.tags ?? []) if (!tags.includes(tag)) tags.push(tag)
      for (const media of Object.values(operation.requestBody?.content ?? {})) {
        const schema = hoist(media.schema) as SchemaNode | undefined
        media.schema = id ? name(schema, `${pascal(id)}Request`) : schema
      }
      const firstSuccess = Object.keys(operation.responses ?? {}).find((s) => s.startsWith('2'))
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const code = Number(status)
        if (code >= 400) {
          // An error documented with another schema stays as it is; the docs test names it.
          const schema = Object.values(response.content ?? {})[0]?.schema
          if (schema && schema.$ref !== PROBLEM_REF) continue
          response.description = STATUS_CODES[code] ?? 'Error'
          response.content = { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: PROBLEM_REF } } }
          continue
        }
        if (response.description === 'Default Response') response.description = STATUS_CODES[code] ?? 'Success'
        // The first success is <Id>Response; another (a 202 beside a 200) adds its status.
        const suffix = status === firstSuccess ? '' : status
        for (const media of Object.values(response.content ?? {})) {
          const schema = hoist(media.schema) as SchemaNode | undefined
          media.schema = id ? name(schema, `${pascal(id)}Response${suffix}`) : schema
        }
      }
    }
  }
  doc.tags = [...(doc.tags ?? []).filter((t) => !tags.includes(t.name)), ...tags.map((t) => ({ name: t }))]
  return doc
}
