/** Aircraft ingest end to end (SPEC §6) from a folder and from a real S3 protocol server, on both engines. */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import {
  brokenFiles,
  expectedStats,
  FIXTURES,
  FIXTURES_PRESENT,
  makeFiles,
  startS3,
  type TestFile,
  writeFolder,
} from '../../helpers/aircraft-files.js'
import { buildTestApp, TEST_API_KEY } from '../../helpers/app.js'
import { describeOnEachDialect, tempDir } from '../../helpers/databases.js'

const KEY = { 'x-api-key': TEST_API_KEY }

async function processAll(app: FastifyInstance, body?: object) {
  const res = await app.inject({
    method: 'POST',
    url: '/process-s3-data?wait=true',
    headers: body ? { ...KEY, 'content-type': 'application/json' } : KEY,
    ...(body ? { payload: JSON.stringify(body) } : {}),
  })
  assert.equal(res.statusCode, 200, res.body)
  return res.json()
}

async function allStats(app: FastifyInstance) {
  return app.db.kysely.selectFrom('aircraft_stats').selectAll().orderBy('icao').execute()
}

function assertClose(actual: number | null, expected: number | null, what: string) {
  if (expected === null) return assert.equal(actual, null, what)
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-6, `${what}: ${actual} ≠ ${expected}`)
}

async function assertStatsMatch(app: FastifyInstance, files: TestFile[]) {
  const expected = expectedStats(files)
  const rows = await allStats(app)
  assert.equal(rows.length, expected.size, 'one stats row per aircraft')
  for (const [icao, want] of expected) {
    const res = await app.inject({ url: `/aircraft/${encodeURIComponent(icao)}/stats` })
    assert.equal(res.statusCode, 200, `${icao}: ${res.body}`)
    const got = res.json()
    assert.equal(got.observations, want.observations, `${icao} observations`)
    assert.equal(got.total_flights, want.observations)
    assertClose(got.max_altitude_baro, want.max_altitude_baro, `${icao} max_altitude_baro`)
    assertClose(got.max_ground_speed, want.max_ground_speed, `${icao} max_ground_speed`)
    assertClose(got.avg_altitude, want.avg_altitude, `${icao} avg_altitude`)
    assertClose(got.avg_speed, want.avg_speed, `${icao} avg_speed`)
    assert.equal(got.had_emergency, want.had_emergency, `${icao} had_emergency`)
  }
}

/** The shared suite: the same checks whatever the source is. */
async function ingestTwice(t: import('node:test').TestContext, app: FastifyInstance, good: TestFile[]) {
  const first = await processAll(app)
  assert.equal(first.status, 'succeeded', JSON.stringify(first.errors))
  assert.equal(
    first.message,
    `Data processed with errors: 2 files of ${good.length + 2} failed (see errors)`,
    'the message says files failed, and how many',
  )
  assert.deepEqual(first.errors.map((e: { file: string }) => e.file).sort(), [
    'broken/not-json.json',
    'broken/truncated.json.gz',
  ])
  for (const e of first.errors) assert.ok(e.reason.length > 0)
  assert.equal(first.files_processed, good.length)
  assert.equal(first.files_skipped, 0)
  await assertStatsMatch(app, good)

  const before = await allStats(app)
  const positionsBefore = await app.db.kysely
    .selectFrom('aircraft_positions')
    .selectAll()
    .orderBy('icao')
    .orderBy('timestamp')
    .execute()
  const second = await processAll(app)
  assert.equal(second.files_skipped, good.length, 'every good file is skipped the second time')
  assert.equal(second.files_processed, 0)
  assert.equal(second.records_processed, 0)
  assert.equal(second.errors.length, 2, 'the broken files are still reported')
  const after = await allStats(app)
  assert.deepEqual(
    after.map(({ updated_at: _, ...r }) => r),
    before.map(({ updated_at: _, ...r }) => r),
    'a second run changes nothing',
  )
  const positionsAfter = await app.db.kysely
    .selectFrom('aircraft_positions')
    .selectAll()
    .orderBy('icao')
    .orderBy('timestamp')
    .execute()
  assert.deepEqual(positionsAfter, positionsBefore)
  const job = await app.inject({ url: `/jobs/${second.job_id}` })
  assert.equal(job.statusCode, 200)
  assert.equal(job.json().files_skipped, good.length)
  void t
}

describeOnEachDialect('aircraft ingest', (dialect) => {
  it('from S3 (s3rver, > 1,000 objects, paged listing): two errors, independent stats, idempotent re-run', async (t) => {
    const s3 = await startS3()
    t.after(() => s3.close())
    const good = makeFiles(1010)
    await s3.put([...good, ...brokenFiles()])
    const app = await buildTestApp(t, dialect, {
      env: { AIRCRAFT_SOURCE: `s3://${s3.bucket}/raw/`, S3_ENDPOINT: s3.endpoint, AWS_REGION: 'us-east-1' },
    })
    await ingestTwice(t, app, good)
  })

  it('from a folder: the same suite', async (t) => {
    const good = makeFiles(60)
    const dir = writeFolder([...good, ...brokenFiles()])
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const app = await buildTestApp(t, dialect, { env: { AIRCRAFT_SOURCE: `file:${dir}` } })
    await ingestTwice(t, app, good)
  })

  it('the real readsb-hist fixture, plain and gzipped, ingests with the values the file holds', {
    skip: !FIXTURES_PRESENT && 'fixtures absent',
  }, async (t) => {
    const dir = tempDir('statehouse-fixture-')
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const plain = fs.readFileSync(path.join(FIXTURES, 'readsb-hist_2023-11-01_000000Z.excerpt.json'))
    fs.copyFileSync(path.join(FIXTURES, 'readsb-hist_2023-11-01_000000Z.excerpt.json'), path.join(dir, 'a.json'))
    fs.copyFileSync(path.join(FIXTURES, '000000Z.excerpt.json.gz'), path.join(dir, 'b.json.gz'))
    fs.copyFileSync(path.join(FIXTURES, 's3-flat-records.test.json'), path.join(dir, 'flat.json'))
    const app = await buildTestApp(t, dialect, { env: { AIRCRAFT_SOURCE: `file:${dir}` } })
    const result = await processAll(app)
    assert.deepEqual(result.errors, [])
    assert.equal(result.files_processed, 3)

    // Values derived from the file itself.
    const doc = JSON.parse(plain.toString()) as { now: number; aircraft: Record<string, unknown>[] }
    const a65800 = doc.aircraft.find((a) => a.hex === 'a65800')!
    const stats = (await app.inject({ url: '/aircraft-stats/A65800' })).json()
    assert.equal(stats.icao, 'a65800', 'readsb hex as the data wrote it (lower-case), found in any case')
    assert.equal(stats.max_altitude_baro, a65800.alt_baro)
    assert.equal(stats.max_altitude_baro, 39996)
    assert.equal(stats.max_ground_speed, a65800.gs)
    assert.equal(stats.registration, a65800.r)
    assert.equal(stats.type, a65800.t)
    assert.equal(stats.observations, 2, 'the plain and the gzipped copy each count once')
    // now - seen_pos, to the millisecond (rounded: 1698796799.3 - 0.3 is not exact in binary).
    const lastSeen = new Date(Math.round((doc.now - (a65800.seen_pos as number)) * 1000)).toISOString()
    assert.equal(stats.last_seen, lastSeen)

    for (const ground of doc.aircraft.filter((a) => a.alt_baro === 'ground')) {
      const s = (await app.inject({ url: `/aircraft/${encodeURIComponent(ground.hex as string)}/stats` })).json()
      assert.equal(s.max_altitude_baro, null, `${ground.hex}: "ground" is never a maximum`)
      assert.equal(s.avg_altitude, 0, `${ground.hex}: "ground" counts as 0 in the average`)
      assert.equal(s.max_ground_speed, typeof ground.gs === 'number' ? ground.gs : null)
    }
    const noGs = doc.aircraft.find((a) => a.hex === '86e84c')!
    assert.equal((await app.inject({ url: '/aircraft/86e84c/stats' })).json().max_ground_speed, null)
    assert.equal((await app.inject({ url: '/aircraft/86e84c/stats' })).json().max_altitude_baro, noGs.alt_baro)
    assert.equal((await app.inject({ url: '/aircraft/~284ede/stats' })).statusCode, 200, 'non-ICAO ~ hexes are kept')
    const flat = (await app.inject({ url: '/aircraft/a320/stats' })).json()
    assert.deepEqual(
      [flat.icao, flat.max_altitude_baro, flat.max_ground_speed, flat.observations],
      ['A320', 30000, 500, 1],
      'the flat record’s A320 as written',
    )

    const list = (await app.inject({ url: '/aircraft?page=1&limit=5' })).json()
    assert.equal(list.length, 5)
    assert.deepEqual(
      list.map((a: { icao: string }) => a.icao),
      [...list.map((a: { icao: string }) => a.icao)].sort(),
    )
    const positions = (await app.inject({ url: '/aircraft/a65800/positions' })).json()
    assert.deepEqual(
      positions,
      [{ timestamp: lastSeen, lat: a65800.lat, lon: a65800.lon }],
      'the same position twice is stored once',
    )
  })

  it('validates: bad icao → 422, unknown → 404, unsafe prefix → 422, no key → 401, unknown job → 404', async (t) => {
    const app = await buildTestApp(t, dialect, { env: { AIRCRAFT_SOURCE: `file:${tempDir()}` } })
    for (const bad of ['a65800a65800', 'a6-58', '%20', '~', '~~ab']) {
      assert.equal((await app.inject({ url: `/aircraft/${bad}/stats` })).statusCode, 422, bad)
    }
    for (const url of ['/aircraft-stats/ABC123', '/aircraft/abc123/stats', '/aircraft/abc123/positions']) {
      const unknown = await app.inject({ url })
      assert.equal(unknown.statusCode, 404, url)
      assert.deepEqual(
        [unknown.json().detail, unknown.json().icao],
        ['Aircraft not found', url.split('/')[2]],
        `${url}: the reference text, the id beside it`,
      )
    }
    for (const prefix of ['../etc', '/abs', 's3://other-bucket/x', 'a/../../b', 'a\\b']) {
      const res = await app.inject({
        method: 'POST',
        url: '/process-s3-data',
        headers: { ...KEY, 'content-type': 'application/json' },
        payload: JSON.stringify({ prefix }),
      })
      assert.equal(res.statusCode, 422, prefix)
      assert.match(String(res.headers['content-type']), /problem\+json/)
    }
    assert.equal((await app.inject({ method: 'POST', url: '/process-s3-data' })).statusCode, 401)
    assert.equal((await app.inject({ url: '/jobs/nope' })).statusCode, 404)
    assert.equal((await app.inject({ url: '/aircraft?limit=0' })).statusCode, 422)
  })

  it('positions read stored and staged rows together: deduplicated, by time, paged', async (t) => {
    const app = await buildTestApp(t, dialect, { env: { AIRCRAFT_SOURCE: `file:${tempDir()}` } })
    const at = (s: number) => `2023-11-01T00:00:0${s}.000Z`
    await app.db.kysely
      .insertInto('aircraft_positions')
      .values([
        { icao: 'abc123', timestamp: at(2), lat: 2, lon: -2 },
        { icao: 'abc123', timestamp: at(1), lat: 1, lon: -1 },
      ])
      .execute()
    await app.db.kysely
      .insertInto('aircraft_positions_staged')
      .values([
        { icao: 'abc123', timestamp: at(2), lat: 2, lon: -2 },
        { icao: 'abc123', timestamp: at(3), lat: 3, lon: -3 },
        { icao: 'def456', timestamp: at(1), lat: 9, lon: -9 },
      ])
      .execute()
    const all = (await app.inject({ url: '/aircraft/ABC123/positions' })).json()
    assert.deepEqual(
      all,
      [1, 2, 3].map((s) => ({ timestamp: at(s), lat: s, lon: -s })),
    )
    const page2 = (await app.inject({ url: '/aircraft/abc123/positions?page=2&limit=2' })).json()
    assert.deepEqual(page2, [{ timestamp: at(3), lat: 3, lon: -3 }])
  })

  it('one job at a time: a held lease → 409 naming the job; an expired one is taken over', async (t) => {
    const app = await buildTestApp(t, dialect, { env: { AIRCRAFT_SOURCE: `file:${writeFolder(makeFiles(3))}` } })
    const future = new Date(Date.now() + 60_000).toISOString()
    await app.db.kysely
      .insertInto('ingest_jobs')
      .values({
        id: 'held-job',
        status: 'running',
        source: 'x',
        prefix: '',
        files_total: 1,
        files_done: 0,
        files_skipped: 0,
        records: 0,
        bytes: 0,
        errors: '[]',
        started_at: null,
        finished_at: null,
        created_at: future,
      })
      .execute()
    await app.db.kysely
      .updateTable('ingest_lease')
      .set({ job_id: 'held-job', owner: 'elsewhere', expires_at: future })
      .execute()
    for (const url of ['/process-s3-data', '/process-s3-data?wait=false', '/process-s3-data?wait=true']) {
      const busy = await app.inject({ method: 'POST', url, headers: KEY })
      assert.equal(busy.statusCode, 409, url)
      assert.match(busy.json().detail, /held-job/)
      assert.deepEqual(
        [busy.json().job_id, busy.json().status_url],
        ['held-job', '/jobs/held-job'],
        'the running job’s id beside the text',
      )
    }

    await app.db.kysely
      .updateTable('ingest_lease')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .execute()
    const taken = await processAll(app)
    assert.equal(taken.status, 'succeeded')
    const dead = (await app.inject({ url: '/jobs/held-job' })).json()
    assert.equal(dead.status, 'failed')
    assert.match(dead.errors[0].reason, /lease/)
    const lease = await app.db.kysely.selectFrom('ingest_lease').selectAll().executeTakeFirstOrThrow()
    assert.equal(lease.job_id, null, 'a finished job releases the lease')
  })

  it('shutting down mid-job (the SIGTERM path) stops after a file, frees the lease at once, and the next job resumes', async (t) => {
    const files = makeFiles(400)
    const env = { AIRCRAFT_SOURCE: `file:${writeFolder(files)}`, INGEST_LEASE_SECONDS: '600' }
    const app = await buildTestApp(t, dialect, { env })
    const res = await app.inject({
      method: 'POST',
      url: '/process-s3-data',
      headers: { ...KEY, prefer: 'respond-async' },
    })
    assert.equal(res.statusCode, 202)
    const { job_id } = res.json()
    let job = (await app.inject({ url: `/jobs/${job_id}` })).json()
    while (job.files_done < 3 && job.status !== 'succeeded') {
      await new Promise((r) => setTimeout(r, 10))
      job = (await app.inject({ url: `/jobs/${job_id}` })).json()
    }
    assert.equal(job.status, 'running')
    await app.close()

    // A lease of 10 minutes, yet the next instance may start at once: shutdown released it.
    const next = await buildTestApp(t, dialect, { env, database: app.database })
    const stopped = (await next.inject({ url: `/jobs/${job_id}` })).json()
    assert.equal(stopped.status, 'failed')
    assert.match(stopped.errors.at(-1).reason, /interrupted/)
    assert.ok(stopped.files_done < files.length, 'it stopped early rather than finishing')
    const lease = await next.db.kysely.selectFrom('ingest_lease').selectAll().executeTakeFirstOrThrow()
    assert.equal(lease.job_id, null)
    const resumed = await processAll(next)
    assert.equal(resumed.status, 'succeeded')
    assert.equal(resumed.files_skipped, stopped.files_done, 'what the stopped job committed is skipped')
    assert.equal(resumed.files_processed + resumed.files_skipped, files.length)
    await assertStatsMatch(next, files)
  })

  it('POST answers when the job is done by default (200, the reference shape), and ?wait=true does the same', async (t) => {
    const files = makeFiles(20)
    const app = await buildTestApp(t, dialect, { env: { AIRCRAFT_SOURCE: `file:${writeFolder(files)}` } })
    const res = await app.inject({ method: 'POST', url: '/process-s3-data', headers: KEY })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.headers['preference-applied'], undefined)
    const done = res.json()
    assert.deepEqual(
      { ...done, job_id: typeof done.job_id },
      {
        message: 'Data processed successfully',
        job_id: 'string',
        status: 'succeeded',
        records_processed: done.records_processed,
        files_processed: 20,
        files_skipped: 0,
        errors: [],
      },
    )
    assert.ok(done.records_processed > 0)
    assert.equal(
      (await app.inject({ url: `/jobs/${done.job_id}` })).json().status,
      'succeeded',
      'finished before the answer',
    )
    const again = await app.inject({ method: 'POST', url: '/process-s3-data?wait=true', headers: KEY })
    assert.equal(again.statusCode, 200)
    assert.deepEqual(
      [again.json().message, again.json().files_skipped, again.json().records_processed],
      ['Data processed successfully', 20, 0],
    )
    // Prefer asks for async, an explicit ?wait=true wins.
    const explicit = await app.inject({
      method: 'POST',
      url: '/process-s3-data?wait=true',
      headers: { ...KEY, prefer: 'respond-async' },
    })
    assert.equal(explicit.statusCode, 200)
  })

  for (const [how, url, headers] of [
    ['Prefer: respond-async', '/process-s3-data', { prefer: 'respond-async' }],
    [
      'Prefer with other preferences and parameters',
      '/process-s3-data',
      { prefer: 'return=minimal, Respond-Async; foo=1' },
    ],
    ['?wait=false', '/process-s3-data?wait=false', {}],
  ] as const) {
    it(`${how} → 202 at once with Preference-Applied, Location and a status URL that reports progress to the end`, async (t) => {
      const files = makeFiles(20)
      const app = await buildTestApp(t, dialect, { env: { AIRCRAFT_SOURCE: `file:${writeFolder(files)}` } })
      const res = await app.inject({ method: 'POST', url, headers: { ...KEY, ...headers } })
      assert.equal(res.statusCode, 202, res.body)
      assert.equal(res.headers['preference-applied'], 'respond-async')
      const { job_id, status_url } = res.json()
      assert.deepEqual(Object.keys(res.json()).sort(), ['job_id', 'status_url'])
      assert.equal(status_url, `/jobs/${job_id}`)
      assert.equal(res.headers.location, status_url)
      let job = (await app.inject({ url: status_url })).json()
      for (let i = 0; i < 200 && !['succeeded', 'failed'].includes(job.status); i++) {
        await new Promise((r) => setTimeout(r, 25))
        job = (await app.inject({ url: status_url })).json()
      }
      assert.equal(job.status, 'succeeded')
      assert.equal(job.files_done, 20)
    })
  }

  it('the job’s status URL reports progress to the end, and on /metrics', async (t) => {
    const files = makeFiles(20)
    const app = await buildTestApp(t, dialect, { env: { AIRCRAFT_SOURCE: `file:${writeFolder(files)}` } })
    const res = await app.inject({
      method: 'POST',
      url: '/process-s3-data',
      headers: { ...KEY, prefer: 'respond-async' },
    })
    assert.equal(res.statusCode, 202)
    const { job_id, status_url } = res.json()
    assert.equal(status_url, `/jobs/${job_id}`)
    let job = (await app.inject({ url: status_url })).json()
    for (let i = 0; i < 200 && !['succeeded', 'failed'].includes(job.status); i++) {
      await new Promise((r) => setTimeout(r, 25))
      job = (await app.inject({ url: status_url })).json()
    }
    assert.equal(job.status, 'succeeded')
    assert.equal(job.files_total, 20)
    assert.equal(job.files_done, 20)
    assert.ok(job.records > 0 && job.bytes > 0)
    assert.match(job.started_at, /Z$/)
    assert.match(job.finished_at, /Z$/)
    const metrics = await app.inject({ url: '/metrics' })
    // With or without a job label (the series are being reshaped beside this work).
    assert.match(
      metrics.body,
      new RegExp(`statehouse_job_files_done(\\{job_id="${job_id}"\\})? 20\\b`),
      'job progress on /metrics',
    )
  })
})
