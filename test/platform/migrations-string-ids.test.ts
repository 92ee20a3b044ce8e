/**
 * The string-id migrations (identity's 0006_identity_string_ids, builds' 0006_builds_string_ids) on
 * a database written by the integer-id schema (built here through 0001–0005 only, then filled the
 * way that release wrote its rows): every row and every link survives on both engines, old ids live
 * on as decimal text ("1"), a JWT and an API token issued before still work, and new rows get UUIDv7s.
 */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { SignJWT } from 'jose'
import { type Kysely, Migrator, sql } from 'kysely'
import { modules } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { hashPassword } from '../../src/modules/identity/passwords.js'
import { ApiTokenHasher } from '../../src/modules/identity/tokens.js'
import { createDb } from '../../src/platform/db/index.js'
import { gatherMigrations, migrateToLatest } from '../../src/platform/db/migrate.js'
import { buildTestApp, testEnv } from '../helpers/app.js'
import { describeOnEachDialect } from '../helpers/databases.js'

const JWT_SECRET = 'migration-tests-jwt-secret-0123456789abcdef'
const OLD_TOKEN = 'sht_issued-before-the-migration-0123456789abcdefghijk'
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const T = (minute: number) => new Date(Date.UTC(2025, 0, 1, 12, minute)).toISOString()

const migrations = gatherMigrations(modules) // each module's, as the app runs them

/** The migrations of the integer-id release. */
const OLD_MIGRATIONS = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0006'))

/** Rows as the integer-id release wrote them (ids given explicitly, as its serials had). */
// biome-ignore lint/suspicious/noExplicitAny: the released schema, which no current table type describes (as in migrations)
async function fillOldSchema(db: Kysely<any>) {
  const hash = await hashPassword('old-user-password')
  const user = (id: number, username: string, extra: Record<string, unknown> = {}) => ({
    id,
    username,
    email: `${username}@example.com`,
    password_hash: hash,
    first_name: null,
    last_name: null,
    employee_id: null,
    is_active: 1,
    is_superuser: 0,
    created_at: T(id),
    updated_at: T(id),
    deactivated_at: null,
    ...extra,
  })
  await db
    .insertInto('users')
    .values([
      user(1, 'ann', { first_name: 'Ann', employee_id: 'E1', is_superuser: 1 }),
      user(2, 'ben'),
      user(3, 'cyd', { is_active: 0, deactivated_at: T(30) }),
    ])
    .execute()
  await db
    .insertInto('profiles')
    .values(
      [1, 2, 3].map((id) => ({
        id: id + 10,
        user_id: id,
        first_name: id === 1 ? 'Ann' : null,
        last_name: null,
        employee_id: id === 1 ? 'E1' : null,
        email: null,
        start_date: T(id),
        end_date: id === 3 ? T(30) : null,
        created_at: T(id),
      })),
    )
    .execute()
  const tokenHash = new ApiTokenHasher(JWT_SECRET).hash(OLD_TOKEN)
  await db
    .insertInto('api_tokens')
    .values([
      {
        id: 7,
        user_id: 2,
        name: 'ci',
        token_hash: tokenHash,
        scopes: 'read build',
        created_at: T(5),
        expires_at: null,
        revoked_at: null,
      },
      {
        id: 8,
        user_id: 1,
        name: 'ops',
        token_hash: 'f'.repeat(64),
        scopes: 'admin',
        created_at: T(6),
        expires_at: null,
        revoked_at: T(7),
      },
    ])
    .execute()
  await db
    .insertInto('items')
    .values([
      { id: 1, owner_id: 2, name: 'first', description: null, created_at: T(8), updated_at: T(8) },
      { id: 2, owner_id: 2, name: 'second', description: 'd', created_at: T(9), updated_at: T(9) },
      { id: 3, owner_id: 1, name: 'deleted later', description: null, created_at: T(10), updated_at: T(10) },
    ])
    .execute()
  await db.deleteFrom('items').where('id', '=', 3).execute() // its id must never come back

  const build = (id: number, build_id: string, current_state: number, status: string, failure_count: number) => ({
    id,
    build_id,
    platform: 'gcp',
    os_version: 'rhel-9.2',
    image_type: 'base',
    pipeline_url: `https://ci/${id}`,
    commit_hash: null,
    current_state,
    status,
    failure_count,
    created_at: T(20 + id),
    updated_at: T(21 + id),
  })
  // Build 2's build_id is "1": after the migration /builds/1 must still be build 1.
  await db
    .insertInto('builds')
    .values([build(1, 'old-one', 25, 'failed', 1), build(2, '1', 100, 'completed', 0)])
    .execute()
  await db
    .insertInto('build_states')
    .values([
      { id: 1, build_pk: 1, state_code: 0, message: 'Build initialized', transitioned_at: T(21) },
      { id: 2, build_pk: 2, state_code: 0, message: 'Build initialized', transitioned_at: T(22) },
      { id: 3, build_pk: 1, state_code: 25, message: 'baseline', transitioned_at: T(23) },
      { id: 4, build_pk: 2, state_code: 100, message: null, transitioned_at: T(24) },
    ])
    .execute()
  await db
    .insertInto('build_failures')
    .values({
      id: 1,
      build_pk: 1,
      state_code: 25,
      error_message: 'scan failed',
      error_code: 'CIS',
      component: 'openscap',
      details: '{"controls":3}',
      recorded_at: T(25),
    })
    .execute()
  if (db.getExecutor().adapter.constructor.name.startsWith('Postgres')) {
    // What the serials had handed out, as they would have in that release.
    for (const [table, last] of [
      ['users', 3],
      ['profiles', 13],
      ['api_tokens', 8],
      ['items', 3],
      ['builds', 2],
      ['build_states', 4],
      ['build_failures', 1],
    ] as const) {
      await sql`select setval(pg_get_serial_sequence(${table}, 'id'), ${last})`.execute(db)
    }
  }
}

const sorted = <T>(rows: T[]) => rows.map((r) => JSON.stringify(r)).sort()

describeOnEachDialect('0006 string ids', (dialect) => {
  it('converts a database of the integer-id release with every row and link intact', async (t) => {
    const database = await dialect.create()
    t.after(() => database.drop())
    const db = createDb(loadConfig(testEnv(database.url)).database)
    let closed = false
    t.after(() => (closed ? undefined : db.close()))
    const old = await new Migrator({
      db: db.kysely,
      provider: { getMigrations: async () => OLD_MIGRATIONS },
    }).migrateToLatest()
    assert.equal(old.error, undefined)
    assert.deepEqual(
      old.results?.map((r) => r.migrationName),
      Object.keys(OLD_MIGRATIONS),
    )
    await fillOldSchema(db.kysely)
    // biome-ignore lint/suspicious/noExplicitAny: the released schema, which no current table type describes (as in migrations)
    const k = db.kysely as Kysely<any>
    const snapshot = async () => ({
      users: sorted(await k.selectFrom('users').selectAll().execute()),
      profiles: sorted(await k.selectFrom('profiles').selectAll().execute()),
      api_tokens: sorted(await k.selectFrom('api_tokens').selectAll().execute()),
      items: sorted(await k.selectFrom('items').selectAll().execute()),
      builds: sorted(await k.selectFrom('builds').selectAll().execute()),
      build_states: sorted(await k.selectFrom('build_states').selectAll().execute()),
      build_failures: sorted(await k.selectFrom('build_failures').selectAll().execute()),
    })
    const before = await snapshot()
    // Every id column and reference, as the old release had it, in text form.
    const asText = (rows: string[], columns: string[]) =>
      sorted(
        rows
          .map((r) => JSON.parse(r))
          .map((r) => ({ ...r, ...Object.fromEntries(columns.map((c) => [c, String(r[c])])) })),
      )

    await migrateToLatest(db, modules)
    const after = await snapshot()
    // Later migrations add columns with their defaults: 0009 starts every user's token generation at 0.
    const withTokenGeneration = (rows: string[]) =>
      sorted(rows.map((r) => JSON.parse(r)).map((r) => ({ ...r, token_generation: 0 })))
    assert.deepEqual(after.users, withTokenGeneration(asText(before.users, ['id'])))
    assert.deepEqual(after.profiles, asText(before.profiles, ['id', 'user_id']))
    assert.deepEqual(after.api_tokens, asText(before.api_tokens, ['id', 'user_id']))
    assert.deepEqual(after.items, asText(before.items, ['owner_id']))
    assert.deepEqual(after.builds, asText(before.builds, ['id']))
    assert.deepEqual(after.build_states, asText(before.build_states, ['build_pk']))
    assert.deepEqual(after.build_failures, asText(before.build_failures, ['build_pk']))

    // The links hold as joins, and stay enforced (foreign keys, cascades) on the new columns.
    const links = await k
      .selectFrom('build_states')
      .innerJoin('builds', 'builds.id', 'build_states.build_pk')
      .select(['builds.build_id', 'build_states.state_code'])
      .orderBy('build_states.id')
      .execute()
    assert.deepEqual(
      links.map((l) => [l.build_id, l.state_code]),
      [
        ['old-one', 0],
        ['1', 0],
        ['old-one', 25],
        ['1', 100],
      ],
    )
    await assert.rejects(
      k
        .insertInto('build_failures')
        .values({ build_pk: '99', state_code: 0, error_message: 'x', recorded_at: T(0) })
        .execute(),
    )
    await assert.rejects(
      k
        .insertInto('profiles')
        .values({ id: 'p', user_id: '99', start_date: T(0), created_at: T(0) })
        .execute(),
    )
    assert.deepEqual(
      (
        await k
          .selectFrom('users')
          .innerJoin('profiles', 'profiles.user_id', 'users.id')
          .select(['users.username', 'profiles.id'])
          .orderBy('users.id')
          .execute()
      ).map((r) => [r.username, r.id]),
      [
        ['ann', '11'],
        ['ben', '12'],
        ['cyd', '13'],
      ],
    )
    await db.close()
    closed = true

    // The app on the migrated database: old ids, a JWT and an API token issued before all still work.
    const app = await buildTestApp(t, dialect, { database, env: { JWT_SECRET } })
    const key = { 'x-api-key': 'test-key-0123456789abcdef' }
    const ann = (await app.inject({ url: '/users/1', headers: key })).json()
    assert.deepEqual(
      [ann.id, ann.username, ann.first_name, ann.last_name, ann.employee_id],
      ['1', 'ann', 'Ann', '', 'E1'],
    )
    assert.deepEqual((await app.inject({ url: '/users/3/profile', headers: key })).json(), {
      id: '13',
      user_id: '3',
      first_name: '',
      last_name: '',
      employee_id: '',
      email: null,
      start_date: T(3),
      end_date: T(30),
      created_at: T(3),
      is_active: false,
      deactivated_at: T(30),
    })
    const tokens = (await app.inject({ url: '/users/2/tokens', headers: key })).json().tokens
    assert.deepEqual(
      tokens.map((tk: { id: string; user_id: string; scopes: string[] }) => [tk.id, tk.user_id, tk.scopes]),
      [['7', '2', ['read', 'build']]],
    )
    const byOldToken = await app.inject({ url: '/users/2', headers: { 'x-api-key': OLD_TOKEN } })
    assert.equal(byOldToken.statusCode, 200, byOldToken.body)

    const now = Math.floor(Date.now() / 1000)
    const oldJwt = await new SignJWT({ username: 'ben', is_superuser: false, scopes: ['read', 'write'] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('2')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .setJti('j')
      .sign(new TextEncoder().encode(JWT_SECRET))
    const bearer = { authorization: `Bearer ${oldJwt}` }
    const items = (await app.inject({ url: '/items', headers: bearer })).json()
    assert.deepEqual(
      items.map((i: { id: number; owner: string }) => [i.id, i.owner]),
      [
        [2, 'ben'],
        [1, 'ben'],
      ],
    )
    const newItem = await app.inject({ method: 'POST', url: '/items', headers: bearer, payload: { name: 'after' } })
    assert.equal(newItem.json().id, 4, 'item ids keep counting: a deleted id (3) never comes back')
    const login = await app.inject({
      method: 'POST',
      url: '/auth/password',
      payload: { username: 'ben', password: 'old-user-password' },
    })
    assert.equal(login.json().user.id, '2')

    const one = (await app.inject({ url: '/builds/1', headers: key })).json()
    assert.deepEqual(
      [one.id, one.build_id, one.status, one.states.length, one.failures[0].details],
      ['1', 'old-one', 'failed', 2, { controls: 3 }],
    )
    assert.equal((await app.inject({ url: '/builds/2', headers: key })).json().build_id, '1')
    const created = (
      await app.inject({
        method: 'POST',
        url: '/builds',
        headers: key,
        payload: { platform: 'gcp', os_version: 'rhel-9.2', image_type: 'base', build_id: 'new-one' },
      })
    ).json()
    assert.match(created.id, UUID_V7)
    const listed = (await app.inject({ url: '/builds', headers: key })).json().builds
    assert.deepEqual(
      listed.map((b: { id: string }) => b.id),
      [created.id, '2', '1'],
      'newest first across old and new ids',
    )
    const newUser = (
      await app.inject({ method: 'POST', url: '/users', headers: key, payload: { username: 'dee' } })
    ).json()
    assert.match(newUser.id, UUID_V7)
    // Cascades still run on the converted references.
    await app.db.kysely.deleteFrom('users').where('id', '=', '2').execute()
    for (const table of ['profiles', 'api_tokens'] as const) {
      assert.equal(
        (await app.db.kysely.selectFrom(table).select('id').where('user_id', '=', '2').execute()).length,
        0,
        table,
      )
    }
    assert.equal((await app.db.kysely.selectFrom('items').select('id').where('owner_id', '=', '2').execute()).length, 0)
  })
})
