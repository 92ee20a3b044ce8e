/**
 * The Postman collection (docs/postman) run by newman against a real server process, as users run it:
 * create → states 10, 25, 50, 75, 100 → a failed build → dashboards. Any failed assertion fails the test.
 */
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import path from 'node:path'
import { describe, it } from 'node:test'
import { tempDir } from '../helpers/databases.js'
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
  collection: string
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

function runCollection(baseUrl: string, apiKey: string): Promise<NewmanSummary> {
  return new Promise((resolve, reject) =>
    newman.run(
      {
        collection: COLLECTION,
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
})
