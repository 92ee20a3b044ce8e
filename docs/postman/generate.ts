/**
 * Generates one Postman collection per domain (docs/postman/statehouse-<domain>.postman_collection.json)
 * from the server's OpenAPI document: each step names an operation; its method, path, example body,
 * auth and tests come from the document — the status, the content type and the body against the
 * documented schema (pm.response.to.have.jsonSchema), plus the step's own checks.
 * `npx tsx docs/postman/generate.ts` writes them; test/e2e/postman.test.ts runs them with newman and
 * fails when a committed collection differs from what this generates.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { serverDocument } from '../../clients/typescript/scripts/generate.js'

export const POSTMAN_DIR = path.dirname(fileURLToPath(import.meta.url))

type Json = Record<string, unknown>
interface Step {
  name: string
  operationId: string
  status: number
  /** Path parameters: `{id}` → `{{itemId}}`. */
  params?: Record<string, string>
  query?: Record<string, string>
  /** Overrides the document's example body. */
  body?: Json
  form?: Record<string, string>
  auth?: 'apiKey' | 'bearer' | 'none'
  /** Extra lines for the test script (pm.* statements). */
  tests?: string[]
}

const DOMAINS: Record<string, { description: string; steps: Step[] }> = {
  health: {
    description: 'Liveness, readiness and metrics.',
    steps: [
      { name: 'Liveness', operationId: 'getHealth', status: 200 },
      { name: 'Readiness', operationId: 'getReadiness', status: 200 },
      { name: 'Metrics', operationId: 'getMetrics', status: 200 },
    ],
  },
  state: {
    description: 'The shared counter and message (SPEC §2): read, change with the API key, the audit log.',
    steps: [
      { name: 'Service index', operationId: 'getIndex', status: 200 },
      {
        name: 'Status',
        operationId: 'getStatus',
        status: 200,
        tests: ["pm.collectionVariables.set('counter', pm.response.json().counter);"],
      },
      {
        name: 'Increment',
        operationId: 'updateState',
        status: 200,
        auth: 'apiKey',
        body: { increment: 2, message: 'from postman' },
        tests: [
          "pm.test('counter moved by 2', () => pm.expect(pm.response.json().new_state.counter).to.eql(Number(pm.collectionVariables.get('counter')) + 2));",
        ],
      },
      { name: 'Update without a key', operationId: 'updateState', status: 401, auth: 'none', body: { increment: 1 } },
      {
        name: 'Log',
        operationId: 'listLogs',
        status: 200,
        query: { page: '1', limit: '5' },
        tests: [
          "pm.test('newest first', () => pm.expect(pm.response.json().logs[0].new_message).to.eql('from postman'));",
        ],
      },
    ],
  },
  identity: {
    description: 'Users, logins (form, JSON), profiles and issued API tokens (SPEC §3).',
    steps: [
      {
        name: 'Create user',
        operationId: 'createUser',
        status: 200,
        auth: 'apiKey',
        body: { username: '{{username}}', password: 'postman-password-1', email: 'postman@example.com' },
        tests: ["pm.collectionVariables.set('userId', pm.response.json().id);"],
      },
      {
        name: 'Login (form)',
        operationId: 'login',
        status: 200,
        form: { grant_type: 'password', username: '{{username}}', password: 'postman-password-1' },
        tests: ["pm.collectionVariables.set('token', pm.response.json().access_token);"],
      },
      {
        name: 'Login with a wrong password',
        operationId: 'loginWithPassword',
        status: 401,
        body: { username: '{{username}}', password: 'not-the-password' },
      },
      { name: 'User', operationId: 'getUser', status: 200, auth: 'bearer', params: { id: 'userId' } },
      {
        name: 'Change user',
        operationId: 'updateUser',
        status: 200,
        auth: 'bearer',
        params: { id: 'userId' },
        body: { first_name: 'Post' },
      },
      { name: 'Profile', operationId: 'getUserProfile', status: 200, auth: 'bearer', params: { id: 'userId' } },
      {
        name: 'Issue API token',
        operationId: 'createApiToken',
        status: 200,
        auth: 'bearer',
        params: { id: 'userId' },
        tests: ["pm.collectionVariables.set('tokenId', pm.response.json().id);"],
      },
      { name: 'API tokens', operationId: 'listApiTokens', status: 200, auth: 'bearer', params: { id: 'userId' } },
      {
        name: 'Revoke API token',
        operationId: 'revokeApiToken',
        status: 200,
        auth: 'bearer',
        params: { id: 'userId', tid: 'tokenId' },
      },
    ],
  },
  items: {
    description: 'Items of the logged-in user (SPEC §4), with a user and a JWT made first.',
    steps: [
      {
        name: 'Create user',
        operationId: 'createUser',
        status: 200,
        auth: 'apiKey',
        body: { username: '{{username}}', password: 'postman-password-1' },
      },
      {
        name: 'Login (JSON)',
        operationId: 'issueToken',
        status: 200,
        body: { username: '{{username}}', password: 'postman-password-1' },
        tests: ["pm.collectionVariables.set('token', pm.response.json().access_token);"],
      },
      {
        name: 'Create item',
        operationId: 'createItem',
        status: 201,
        auth: 'bearer',
        tests: ["pm.collectionVariables.set('itemId', pm.response.json().id);"],
      },
      { name: 'Items', operationId: 'listItems', status: 200, auth: 'bearer', query: { limit: '10', offset: '0' } },
      { name: 'Item', operationId: 'getItem', status: 200, auth: 'bearer', params: { id: 'itemId' } },
      {
        name: 'Replace item',
        operationId: 'replaceItem',
        status: 200,
        auth: 'bearer',
        params: { id: 'itemId' },
        body: { name: 'Gadget' },
      },
      { name: 'Change item', operationId: 'updateItem', status: 200, auth: 'bearer', params: { id: 'itemId' } },
      { name: 'Delete item', operationId: 'deleteItem', status: 204, auth: 'bearer', params: { id: 'itemId' } },
      { name: 'Deleted item', operationId: 'getItem', status: 404, auth: 'bearer', params: { id: 'itemId' } },
    ],
  },
  builds: {
    description: 'Catalog, a build through its states, a failure, the dashboards (SPEC §5).',
    steps: [
      {
        name: 'Add platform',
        operationId: 'createPlatform',
        status: 200,
        auth: 'apiKey',
        body: { id: 'pm-{{run}}', name: 'Postman cloud', cloud_provider: 'aws' },
      },
      {
        name: 'Add OS version',
        operationId: 'createOsVersion',
        status: 200,
        auth: 'apiKey',
        body: { id: 'pm-os-{{run}}', name: 'RHEL', version: '9.2' },
      },
      {
        name: 'Add image type',
        operationId: 'createImageType',
        status: 200,
        auth: 'apiKey',
        body: { id: 'pm-image-{{run}}', name: 'Base' },
      },
      { name: 'Platforms', operationId: 'listPlatforms', status: 200, auth: 'apiKey' },
      { name: 'OS versions', operationId: 'listOsVersions', status: 200, auth: 'apiKey' },
      { name: 'Image types', operationId: 'listImageTypes', status: 200, auth: 'apiKey' },
      { name: 'State codes', operationId: 'listStateCodes', status: 200, auth: 'apiKey' },
      {
        name: 'Create build',
        operationId: 'createBuild',
        status: 200,
        auth: 'apiKey',
        body: {
          platform: 'pm-{{run}}',
          os_version: 'pm-os-{{run}}',
          image_type: 'pm-image-{{run}}',
          build_id: 'pm-{{run}}',
        },
        tests: ["pm.collectionVariables.set('buildId', pm.response.json().id);"],
      },
      {
        name: 'Move to state 50',
        operationId: 'updateBuildState',
        status: 200,
        auth: 'apiKey',
        params: { id: 'buildId' },
        body: { state_code: 50, message: 'halfway' },
      },
      { name: 'Current state', operationId: 'getBuildState', status: 200, auth: 'apiKey', params: { id: 'buildId' } },
      {
        name: 'Record failure',
        operationId: 'recordBuildFailure',
        status: 200,
        auth: 'apiKey',
        params: { id: 'buildId' },
      },
      {
        name: 'Build',
        operationId: 'getBuild',
        status: 200,
        auth: 'apiKey',
        params: { id: 'buildId' },
        tests: ["pm.test('failed', () => pm.expect(pm.response.json().status).to.eql('failed'));"],
      },
      { name: 'Builds', operationId: 'listBuilds', status: 200, auth: 'apiKey', query: { limit: '10' } },
      { name: 'Dashboard summary', operationId: 'getDashboardSummary', status: 200, auth: 'apiKey' },
      { name: 'Recent builds', operationId: 'getRecentBuilds', status: 200, auth: 'apiKey', query: { limit: '5' } },
      {
        name: 'Platform builds',
        operationId: 'getPlatformBuilds',
        status: 200,
        auth: 'apiKey',
        params: { platform: 'platform' },
      },
      { name: 'Unknown build', operationId: 'getBuild', status: 404, auth: 'apiKey', params: { id: 'run' } },
    ],
  },
  aircraft: {
    description: 'An ingest job over the configured source, then the public reads (SPEC §6).',
    steps: [
      {
        name: 'Process the source',
        operationId: 'processS3Data',
        status: 200,
        auth: 'apiKey',
        body: {},
        tests: ["pm.collectionVariables.set('jobId', pm.response.json().job_id);"],
      },
      { name: 'Job', operationId: 'getJob', status: 200, params: { id: 'jobId' } },
      {
        name: 'Aircraft',
        operationId: 'listAircraft',
        status: 200,
        query: { page: '1', limit: '10' },
        tests: ["pm.collectionVariables.set('icao', pm.response.json()[0].icao);"],
      },
      { name: 'Stats', operationId: 'getAircraftStats', status: 200, params: { icao: 'icao' } },
      { name: 'Stats (by path)', operationId: 'getAircraftStatsByPath', status: 200, params: { icao: 'icao' } },
      { name: 'Positions', operationId: 'listAircraftPositions', status: 200, params: { icao: 'icao' } },
      { name: 'Unknown aircraft', operationId: 'getAircraftStats', status: 404, params: { icao: 'missingIcao' } },
    ],
  },
}

interface Operation {
  method: string
  path: string
  operation: {
    requestBody?: { content: Record<string, { example?: unknown; schema?: Json }> }
    responses: Record<string, { content?: Record<string, { schema?: Json }> }>
  }
}

/** The document's OpenAPI 3.0 schema as JSON Schema Postman's validator reads (nullable → a null type). */
function jsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(jsonSchema)
  if (!node || typeof node !== 'object') return node
  const out: Json = {}
  for (const [key, value] of Object.entries(node)) {
    if (key === 'example' || key === 'nullable') continue
    out[key] =
      key === '$ref' && typeof value === 'string'
        ? value.replace('#/components/schemas/', '#/definitions/')
        : key === 'properties' && value && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSchema(v)]))
          : jsonSchema(value)
  }
  if ((node as Json).nullable === true && typeof out.type === 'string') out.type = [out.type, 'null']
  return out
}

function testScript(doc: Json, op: Operation, step: Step): string[] {
  const lines = [`pm.test('status ${step.status}', () => pm.response.to.have.status(${step.status}));`]
  const content = op.operation.responses[String(step.status)]?.content ?? {}
  const [type, media] = Object.entries(content)[0] ?? []
  if (type && step.status !== 204) {
    lines.push(
      `pm.test('content type ${type}', () => pm.expect(pm.response.headers.get('Content-Type')).to.match(/^${type.replace(/[/+]/g, '\\$&')}/));`,
    )
  }
  if (type?.includes('json') && media?.schema) {
    const components = (doc.components as { schemas: Json }).schemas
    // Only the definitions this body reaches, so each test carries what it checks.
    const reached = new Set<string>()
    const visit = (node: unknown) => {
      for (const [, name] of JSON.stringify(node).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
        if (name && !reached.has(name)) {
          reached.add(name)
          visit(components[name])
        }
      }
    }
    visit(media.schema)
    const definitions = Object.fromEntries([...reached].sort().map((name) => [name, jsonSchema(components[name])]))
    const schema = { ...(jsonSchema(media.schema) as Json), definitions }
    lines.push(
      `const schema = ${JSON.stringify(schema)};`,
      "pm.test('body matches the documented schema', () => pm.response.to.have.jsonSchema(schema));",
    )
  }
  return [...lines, ...(step.tests ?? [])]
}

function request(op: Operation, step: Step) {
  const urlPath = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => `{{${step.params?.[name] ?? name}}}`)
  const query = new URLSearchParams(step.query).toString()
  const header: { key: string; value: string }[] = []
  if (step.auth === 'apiKey') header.push({ key: 'X-API-Key', value: '{{apiKey}}' })
  if (step.auth === 'bearer') header.push({ key: 'Authorization', value: 'Bearer {{token}}' })
  let body: Json | undefined
  if (step.form) {
    body = { mode: 'urlencoded', urlencoded: Object.entries(step.form).map(([key, value]) => ({ key, value })) }
  } else if (op.operation.requestBody) {
    const example = step.body ?? op.operation.requestBody.content['application/json']?.example ?? {}
    header.push({ key: 'Content-Type', value: 'application/json' })
    body = { mode: 'raw', raw: JSON.stringify(example, null, 2) }
  }
  return {
    method: op.method.toUpperCase(),
    header,
    url: `{{baseUrl}}${urlPath}${query ? `?${query}` : ''}`,
    ...(body ? { body } : {}),
    auth: { type: 'noauth' },
  }
}

/** Every domain's collection: file name → its JSON text. */
export async function postmanCollections(): Promise<Record<string, string>> {
  const doc = (await serverDocument()) as unknown as Json
  const operations = new Map<string, Operation>()
  for (const [p, item] of Object.entries(doc.paths as Record<string, Record<string, Operation['operation']>>)) {
    for (const [method, operation] of Object.entries(item)) {
      const id = (operation as { operationId?: string }).operationId
      if (id) operations.set(id, { method, path: p, operation })
    }
  }
  const files: Record<string, string> = {}
  for (const [domain, { description, steps }] of Object.entries(DOMAINS)) {
    const collection = {
      info: {
        name: `statehouse — ${domain}`,
        description: `${description} Generated from the OpenAPI document by docs/postman/generate.ts; environment: statehouse.postman_environment.json.`,
        schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
      },
      // A run's own names (users, catalog ids), so the collection runs again on the same server.
      event: [
        {
          listen: 'prerequest',
          script: {
            type: 'text/javascript',
            exec: [
              "if (!pm.collectionVariables.get('run')) pm.collectionVariables.set('run', String(Date.now()));",
              "pm.collectionVariables.set('username', 'pm-' + pm.collectionVariables.get('run'));",
              "pm.collectionVariables.set('platform', 'pm-' + pm.collectionVariables.get('run'));",
            ],
          },
        },
      ],
      variable: [
        { key: 'run', value: '' },
        { key: 'missingIcao', value: 'ffffff' },
      ],
      item: steps.map((step) => {
        const op = operations.get(step.operationId)
        if (!op) throw new Error(`postman ${domain}: no operation ${step.operationId} in the document`)
        return {
          name: step.name,
          request: request(op, step),
          event: [{ listen: 'test', script: { type: 'text/javascript', exec: testScript(doc, op, step) } }],
        }
      }),
    }
    files[`statehouse-${domain}.postman_collection.json`] = `${JSON.stringify(collection, null, 2)}\n`
  }
  return files
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [file, text] of Object.entries(await postmanCollections())) {
    fs.writeFileSync(path.join(POSTMAN_DIR, file), text)
    console.log(`wrote docs/postman/${file}`)
  }
}
