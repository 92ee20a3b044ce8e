/**
 * /metrics (issue 14): the database pool, ingest totals, the dashboard cache, 429s by limiter — each
 * series present and moving — and no label value that grows without bound (no series per job).
 */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { brokenFiles, makeFiles, writeFolder } from '../helpers/aircraft-files.js'
import { buildTestApp, TEST_API_KEY } from '../helpers/app.js'
import { describeOnEachDialect } from '../helpers/databases.js'

const KEY = { 'x-api-key': TEST_API_KEY }

/** The statehouse_* samples of a scrape: `name{labels}` → value. */
async function scrape(app: FastifyInstance): Promise<Map<string, number>> {
  const res = await app.inject({ url: '/metrics' })
  assert.equal(res.statusCode, 200)
  const samples = new Map<string, number>()
  for (const line of res.body.split('\n')) {
    const m = /^(statehouse_[^\s{]+(?:\{[^}]*\})?) (\S+)$/.exec(line)
    if (m) samples.set(m[1] as string, Number(m[2]))
  }
  return samples
}

const value = (samples: Map<string, number>, series: string) => {
  const v = samples.get(series)
  assert.ok(v !== undefined, `${series} is on /metrics (have: ${[...samples.keys()].join(', ')})`)
  return v
}

describeOnEachDialect('/metrics', (dialect) => {
  it('pool, ingest, cache and 429 series appear and move; a second ingest job adds no series', async (t) => {
    const folder = writeFolder([...makeFiles(3), ...brokenFiles()])
    const app = await buildTestApp(t, dialect, {
      env: {
        AIRCRAFT_SOURCE: `file:${folder}`,
        LOGIN_RATE_LIMIT_PER_MINUTE: '2',
        CACHE_TTL: '60',
        DB_POOL_SIZE: '4',
      },
    })
    const before = await scrape(app)
    assert.equal(value(before, 'statehouse_db_pool_max'), dialect.name === 'sqlite' ? 1 : 4)
    assert.ok(value(before, 'statehouse_db_pool_size') >= 1, 'a connection is open (migrations ran)')
    assert.equal(value(before, 'statehouse_db_pool_waiting'), 0)
    assert.ok(value(before, 'statehouse_db_pool_idle') >= 0)
    for (const name of ['files', 'records', 'bytes', 'errors'])
      assert.equal(value(before, `statehouse_ingest_${name}_total`), 0, name)

    // Dashboard cache: a miss, then a hit.
    await app.inject({ url: '/dashboard/summary', headers: KEY })
    await app.inject({ url: '/dashboard/summary', headers: KEY })
    // A per-client limit: the third login in a minute is 429.
    const statuses = []
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'nobody', password: 'wrong' } }))
          .statusCode,
      )
    }
    assert.equal(statuses.at(-1), 429, statuses.join())

    const job = await app.inject({ method: 'POST', url: '/process-s3-data?wait=true', headers: KEY })
    assert.equal(job.statusCode, 200, job.body)
    const first = await scrape(app)
    assert.equal(value(first, 'statehouse_cache_requests_total{route="/dashboard/summary",outcome="miss"}'), 1)
    assert.equal(value(first, 'statehouse_cache_requests_total{route="/dashboard/summary",outcome="hit"}'), 1)
    assert.equal(value(first, 'statehouse_rate_limited_total{limiter="login"}'), 1)
    assert.equal(value(first, 'statehouse_ingest_files_total'), 5)
    assert.equal(value(first, 'statehouse_ingest_errors_total'), 2, 'the two broken files')
    assert.ok(value(first, 'statehouse_ingest_records_total') > 0)
    assert.ok(value(first, 'statehouse_ingest_bytes_total') > 0)
    assert.equal(value(first, 'statehouse_job_files_done'), 5)
    assert.equal(value(first, 'statehouse_job_files_total'), 5)
    assert.equal(value(first, 'statehouse_job_running'), 0)

    // Again: the good files are skipped, the broken ones fail again. Totals move, series do not multiply.
    await app.inject({ method: 'POST', url: '/process-s3-data?wait=true', headers: KEY })
    const second = await scrape(app)
    assert.deepEqual([...second.keys()].sort(), [...first.keys()].sort(), 'the second job added no series')
    assert.equal(value(second, 'statehouse_ingest_files_total'), 10)
    assert.equal(value(second, 'statehouse_ingest_errors_total'), 4)
    assert.equal(
      value(second, 'statehouse_ingest_records_total'),
      value(first, 'statehouse_ingest_records_total'),
      'skipped files store no records',
    )
    assert.ok(
      [...second.keys()].every((k) => !/job_id=/.test(k)),
      'no series per job',
    )
  })
})
