/**
 * An OpenAPI-driven fuzzer (issue 17): requests generated from /openapi.json with fast-check, for
 * every operation — values that fit the documented schema and mutations of them (wrong types, huge
 * and non-finite numbers, NUL, overlong and odd strings, unknown fields, broken JSON, foreign
 * content types). On both engines it asserts: no 5xx, every error is problem+json with a matching
 * `status`, every response conforms to the document (the conformance hook of buildTestApp), and a
 * rejected POST /update leaves the state unchanged. FUZZ_RUNS sets the number (default 10,000 per
 * engine); a failure prints the seed to replay with FUZZ_SEED.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import { buildTestApp, TEST_API_KEY } from '../helpers/app.js'
import { DIALECTS } from '../helpers/databases.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000)
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31

type Schema = {
  type?: string | string[]
  enum?: unknown[]
  properties?: Record<string, Schema>
  items?: Schema
  minimum?: number
  maximum?: number
  maxLength?: number
  format?: string
  $ref?: string
}
interface Operation {
  method: string
  path: string
  params: { name: string; in: string; schema?: Schema }[]
  body?: Schema
}

/** Operations worth fuzzing: streams, docs pages and the ingest job (its own suite) are left out. */
interface DocOperation {
  parameters?: Operation['params']
  requestBody?: { content?: Record<string, { schema?: Schema }> }
}

function operationsOf(doc: { paths: Record<string, Record<string, DocOperation>> }): Operation[] {
  const ops: Operation[] = []
  for (const [path, item] of Object.entries(doc.paths)) {
    if (/^\/(docs|redoc|ui|events)\b/.test(path) || path === '/process-s3-data') continue
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue
      const body = op.requestBody?.content?.['application/json']?.schema as Schema | undefined
      ops.push({ method: method.toUpperCase(), path, params: op.parameters ?? [], body })
    }
  }
  return ops
}

const oddString = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom('', '\u0000', 'a\u0000b', '%', '%00', '..', '../..', ' ', 'null', '-1', '0', '1e309', 'Infinity'),
  fc.constantFrom('NaN', '9'.repeat(30), 'x'.repeat(101), 'x'.repeat(300), '\ud800', '😀', '<script>', "'; drop table"),
)
const oddNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MAX_SAFE_INTEGER + 2, 2 ** 63, 1e20, 0.5),
)
const anyJson = fc.jsonValue({ maxDepth: 2 })

/** A value for a schema: mostly one that fits, sometimes a mutation. */
function valueFor(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 3) return anyJson
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  let fitting: fc.Arbitrary<unknown>
  if (schema.enum) fitting = fc.constantFrom(...schema.enum)
  else if (type === 'integer')
    fitting = fc.integer({ min: Math.max(schema.minimum ?? -1000, -1e6), max: Math.min(schema.maximum ?? 1000, 1e6) })
  else if (type === 'number') fitting = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })
  else if (type === 'boolean') fitting = fc.boolean()
  else if (type === 'string')
    fitting =
      schema.format === 'date-time'
        ? fc.date({ noInvalidDate: true }).map((d) => d.toISOString())
        : fc.string({ maxLength: Math.min(schema.maxLength ?? 30, 30) })
  else if (type === 'array') fitting = fc.array(valueFor(schema.items, depth + 1), { maxLength: 3 })
  else if (type === 'object' || schema.properties) {
    const props = Object.fromEntries(
      Object.entries(schema.properties ?? {}).map(([k, s]) => [k, valueFor(s, depth + 1)] as const),
    )
    fitting = fc.record(props, { requiredKeys: [] })
  } else fitting = anyJson
  return fc.oneof(
    { arbitrary: fitting, weight: 4 },
    { arbitrary: oddString, weight: 1 },
    { arbitrary: oddNumber, weight: 1 },
  )
}

/** Percent-encodes a segment; a lone surrogate (no UTF-8 form) becomes bytes that are not UTF-8. */
function encodePathSegment(value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    return '%ED%A0%80'
  }
}

interface FuzzRequest {
  method: string
  url: string
  headers: Record<string, string>
  payload?: string
}

function requestFor(op: Operation): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.params.filter((p) => p.in === 'path')
  const queryParams = op.params.filter((p) => p.in === 'query')
  return fc
    .record({
      path: fc.tuple(...pathParams.map((p) => valueFor(p.schema)), fc.constant(0)),
      query: fc.tuple(...queryParams.map((p) => fc.option(valueFor(p.schema), { nil: undefined })), fc.constant(0)),
      body: op.body ? valueFor(op.body) : fc.constant(undefined),
      bodyMutation: fc.constantFrom('as-is', 'as-is', 'as-is', 'extra-field', 'broken-json', 'form', 'utf16'),
      auth: fc.constantFrom('key', 'key', 'key', 'none', 'wrong-key', 'bad-bearer'),
    })
    .map(({ path, query, body, bodyMutation, auth }) => {
      let url = op.path
      pathParams.forEach((p, i) => {
        url = url.replace(`{${p.name}}`, encodePathSegment(String(path[i])))
      })
      const search = new URLSearchParams()
      queryParams.forEach((p, i) => {
        const v = query[i]
        if (v !== undefined) search.set(p.name, typeof v === 'string' ? v : JSON.stringify(v))
      })
      if (search.size > 0) url += `?${search}`
      const headers: Record<string, string> = {}
      if (auth === 'key') headers['x-api-key'] = TEST_API_KEY
      if (auth === 'wrong-key') headers['x-api-key'] = 'wrong'
      if (auth === 'bad-bearer') headers.authorization = 'Bearer not.a.jwt'
      let payload: string | undefined
      if (op.body !== undefined || (bodyMutation !== 'as-is' && ['POST', 'PUT', 'PATCH'].includes(op.method))) {
        const value =
          bodyMutation === 'extra-field' && body && typeof body === 'object' ? { ...body, unknown_field: 1 } : body
        payload = bodyMutation === 'broken-json' ? '{"a":' : JSON.stringify(value ?? {})
        headers['content-type'] =
          bodyMutation === 'form'
            ? 'application/x-www-form-urlencoded'
            : bodyMutation === 'utf16'
              ? 'application/json; charset=utf-16'
              : 'application/json'
      }
      return { method: op.method, url, headers, ...(payload !== undefined ? { payload } : {}) }
    })
}

for (const dialect of DIALECTS) {
  describe(`OpenAPI fuzzer on ${dialect.name}`, { skip: dialect.skip }, () => {
    it(`${RUNS} generated requests: no 5xx, problem+json errors, documented responses, no change on rejection`, {
      timeout: 170_000,
    }, async (t) => {
      const app = await buildTestApp(t, dialect)
      const doc = (await app.inject({ url: '/openapi.json' })).json()
      const ops = operationsOf(doc)
      assert.ok(ops.length >= 30, `operations in the document: ${ops.length}`)
      const failures: string[] = []
      let sent = 0
      const version = async () => (await app.inject({ url: '/status' })).json().version as number
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...ops).chain(requestFor), async (req) => {
          sent++
          const before = req.url.startsWith('/update') ? await version() : undefined
          let res: LightMyRequestResponse
          try {
            res = await app.inject({ ...req, method: req.method as 'GET' })
          } catch (err) {
            failures.push(`${req.method} ${req.url}: ${(err as Error).message.slice(0, 300)}`)
            return
          }
          const where = `${req.method} ${req.url.slice(0, 120)} → ${res.statusCode}`
          if (res.statusCode >= 500) {
            failures.push(`${where}: ${res.body.slice(0, 200)}`)
          } else if (res.statusCode >= 400) {
            if (!/^application\/problem\+json/.test(String(res.headers['content-type'])))
              failures.push(`${where}: not problem+json (${res.headers['content-type']})`)
            else if (JSON.parse(res.body).status !== res.statusCode) failures.push(`${where}: status member`)
            if (before !== undefined && (await version()) !== before) failures.push(`${where}: the state changed`)
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      )
      assert.equal(sent, RUNS)
      assert.deepEqual(failures.slice(0, 20), [], `seed ${SEED}: ${failures.length} of ${sent} requests failed`)
    })
  })
}
