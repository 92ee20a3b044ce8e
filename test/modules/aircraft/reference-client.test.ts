/**
 * The aircraft reference service's own client flow (seed 004 README; SPEC §6), black-box through
 * the app on both engines: POST /process-s3-data answers when the job is done with the reference's
 * keys, then GET /aircraft-stats/{icao} returns the flat record's id as the data wrote it (`A320`),
 * found whatever the case of the lookup.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { it } from 'node:test'
import { buildTestApp, TEST_API_KEY } from '../../helpers/app.js'
import { describeOnEachDialect, tempDir } from '../../helpers/databases.js'

describeOnEachDialect('the aircraft reference client', (dialect) => {
  it('process (sync, 200 with the reference keys) → stats of A320, as written, looked up in any case', async (t) => {
    const dir = tempDir('statehouse-ref-004-')
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    fs.writeFileSync(path.join(dir, 'flat.json'), JSON.stringify([{ icao: 'A320', altitude: 30000, speed: 500 }]))
    const app = await buildTestApp(t, dialect, { env: { AIRCRAFT_SOURCE: `file:${dir}` } })

    // The reference's client posts with no body and no query, and reads the answer as the result.
    const processed = await app.inject({
      method: 'POST',
      url: '/process-s3-data',
      headers: { 'x-api-key': TEST_API_KEY },
    })
    assert.equal(processed.statusCode, 200, processed.body)
    const body = processed.json()
    for (const key of ['message', 'records_processed', 'files_processed', 'files_skipped', 'errors'])
      assert.ok(key in body, `answer has ${key}`)
    assert.equal(body.message, 'Data processed successfully')
    assert.equal(body.records_processed, 1)
    assert.equal(body.files_processed, 1)
    assert.equal(body.files_skipped, 0)
    assert.deepEqual(body.errors, [])

    for (const url of ['/aircraft-stats/A320', '/aircraft-stats/a320', '/aircraft/a320/stats']) {
      const res = await app.inject({ url })
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`)
      const stats = res.json()
      assert.equal(stats.icao, 'A320', `${url}: the id as the data wrote it`)
      assert.equal(stats.max_altitude_baro, 30000)
      assert.equal(stats.max_ground_speed, 500)
      assert.equal(stats.total_flights, 1)
    }
    assert.deepEqual((await app.inject({ url: '/aircraft' })).json(), [
      { icao: 'A320', registration: null, type: null },
    ])
    const unknown = await app.inject({ url: '/aircraft-stats/B737' })
    assert.equal(unknown.statusCode, 404)
    assert.equal(unknown.json().detail, 'Aircraft not found')
  })
})
