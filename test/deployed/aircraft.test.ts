/**
 * Smoke: aircraft ingest and statistics of a deployment (SPEC §6) — one ingest job over the
 * deployment's configured source (AIRCRAFT_SOURCE / S3_BUCKET: the sample set on compose and AWS),
 * run to the end, run again to show it never counts a file twice, then the stats of an aircraft it
 * saw. Needs the source to hold at least one file.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { API_KEY, assertProblem, call, ISO_UTC, marker, type Reply, skipUnless, withKey } from './target.js'

interface Finished {
  message: string
  job_id: string
  status: string
  records_processed: number
  files_processed: number
  files_skipped: number
  errors: { file?: string | null; reason: string }[]
}
interface Stats {
  icao: string
  registration: string | null
  type: string | null
  observations: number
  total_flights: number
  max_altitude_baro: number | null
  max_ground_speed: number | null
  avg_altitude: number | null
  avg_speed: number | null
  had_emergency: boolean
  first_seen: string
  last_seen: string
}

/** Runs one job to the end (?wait=true); when another job holds the claim, waits for it first. */
async function ingestToEnd(): Promise<Reply<Finished>> {
  for (let attempt = 0; ; attempt++) {
    const res = await call<Finished & { detail?: string }>('POST', '/process-s3-data?wait=true', {
      json: {},
      headers: withKey(),
    })
    if (res.status !== 409 || attempt >= 10) return res
    // Another client's job is running (one at a time across replicas): wait for it, then try again.
    const running = /job (\S+) is already running/.exec(res.body.detail ?? '')?.[1]
    for (let i = 0; running && i < 600; i++) {
      const job = await call<{ status: string }>('GET', `/jobs/${encodeURIComponent(running)}`)
      if (job.status !== 200 || job.body.status === 'succeeded' || job.body.status === 'failed') break
      await sleep(500)
    }
  }
}

describe('deployed: aircraft ingest and stats', () => {
  const skip = skipUnless({
    what: 'aircraft',
    vars: { API_KEY },
    paths: ['/process-s3-data', '/jobs/{id}', '/aircraft', '/aircraft-stats/{icao}', '/aircraft/{icao}/stats'],
  })
  let icao: string | undefined

  it('POST /process-s3-data needs the key (401) and refuses a prefix leaving the source (422)', { skip }, async () => {
    assertProblem(await call('POST', '/process-s3-data', { json: {} }), 401, 'no key')
    assertProblem(
      await call('POST', '/process-s3-data', { json: { prefix: '../etc' }, headers: withKey() }),
      422,
      'prefix ..',
    )
    assertProblem(
      await call('POST', '/process-s3-data', { json: { prefix: '/etc' }, headers: withKey() }),
      422,
      'absolute prefix',
    )
  })

  it('an ingest over the configured source succeeds; a second one skips every file it already counted', {
    skip,
  }, async () => {
    const first = await ingestToEnd()
    assert.equal(first.status, 200, JSON.stringify(first.body))
    assert.equal(first.body.message, 'Data processed successfully', JSON.stringify(first.body))
    assert.deepEqual(first.body.errors, [])
    const seen = first.body.files_processed + first.body.files_skipped
    assert.ok(seen >= 1, `the deployment's aircraft source holds no file: ${JSON.stringify(first.body)}`)
    if (first.body.files_processed > 0)
      assert.ok(first.body.records_processed > 0, 'files were processed but no record counted')
    const second = await ingestToEnd()
    assert.equal(second.status, 200, JSON.stringify(second.body))
    assert.equal(second.body.files_processed, 0, `re-processing counted files again: ${JSON.stringify(second.body)}`)
    assert.equal(second.body.records_processed, 0)
    assert.equal(second.body.files_skipped, seen)
    const job = await call<{ id: string; status: string; files_total: number; files_skipped: number }>(
      'GET',
      `/jobs/${encodeURIComponent(second.body.job_id)}`,
    )
    assert.equal(job.status, 200)
    assert.equal(job.body.status, 'succeeded')
    assert.equal(job.body.files_skipped, seen)
  })

  it('GET /aircraft lists what was ingested, and /aircraft-stats/{icao} has the SPEC shape', { skip }, async () => {
    const list = await call<{ icao: string; registration: string | null; type: string | null }[]>(
      'GET',
      '/aircraft?page=1&limit=5',
    )
    assert.equal(list.status, 200)
    assert.ok(list.body.length >= 1, 'no aircraft after an ingest')
    icao = list.body[0]!.icao
    const res = await call<Stats>('GET', `/aircraft-stats/${encodeURIComponent(icao)}`)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    const s = res.body
    assert.equal(s.icao, icao)
    assert.equal(s.icao, s.icao.toLowerCase())
    assert.ok(Number.isSafeInteger(s.observations) && s.observations >= 1)
    assert.equal(s.total_flights, s.observations)
    assert.equal(typeof s.had_emergency, 'boolean')
    assert.match(s.first_seen, ISO_UTC)
    assert.match(s.last_seen, ISO_UTC)
    assert.ok(s.first_seen <= s.last_seen)
    if (s.max_altitude_baro !== null && s.avg_altitude !== null) assert.ok(s.avg_altitude <= s.max_altitude_baro)
    if (s.max_ground_speed !== null && s.avg_speed !== null) assert.ok(s.avg_speed <= s.max_ground_speed + 1e-9)
    // The same stats under the other path, in any case.
    const other = await call<Stats>('GET', `/aircraft/${encodeURIComponent(icao.toUpperCase())}/stats`)
    assert.equal(other.status, 200)
    assert.deepEqual(other.body, s)
  })

  it('an unknown aircraft is 404, a malformed icao 422', { skip }, async () => {
    assertProblem(
      await call(
        'GET',
        `/aircraft-stats/${marker('zz')
          .replace(/[^a-z0-9]/gi, '')
          .slice(-10)}`,
      ),
      404,
      'unknown icao',
    )
    assertProblem(await call('GET', '/aircraft-stats/not-an-icao!'), 422, 'malformed icao')
  })
})
