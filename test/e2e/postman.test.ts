/**
 * The Postman collection (docs/postman) run by newman against a real server process, as users run it:
 * create → states 10, 25, 50, 75, 100 → a failed build → dashboards. Any failed assertion fails the test.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { describe, it } from 'node:test'
import { POSTMAN_DIR, postmanCollections } from '../../docs/postman/generate.js'
import { buildTestApp } from '../helpers/app.js'
import { sqlite, tempDir } from '../helpers/databases.js'
import { REPO_ROOT, startServer } from '../helpers/server-process.js'

// newman ships no types; this is the part of its programmatic API the test uses.
interface NewmanSummary {
  run: {
    stats: { requests: { total: number; failed: number }; assertions: { total: number; failed: number } }
    failures: { error: { name: string; message: string; test?: string }; source?: { name?: string } }[]
    executions: { item: { name: string }; response?: { code: number } }[]
  }
}
interface NewmanOptions {
  collection: string | object
  environment: string
  envVar: { key: string; value: string }[]
  reporters: string[]
  timeoutRequest: number
}
const newman = createRequire(import.meta.url)('newman') as {
  run(options: NewmanOptions, callback: (err: Error | null, summary: NewmanSummary) => void): void
}

const COLLECTION = path.join(REPO_ROOT, 'docs/postman/statehouse.postman_collection.json')
const ENVIRONMENT = path.join(REPO_ROOT, 'docs/postman/statehouse.postman_environment.json')
const KEY = 'postman-e2e-key-0123456789'

function runCollection(baseUrl: string, apiKey: string, collection = COLLECTION): Promise<NewmanSummary> {
  return new Promise((resolve, reject) =>
    newman.run(
      {
        collection,
        environment: ENVIRONMENT,
        envVar: [
          { key: 'baseUrl', value: baseUrl },
          { key: 'apiKey', value: apiKey },
        ],
        reporters: [],
        timeoutRequest: 10_000,
      },
      (err, summary) => (err ? reject(err) : resolve(summary)),
    ),
  )
}

const describeFailures = (summary: NewmanSummary) =>
  summary.run.failures
    .map((f) => `${f.source?.name ?? '?'}: ${f.error.test ?? f.error.name}: ${f.error.message}`)
    .join('\n')

describe('Postman collection (newman) against the server process', () => {
  it('passes every assertion of the build workflow', async (t) => {
    const dir = tempDir()
    const server = await startServer({
      DATABASE_URL: `sqlite:${path.join(dir, 'postman.db')}`,
      API_KEY: KEY,
      ENVIRONMENT: 'test',
      LOG_LEVEL: 'warn',
    })
    t.after(() => server.stop('SIGKILL'))
    const summary = await runCollection(server.url, KEY)
    assert.equal(summary.run.failures.length, 0, describeFailures(summary))
    const names = summary.run.executions.map((e) => e.item.name)
    for (const step of [
      'Create build',
      'Move to state 10',
      'Move to state 25',
      'Move to state 50',
      'Move to state 75',
      'Move to state 100',
      'Record a failure',
      'Dashboard summary',
    ]) {
      assert.ok(names.includes(step), `${step} ran`)
    }
    assert.equal(summary.run.stats.requests.failed, 0)
    assert.ok(summary.run.stats.assertions.total >= 60, `only ${summary.run.stats.assertions.total} assertions ran`)
  })

  it('reports failures when the API does not answer as the collection expects (here: a wrong API key)', async (t) => {
    const dir = tempDir()
    const server = await startServer({
      DATABASE_URL: `sqlite:${path.join(dir, 'postman-bad.db')}`,
      API_KEY: KEY,
      ENVIRONMENT: 'test',
      LOG_LEVEL: 'warn',
    })
    t.after(() => server.stop('SIGKILL'))
    const summary = await runCollection(server.url, 'not-the-key')
    const failures = describeFailures(summary)
    assert.match(failures, /Create build: status 200: expected response to have status code 200 but got 401/)
    // With the wrong key every request but /ready (which needs none) is refused.
    const passing = summary.run.executions.filter((e) => e.response?.code !== 401).map((e) => e.item.name)
    assert.deepEqual(passing, ['Ready'])
  })

  it('every domain collection (generated from /openapi.json) is current and passes against the server process', async (t) => {
    const generated = await postmanCollections()
    for (const [file, text] of Object.entries(generated)) {
      assert.equal(
        fs.readFileSync(path.join(POSTMAN_DIR, file), 'utf8'),
        text,
        `${file}: run npx tsx docs/postman/generate.ts`,
      )
    }
    const dir = tempDir()
    fs.mkdirSync(path.join(dir, 'aircraft'))
    fs.writeFileSync(
      path.join(dir, 'aircraft', 'flat.json'),
      JSON.stringify([
        { icao: 'A320', altitude: 30000, speed: 500, lat: 51.5, lon: -0.1, timestamp: '2024-06-01T00:00:00Z' },
      ]),
    )
    const server = await startServer({
      DATABASE_URL: `sqlite:${path.join(dir, 'postman-domains.db')}`,
      API_KEY: KEY,
      ENVIRONMENT: 'test',
      LOG_LEVEL: 'warn',
      AIRCRAFT_SOURCE: `file:${path.join(dir, 'aircraft')}`,
    })
    t.after(() => server.stop('SIGKILL'))
    const domains = Object.keys(generated).map((f) => f.replace(/^statehouse-|\.postman_collection\.json$/g, ''))
    assert.deepEqual(domains.sort(), ['aircraft', 'builds', 'health', 'identity', 'items', 'state'])
    for (const file of Object.keys(generated)) {
      const summary = await runCollection(server.url, KEY, path.join(POSTMAN_DIR, file))
      assert.equal(summary.run.failures.length, 0, `${file}:\n${describeFailures(summary)}`)
      const requests = JSON.parse(generated[file] ?? '{}').item.length
      assert.equal(summary.run.stats.requests.total, requests, `${file}: every request ran`)
      // Each request checks at least its status and its content type.
      assert.ok(
        summary.run.stats.assertions.total >= 2 * requests - 1,
        `${file}: ${summary.run.stats.assertions.total} assertions`,
      )
    }
  })

  it('a broken route (GET /status sending its counter as a string) fails the state collection', async (t) => {
    const app = await buildTestApp(t, sqlite, {
      env: { API_KEY: KEY },
      extraRoutes: (a) =>
        a.addHook('onSend', async (request, _reply, payload) =>
          request.routeOptions.url === '/status' && typeof payload === 'string'
            ? payload.replace(/"counter":(-?\d+)/, '"counter":"$1"')
            : payload,
        ),
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as { port: number }
    const summary = await runCollection(
      `http://127.0.0.1:${port}`,
      KEY,
      path.join(POSTMAN_DIR, 'statehouse-state.postman_collection.json'),
    )
    assert.match(describeFailures(summary), /Status: body matches the documented schema/)
    // The test app's own conformance check saw the same broken body; that was the point here.
    assert.ok(app.conformance.mismatches.some((m) => m.startsWith('GET /status → 200: body does not match')))
    app.conformance.mismatches.length = 0
  })
})
