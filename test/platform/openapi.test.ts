/**
 * The OpenAPI document is complete for client generators (issue 15, acceptance 1): a unique
 * operationId on every operation, every body schema named under components/schemas (never def-N),
 * every 4xx/5xx a Problem as application/problem+json, request examples, the three security schemes
 * (the OAuth2 password flow logs in at /auth/login), tags, and the document validates.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Validator } from '@seriousme/openapi-schema-validator'
import { completeDocument } from '../../src/platform/docs.js'
import { buildTestApp } from '../helpers/app.js'
import { sqlite } from '../helpers/databases.js'

interface Media {
  schema?: Record<string, unknown>
  example?: unknown
  examples?: unknown
}
interface Operation {
  operationId?: string
  tags?: string[]
  requestBody?: { content: Record<string, Media> }
  security?: Record<string, string[]>[]
  responses: Record<string, { content?: Record<string, Media> }>
}
interface Document {
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, Record<string, unknown>>; securitySchemes: Record<string, unknown> }
  tags: { name: string }[]
}

const operations = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, operation })),
  )

/** Every way the document falls short of acceptance 1, one line each (empty: complete). */
export function incompleteness(doc: Document): string[] {
  const found: string[] = []
  const ids = new Map<string, string>()
  for (const name of Object.keys(doc.components.schemas)) {
    if (/^def-\d+$/.test(name)) found.push(`components/schemas/${name} is anonymous`)
  }
  const named = (route: string, where: string, schema: Record<string, unknown> | undefined) => {
    if (!schema || typeof schema.$ref === 'string') return
    const items = schema.items as Record<string, unknown> | undefined
    if (schema.type === 'array' && (typeof items?.$ref === 'string' || items?.type !== 'object')) return
    if (schema.type !== 'object' && schema.type !== 'array') return // a text body (SSE, metrics)
    found.push(`${route} ${where}: inline schema, not one of components/schemas`)
  }
  for (const { route, operation } of operations(doc)) {
    const id = operation.operationId
    if (!id) found.push(`${route}: no operationId`)
    else if (ids.has(id)) found.push(`${route}: operationId ${id} is also ${ids.get(id)}'s`)
    else ids.set(id, route)
    if (!operation.tags?.length) found.push(`${route}: no tag`)
    for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) {
      named(route, `request ${type}`, media.schema)
      const ref = String(media.schema?.$ref ?? '').replace('#/components/schemas/', '')
      const example = media.example ?? media.examples ?? doc.components.schemas[ref]?.example
      if (example === undefined) found.push(`${route} request ${type}: no example`)
    }
    for (const [status, response] of Object.entries(operation.responses)) {
      const types = Object.keys(response.content ?? {})
      if (Number(status) >= 400) {
        const schema = response.content?.['application/problem+json']?.schema
        if (types.join() !== 'application/problem+json' || schema?.$ref !== '#/components/schemas/Problem')
          found.push(`${route} ${status}: not a Problem as application/problem+json (${types.join() || 'no content'})`)
        continue
      }
      for (const type of types) named(route, `${status} ${type}`, response.content?.[type]?.schema)
    }
  }
  const listed = new Set(doc.tags.map((t) => t.name))
  for (const { route, operation } of operations(doc)) {
    for (const tag of operation.tags ?? []) if (!listed.has(tag)) found.push(`${route}: tag ${tag} is not listed`)
  }
  return found
}

describe('OpenAPI document (/openapi.json)', () => {
  it('is complete: operationIds, named schemas, problem+json errors, examples, tags; and validates', async (t) => {
    const app = await buildTestApp(t, sqlite)
    const doc = (await app.inject({ url: '/openapi.json' })).json() as Document
    assert.deepEqual(incompleteness(doc), [])
    const result = await new Validator().validate(doc as never)
    assert.equal(result.valid, true, JSON.stringify(result.errors))
    // The operations the issue names, and shared shapes named once.
    const ids = operations(doc).map((o) => o.operation.operationId)
    for (const id of ['getStatus', 'updateState', 'listLogs', 'createBuild', 'login', 'createItem', 'listAircraft'])
      assert.ok(ids.includes(id), `${id} missing`)
    assert.equal(
      doc.paths['/items/{id}']?.get?.responses['200']?.content?.['application/json']?.schema?.$ref,
      '#/components/schemas/Item',
    )
    assert.ok(operations(doc).length >= 46, `only ${operations(doc).length} operations`)
  })

  it('offers API key, bearer JWT and the OAuth2 password flow, whose token URL takes the login form', async (t) => {
    const app = await buildTestApp(t, sqlite)
    const doc = (await app.inject({ url: '/openapi.json' })).json() as Document
    assert.deepEqual(doc.components.securitySchemes.apiKey, {
      type: 'apiKey',
      in: 'header',
      name: 'X-API-Key',
      description: 'a static key or an issued API token',
    })
    assert.equal((doc.components.securitySchemes.bearer as { scheme: string }).scheme, 'bearer')
    const oauth2 = doc.components.securitySchemes.oauth2 as { flows: { password: { tokenUrl: string } } }
    assert.equal(oauth2.flows.password.tokenUrl, '/auth/login')
    const login = doc.paths['/auth/login']?.post
    assert.ok(login?.requestBody?.content['application/x-www-form-urlencoded'], '/auth/login documents the form')
    // Routes that take a JWT also take it from the OAuth2 flow.
    assert.deepEqual(doc.paths['/items']?.get?.security, [{ bearer: [] }, { oauth2: [] }])
    // What Swagger UI's Authorize sends: a password-grant form (no user exists, so a problem+json 401).
    const refused = await app.inject({
      method: 'POST',
      url: oauth2.flows.password.tokenUrl,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=password&username=nobody&password=wrong-password',
    })
    assert.equal(refused.statusCode, 401)
    assert.match(String(refused.headers['content-type']), /^application\/problem\+json/)
  })

  it('names every shortcoming of a document that lacks them (the check can fail)', () => {
    const inline = { type: 'object', properties: { n: { type: 'integer' } } }
    const doc = completeDocument({
      paths: {
        '/a': {
          get: { tags: ['a'], responses: { '200': { content: { 'application/json': { schema: inline } } } } },
          post: {
            operationId: 'same',
            tags: ['a'],
            requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/def-0' } } } },
            responses: { '404': { content: { 'application/json': { schema: inline } } } },
          },
        },
        '/b': { get: { operationId: 'same', responses: {} } },
      },
      components: { schemas: { 'def-0': inline } },
    }) as unknown as Document
    assert.deepEqual(incompleteness({ ...doc, components: { ...doc.components, securitySchemes: {} } }).sort(), [
      'GET /a 200 application/json: inline schema, not one of components/schemas',
      'GET /a: no operationId',
      'GET /b: no tag',
      "GET /b: operationId same is also POST /a's",
      'POST /a 404: not a Problem as application/problem+json (application/json)',
      'POST /a request application/json: no example',
      'components/schemas/def-0 is anonymous',
    ])
  })
})
