/**
 * Databases made before the modules owned their migrations keep working: the migration names are
 * the ones kysely_migration already holds, so a start on today's code re-runs nothing and every row
 * is still there.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type Kysely, type Migration, Migrator, type QueryExecutorProvider, sql } from 'kysely'
import { modules } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import * as m0005 from '../../src/modules/aircraft/migrations/0005_aircraft.js'
import * as m0004 from '../../src/modules/builds/migrations/0004_builds.js'
import * as m0002 from '../../src/modules/identity/migrations/0002_identity.js'
import * as m0003 from '../../src/modules/items/migrations/0003_items.js'
import * as m0001 from '../../src/modules/state/migrations/0001_state.js'
import { createDb } from '../../src/platform/db/index.js'
import { gatherMigrations, migrateToLatest } from '../../src/platform/db/migrate.js'
import { buildTestApp, TEST_API_KEY, testEnv } from '../helpers/app.js'
import { describeOnEachDialect } from '../helpers/databases.js'

/** The names every database created before this change has in kysely_migration (one provider, one flat list). */
const RELEASED_NAMES = ['0001_state', '0002_identity', '0003_items', '0004_builds', '0005_aircraft']

/** The provider as it was: one hand-written map in the platform, run with the same Migrator options. */
const RELEASED_PROVIDER: Record<string, Migration> = {
  '0001_state': m0001,
  '0002_identity': m0002,
  '0003_items': m0003,
  '0004_builds': m0004,
  '0005_aircraft': m0005,
}

type MigrationRow = { name: string; timestamp: string }
const appliedMigrations = async (kysely: QueryExecutorProvider): Promise<MigrationRow[]> =>
  (await sql<MigrationRow>`select name, timestamp from kysely_migration order by name`.execute(kysely)).rows.map(
    (r) => ({ name: r.name, timestamp: String(r.timestamp) }),
  )

describe('migration names', () => {
  it('every released name is still a migration, in the same order, and new ones sort after them', () => {
    const names = Object.keys(gatherMigrations(modules))
    assert.deepEqual(names.slice(0, RELEASED_NAMES.length), RELEASED_NAMES)
    assert.deepEqual(names, [...names].sort(), 'run in name order')
    assert.equal(new Set(names).size, names.length)
  })

  it('each module brings only its own migrations', () => {
    const owners = Object.fromEntries(modules.flatMap((m) => Object.keys(m.migrations).map((name) => [name, m.name])))
    assert.deepEqual(
      RELEASED_NAMES.map((name) => owners[name]),
      ['state', 'identity', 'items', 'builds', 'aircraft'],
    )
  })

  it('two modules bringing one name fail loudly, naming both', () => {
    const up = async () => {}
    assert.throws(
      () =>
        gatherMigrations([
          { name: 'one', migrations: { '0009_x': { up } } },
          { name: 'two', migrations: { '0009_x': { up } } },
        ]),
      /migration 0009_x is defined by both one and two/,
    )
  })

  it('the gathered set is ordered by name whatever order the modules are listed in', () => {
    const up = async () => {}
    const gathered = gatherMigrations([
      { name: 'late', migrations: { '0007_b': { up } } },
      { name: 'early', migrations: { '0002_a': { up }, '0010_c': { up } } },
    ])
    assert.deepEqual(Object.keys(gathered), ['0002_a', '0007_b', '0010_c'])
  })
})

describeOnEachDialect('a database created before modules owned their migrations', (dialect) => {
  it('starts with no migration re-run and all its data intact', async (t) => {
    const database = await dialect.create()
    t.after(() => database.drop())

    // The database as the released code left it: its provider's migrations, then rows its API wrote.
    const old = createDb(loadConfig(testEnv(database.url)).database)
    // biome-ignore lint/suspicious/noExplicitAny: the released schema, which no current table type describes (as in migrations)
    const k = old.kysely as Kysely<any>
    const outcome = await new Migrator({
      db: k,
      provider: { getMigrations: async () => RELEASED_PROVIDER },
      allowUnorderedMigrations: true,
    }).migrateToLatest()
    assert.equal(outcome.error, undefined)
    const at = '2025-01-02T03:04:05.000Z'
    await k
      .updateTable('state')
      .set({ counter: 42, message: 'kept from before', version: 1, updated_at: at })
      .where('id', '=', 1)
      .execute()
    await k
      .insertInto('state_log')
      .values({
        id: 1,
        timestamp: at,
        old_counter: 0,
        new_counter: 42,
        old_message: '',
        new_message: 'kept from before',
        update_type: 'both',
      })
      .execute()
    const { id: userId } = await k
      .insertInto('users')
      .values({
        username: 'veteran',
        email: 'veteran@example.com',
        is_active: 1,
        is_superuser: 0,
        created_at: at,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await k
      .insertInto('items')
      .values({ owner_id: userId, name: 'old item', description: null, created_at: at, updated_at: at })
      .execute()
    const { id: buildPk } = await k
      .insertInto('builds')
      .values({
        build_id: 'old-build',
        platform: 'aws-commercial',
        os_version: 'rhel-8.8',
        image_type: 'base',
        current_state: 0,
        status: 'in_progress',
        created_at: at,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await k
      .insertInto('build_states')
      .values({ build_pk: buildPk, state_code: 0, message: 'Build initialized', transitioned_at: at })
      .execute()
    await k
      .insertInto('aircraft_stats')
      .values({
        icao: 'abc123',
        registration: 'N1',
        type: 'B738',
        observations: 3,
        max_altitude_baro: 30000,
        max_ground_speed: 450,
        sum_altitude: 60000,
        altitude_count: 2,
        sum_speed: 900,
        speed_count: 2,
        had_emergency: 0,
        first_seen: at,
        last_seen: at,
        updated_at: at,
      })
      .execute()
    const before = await appliedMigrations(k)
    assert.deepEqual(
      before.map((m) => m.name),
      RELEASED_NAMES,
    )
    await old.close()

    // Today's provider recognises every recorded name: nothing to run.
    const current = createDb(loadConfig(testEnv(database.url)).database)
    const rerun = await migrateToLatest(current, modules)
    await current.close()
    assert.deepEqual(
      rerun.results?.filter((r) => RELEASED_NAMES.includes(r.migrationName)),
      [],
      'no released migration runs again',
    )

    // And the app starts on it (migrating at start-up as usual) and serves the old rows.
    const app = await buildTestApp(t, dialect, { database })
    const after = await appliedMigrations(app.db.kysely)
    assert.deepEqual(
      after.filter((m) => RELEASED_NAMES.includes(m.name)),
      before,
      'the recorded migrations are untouched (same names, same timestamps)',
    )
    const status = (await app.inject({ url: '/status' })).json()
    assert.deepEqual([status.counter, status.message, status.version], [42, 'kept from before', 1])
    assert.equal((await app.inject({ url: '/logs' })).json().logs.length, 1)
    const build = await app.inject({ url: '/builds/old-build', headers: { 'x-api-key': TEST_API_KEY } })
    assert.equal(build.statusCode, 200, build.body)
    assert.equal(build.json().build_id, 'old-build')
    const stats = await app.inject({ url: '/aircraft/abc123/stats' })
    assert.equal(stats.statusCode, 200, stats.body)
    assert.equal(stats.json().avg_altitude, 30000)
    const items = await app.db.kysely
      .selectFrom('items')
      .innerJoin('users', 'users.id', 'items.owner_id')
      .select(['items.name', 'users.username'])
      .execute()
    assert.deepEqual(items, [{ name: 'old item', username: 'veteran' }])
    const rows = await app.db.kysely.selectFrom('platforms').select('id').execute()
    assert.ok(
      rows.some((r) => r.id === 'aws-commercial'),
      'seeded catalog rows are still there, not seeded twice',
    )
    assert.equal(new Set(rows.map((r) => r.id)).size, rows.length)
  })
})
