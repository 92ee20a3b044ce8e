/**
 * Aircraft ids keep the spelling the data first wrote (SPEC §6) and are matched in any case, on both
 * engines: across files and within one, through every read, and in a database that stored
 * lower-cased ids before migration 0007.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { Migrator } from 'kysely'
import { modules } from '../../../src/app.js'
import { loadConfig } from '../../../src/config.js'
import { createDb } from '../../../src/platform/db/index.js'
import { gatherMigrations } from '../../../src/platform/db/migrate.js'
import { buildTestApp, TEST_API_KEY, testEnv } from '../../helpers/app.js'
import { describeOnEachDialect, tempDir } from '../../helpers/databases.js'

const migrations = gatherMigrations(modules) // each module's, as the app runs them

const KEY = { 'x-api-key': TEST_API_KEY }

function folder(t: import('node:test').TestContext, files: Record<string, unknown>) {
  const dir = tempDir('statehouse-icao-')
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  for (const [name, doc] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), JSON.stringify(doc))
  return dir
}

async function processAll(app: FastifyInstance) {
  const res = await app.inject({ method: 'POST', url: '/process-s3-data', headers: KEY })
  assert.equal(res.statusCode, 200, res.body)
  assert.deepEqual(res.json().errors, [])
  return res.json()
}

describeOnEachDialect('aircraft ids as written', (dialect) => {
  it('A320 then a320 is one aircraft spelled A320; readsb hex stays lower-case; every read matches any case', async (t) => {
    const now = 1_698_796_800
    const dir = folder(t, {
      '1-flat.json': [
        { icao: 'A320', altitude: 1000, speed: 100 },
        { icao: 'a320', altitude: 3000, speed: 300 },
      ],
      '2-flat.json': [
        { icao: 'a320', altitude: 2000, speed: 200 },
        { icao: 'Zz9', altitude: 5 },
      ],
      '3-snapshot.json': {
        now,
        aircraft: [
          { hex: 'a65800', alt_baro: 100, lat: 1, lon: 2, seen_pos: 0 },
          { hex: '~2ABCDE', gs: 7 },
        ],
      },
      '4-snapshot.json': { now: now + 5, aircraft: [{ hex: 'A65800', alt_baro: 300, lat: 3, lon: 4, seen_pos: 0 }] },
    })
    const app = await buildTestApp(t, dialect, { env: { AIRCRAFT_SOURCE: `file:${dir}` } })
    await processAll(app)

    const rows = await app.db.kysely
      .selectFrom('aircraft_stats')
      .select(['icao', 'icao_as_written', 'observations'])
      .orderBy('icao')
      .execute()
    assert.deepEqual(
      rows.map((r) => [r.icao, r.icao_as_written, Number(r.observations)]),
      [
        ['a320', 'A320', 3],
        ['a65800', 'a65800', 2],
        ['zz9', 'Zz9', 1],
        ['~2abcde', '~2ABCDE', 1],
      ],
      'one row per aircraft whatever the case, keyed lower-case, spelled as first written',
    )
    for (const icao of ['A320', 'a320']) {
      for (const url of [`/aircraft-stats/${icao}`, `/aircraft/${icao}/stats`]) {
        const stats = (await app.inject({ url })).json()
        assert.deepEqual([stats.icao, stats.observations, stats.max_altitude_baro], ['A320', 3, 3000], url)
      }
    }
    assert.equal((await app.inject({ url: '/aircraft/zZ9/stats' })).json().icao, 'Zz9')
    assert.equal((await app.inject({ url: '/aircraft/~2abcde/stats' })).json().icao, '~2ABCDE')
    assert.equal(
      (await app.inject({ url: '/aircraft/A65800/stats' })).json().icao,
      'a65800',
      'readsb hex as in the data',
    )
    const positions = (await app.inject({ url: '/aircraft/A65800/positions' })).json()
    assert.deepEqual(
      positions.map((p: { lat: number }) => p.lat),
      [1, 3],
      'positions of both spellings, found through either',
    )
    const list = (await app.inject({ url: '/aircraft' })).json()
    assert.deepEqual(
      list.map((a: { icao: string }) => a.icao),
      ['A320', 'a65800', 'Zz9', '~2ABCDE'],
      'listed by key, each as written',
    )
  })

  it('a database from before migration 0007 keeps its rows: their lower-cased ids become their spelling, and new ids keep theirs', async (t) => {
    const database = await dialect.create()
    t.after(() => database.drop())
    // Today's schema up to 0005, written the way the release before this one wrote it (lower-cased).
    const old = createDb(loadConfig(testEnv(database.url)).database)
    const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name <= '0005_aircraft'))
    const migrated = await new Migrator({
      db: old.kysely,
      provider: { getMigrations: async () => before },
    }).migrateToLatest()
    assert.equal(migrated.error, undefined)
    await old.kysely
      .insertInto('aircraft_stats' as never)
      .values({
        icao: 'a320',
        registration: null,
        type: null,
        observations: 1,
        max_altitude_baro: 1000,
        max_ground_speed: 100,
        sum_altitude: 1000,
        altitude_count: 1,
        sum_speed: 100,
        speed_count: 1,
        had_emergency: 0,
        first_seen: null,
        last_seen: null,
        updated_at: '2023-11-01T00:00:00.000Z',
      } as never)
      .execute()
    await old.close()

    const dir = folder(t, {
      'later.json': [
        { icao: 'A320', altitude: 3000 },
        { icao: 'B737', altitude: 10 },
      ],
    })
    const app = await buildTestApp(t, dialect, { database, env: { AIRCRAFT_SOURCE: `file:${dir}` } })
    const kept = (await app.inject({ url: '/aircraft-stats/A320' })).json()
    assert.deepEqual(
      [kept.icao, kept.observations, kept.max_altitude_baro],
      ['a320', 1, 1000],
      'the stored row reads as before',
    )
    await processAll(app)
    const merged = (await app.inject({ url: '/aircraft-stats/A320' })).json()
    assert.deepEqual(
      [merged.icao, merged.observations, merged.max_altitude_baro],
      ['a320', 2, 3000],
      'folded into the stored row, its spelling first',
    )
    assert.equal((await app.inject({ url: '/aircraft-stats/b737' })).json().icao, 'B737')
  })
})
