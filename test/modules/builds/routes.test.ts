/** Every route of SPEC §5 through app.inject, on every engine: each success shape and each error status. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../../helpers/app.js'
import { describeOnEachDialect } from '../../helpers/databases.js'
import { assertProblem } from '../../helpers/problem.js'
import { get, newBuild, post } from './helpers.js'

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

const SPEC_STATE_NAMES = [
  'Initial',
  'Kickstart',
  'Green image',
  'Base config',
  'Cloud-specific config',
  'Security baseline applied',
  'Monitoring',
  'Runtimes',
  'Network',
  'Storage',
  'Users/auth',
  'Services',
  'Application deploy',
  'Configuration management',
  'Integration tests',
  'Performance tests',
  'Backup',
  'Documentation/metadata',
  'Final validation',
  'Sealing',
  'Delivered',
]

async function rowCounts(app: FastifyInstance) {
  const count = async (table: 'builds' | 'build_states' | 'build_failures') =>
    Number(
      (
        await app.db.kysely
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )
  return { builds: await count('builds'), states: await count('build_states'), failures: await count('build_failures') }
}

describeOnEachDialect('build catalog', (dialect) => {
  it('lists the seeded platforms, OS versions and image types of SPEC §5.1', async (t) => {
    const app = await buildTestApp(t, dialect)
    const platforms = await get(app, '/platforms')
    assert.equal(platforms.statusCode, 200)
    assert.deepEqual(
      platforms.json().platforms.map((p: { id: string }) => p.id),
      ['aws-commercial', 'aws-govcloud', 'azure', 'gcp', 'openstack'],
    )
    for (const p of platforms.json().platforms)
      assert.deepEqual(Object.keys(p).sort(), ['cloud_provider', 'id', 'name', 'region'])
    const os = (await get(app, '/os-versions')).json()
    assert.deepEqual(
      os.os_versions.map((o: { id: string }) => o.id),
      ['rhel-8.8', 'rhel-9.2', 'ubuntu-20.04', 'ubuntu-22.04'],
    )
    assert.deepEqual(os.os_versions[1], { id: 'rhel-9.2', name: 'Red Hat Enterprise Linux', version: '9.2' })
    const types = (await get(app, '/image-types')).json()
    assert.deepEqual(
      types.image_types.map((i: { id: string }) => i.id),
      ['base', 'hana', 'openvpn', 'sapapp'],
    )
    for (const i of types.image_types) assert.deepEqual(Object.keys(i).sort(), ['description', 'id', 'name'])
  })

  it('POST to each catalog adds an entry (200 created); a taken id is 409, a bad body 422, nothing stored', async (t) => {
    const app = await buildTestApp(t, dialect)
    const cases = [
      {
        url: '/platforms',
        list: 'platforms',
        body: { id: 'ibm-cloud', name: 'IBM Cloud', cloud_provider: 'ibm', region: 'us-south' },
      },
      {
        url: '/os-versions',
        list: 'os_versions',
        body: { id: 'rhel-9.4', name: 'Red Hat Enterprise Linux', version: '9.4' },
      },
      {
        url: '/image-types',
        list: 'image_types',
        body: { id: 'gpu', name: 'GPU worker', description: 'CUDA drivers' },
      },
    ]
    for (const { url, list, body } of cases) {
      const created = await post(app, url, body)
      assert.equal(created.statusCode, 200, created.body)
      assert.deepEqual(created.json(), { id: body.id, status: 'created' })
      const listed = (await get(app, url)).json()[list]
      assert.deepEqual(
        listed.find((e: { id: string }) => e.id === body.id),
        body,
      )

      const again = assertProblem(await post(app, url, { ...body, name: 'Other' }), 409)
      assert.match(again.detail, new RegExp(body.id.replace('.', '\\.')))
      assert.equal((await get(app, url)).json()[list].find((e: { id: string }) => e.id === body.id).name, body.name)

      const bad = assertProblem(await post(app, url, { ...body, id: 'Has Spaces', extra: 1 }), 422)
      assert.deepEqual(bad.errors?.map((e: { path: string }) => e.path).sort(), ['body.extra', 'body.id'])
      assertProblem(await post(app, url, { id: 'only-an-id' }), 422)
      assert.equal((await get(app, url)).json()[list].length, (await get(app, url)).json()[list].length)
    }
    // A platform without a region is fine (region null).
    await post(app, '/platforms', { id: 'bare-metal', name: 'Bare metal', cloud_provider: 'onprem' })
    const bare = (await get(app, '/platforms')).json().platforms.find((p: { id: string }) => p.id === 'bare-metal')
    assert.equal(bare.region, null)
    assert.equal((await get(app, '/platforms')).json().platforms.length, 7)
  })

  it('needs credentials on every route: 401 without or with a wrong key (before the body is read)', async (t) => {
    const app = await buildTestApp(t, dialect)
    const routes: [string, string][] = [
      ['GET', '/platforms'],
      ['POST', '/platforms'],
      ['GET', '/os-versions'],
      ['POST', '/os-versions'],
      ['GET', '/image-types'],
      ['POST', '/image-types'],
      ['GET', '/state-codes'],
      ['POST', '/builds'],
      ['GET', '/builds'],
      ['GET', '/builds/x'],
      ['POST', '/builds/x/state'],
      ['GET', '/builds/x/state'],
      ['POST', '/builds/x/failure'],
      ['GET', '/dashboard/summary'],
      ['GET', '/dashboard/recent'],
      ['GET', '/dashboard/platform/gcp'],
    ]
    for (const [method, url] of routes) {
      for (const headers of [{}, { 'x-api-key': 'not-the-key' }]) {
        const res = await app.inject({
          method: method as 'GET',
          url,
          headers: { ...headers, 'content-type': 'application/json' },
          payload: method === 'POST' ? '{not json' : undefined,
        })
        assertProblem(res, 401)
        assert.ok(res.headers['www-authenticate'], `${method} ${url} sends WWW-Authenticate`)
      }
    }
  })

  it('GET /state-codes lists 0–100 in steps of 5 with the names of SPEC §5.2', async (t) => {
    const app = await buildTestApp(t, dialect)
    const res = await get(app, '/state-codes')
    assert.equal(res.statusCode, 200)
    assert.deepEqual(
      res.json().state_codes,
      SPEC_STATE_NAMES.map((name, i) => ({ code: i * 5, name })),
    )
  })
})

describeOnEachDialect('builds', (dialect) => {
  it('POST /builds answers {id, build_id, status: "created"} and records state 0 "Build initialized"', async (t) => {
    const app = await buildTestApp(t, dialect)
    const res = await post(app, '/builds', newBuild('img-1', { pipeline_url: 'https://ci/p/1', commit_hash: 'abc123' }))
    assert.equal(res.statusCode, 200, res.body)
    const body = res.json()
    assert.deepEqual(Object.keys(body).sort(), ['build_id', 'id', 'status'])
    assert.equal(body.build_id, 'img-1')
    assert.equal(body.status, 'created')
    assert.match(body.id, UUID_V7, 'a string id (SPEC §3): a UUIDv7')
    const second = (await post(app, '/builds', newBuild('img-2'))).json()
    assert.ok(second.id > body.id, 'UUIDv7s made one after the other sort in that order')

    const detail = (await get(app, '/builds/img-1')).json()
    assert.equal(detail.id, body.id)
    assert.equal(detail.pipeline_url, 'https://ci/p/1')
    assert.equal(detail.commit_hash, 'abc123')
    assert.equal(detail.current_state, 0)
    assert.equal(detail.status, 'in_progress')
    assert.equal(detail.states.length, 1)
    assert.deepEqual(
      { ...detail.states[0], transitioned_at: 'x' },
      { state_code: 0, state_name: 'Initial', message: 'Build initialized', transitioned_at: 'x' },
    )
    assert.match(detail.states[0].transitioned_at, ISO)
    assert.equal((await get(app, '/builds/img-2')).json().pipeline_url, null)
  })

  it('POST /builds: unknown catalog ids are 422 naming each field; a taken build_id is 409; nothing is stored', async (t) => {
    const app = await buildTestApp(t, dialect)
    await post(app, '/builds', newBuild('taken', { commit_hash: 'first' }))
    const before = await rowCounts(app)

    const unknown = assertProblem(
      await post(app, '/builds', { platform: 'mars', os_version: 'rhel-9.2', image_type: 'nope', build_id: 'b-new' }),
      422,
    )
    assert.deepEqual(
      unknown.errors?.map((e: { path: string }) => e.path),
      ['body.platform', 'body.image_type'],
    )
    assert.match(unknown.detail, /mars/)
    const os = assertProblem(await post(app, '/builds', newBuild('b-new', { os_version: 'windows-11' })), 422)
    assert.deepEqual(
      os.errors?.map((e: { path: string }) => e.path),
      ['body.os_version'],
    )

    const dup = assertProblem(await post(app, '/builds', newBuild('taken', { commit_hash: 'second' })), 409)
    assert.match(dup.detail, /taken/)
    assert.equal((await get(app, '/builds/taken')).json().commit_hash, 'first')

    // Schema violations: missing fields, wrong types, unknown fields, ids that cannot go in a URL.
    const missing = assertProblem(await post(app, '/builds', { platform: 'gcp' }), 422)
    assert.deepEqual(missing.errors?.map((e: { path: string }) => e.path).sort(), [
      'body.build_id',
      'body.image_type',
      'body.os_version',
    ])
    assertProblem(await post(app, '/builds', newBuild('x', { extra: true })), 422)
    assertProblem(await post(app, '/builds', newBuild('has/slash')), 422)
    assertProblem(await post(app, '/builds', newBuild('has space')), 422)
    assertProblem(await post(app, '/builds', newBuild('')), 422)
    assertProblem(await post(app, '/builds', { ...newBuild('x'), build_id: 42 }), 422)
    assertProblem(await post(app, '/builds', newBuild('x', { commit_hash: 'nul\u0000byte' })), 422)
    assertProblem(await post(app, '/builds', '{"platform": '), 400)
    assertProblem(
      await app.inject({
        method: 'POST',
        url: '/builds',
        headers: { 'x-api-key': 'test-key-0123456789abcdef', 'content-type': 'text/plain' },
        payload: 'hi',
      }),
      415,
    )
    assert.deepEqual(await rowCounts(app), before)
  })

  it('POST /builds/{id}/state moves a build (200 {status, build_id, new_state}); GET …/state shows the latest', async (t) => {
    const app = await buildTestApp(t, dialect)
    await post(app, '/builds', newBuild('b1'))
    const moved = await post(app, '/builds/b1/state', { state_code: 10, message: 'green image ready' })
    assert.equal(moved.statusCode, 200, moved.body)
    assert.deepEqual(moved.json(), { status: 'updated', build_id: 'b1', new_state: 10 })
    const current = await get(app, '/builds/b1/state')
    assert.equal(current.statusCode, 200)
    const state = current.json()
    assert.deepEqual(
      { ...state, transitioned_at: 'x' },
      {
        build_id: 'b1',
        current_state: 10,
        state_name: 'Green image',
        message: 'green image ready',
        transitioned_at: 'x',
      },
    )
    assert.match(state.transitioned_at, ISO)

    assert.deepEqual((await post(app, '/builds/b1/state', { state_code: 25 })).json().new_state, 25)
    const after = (await get(app, '/builds/b1/state')).json()
    assert.equal(after.current_state, 25)
    assert.equal(after.state_name, 'Security baseline applied')
    assert.equal(after.message, null)
    assertProblem(await get(app, '/builds/nope/state'), 404)
  })

  it('POST /builds/{id}/state: outside 0–100 → 422, not a multiple of 5 → 400, unknown → 404, the current code again → 200 with no row, another after 100 → 409', async (t) => {
    const app = await buildTestApp(t, dialect)
    await post(app, '/builds', newBuild('b1'))
    await post(app, '/builds/b1/state', { state_code: 50 })
    const before = await rowCounts(app)
    for (const code of [105, -5, 101, 1000])
      assertProblem(await post(app, '/builds/b1/state', { state_code: code }), 422)
    for (const code of [7, 1, 99, 52]) {
      const res = assertProblem(await post(app, '/builds/b1/state', { state_code: code }), 400)
      assert.match(res.detail, /multiple of 5/)
    }
    for (const body of [
      { state_code: '10' },
      { state_code: 10.5 },
      { state_code: null },
      {},
      { state_code: 10, extra: 1 },
      { state_code: 10, message: 5 },
    ]) {
      assertProblem(await post(app, '/builds/b1/state', body), 422)
    }
    assertProblem(await post(app, '/builds/nope/state', { state_code: 10 }), 404)
    assertProblem(await post(app, '/builds/b1/state', '{"state_code"'), 400)
    assert.deepEqual(await rowCounts(app), before)
    assert.equal((await get(app, '/builds/b1/state')).json().current_state, 50)

    // The current code again is a pipeline's retry: 200, and no new state row (SPEC §5.3).
    const retried = await post(app, '/builds/b1/state', { state_code: 50, message: 'retry' })
    assert.deepEqual([retried.statusCode, retried.json()], [200, { status: 'updated', build_id: 'b1', new_state: 50 }])
    assert.deepEqual(await rowCounts(app), before)
    assert.equal((await get(app, '/builds/b1/state')).json().message, null, 'the retry changed nothing')

    assert.equal((await post(app, '/builds/b1/state', { state_code: 100 })).statusCode, 200)
    assert.deepEqual((await post(app, '/builds/b1/state', { state_code: 100 })).json(), {
      status: 'updated',
      build_id: 'b1',
      new_state: 100,
    })
    const done = assertProblem(await post(app, '/builds/b1/state', { state_code: 55 }), 409)
    assert.match(done.detail, /100/)
    assertProblem(await post(app, '/builds/b1/state', { state_code: 0 }), 409)
    const detail = (await get(app, '/builds/b1')).json()
    assert.deepEqual(
      detail.states.map((s: { state_code: number }) => s.state_code),
      [0, 50, 100],
    )
    assert.equal(detail.status, 'completed')
  })

  it('of many concurrent moves to 100 exactly one writes a state; the rest are retries (200, no row); then others are 409', async (t) => {
    const app = await buildTestApp(t, dialect)
    await post(app, '/builds', newBuild('race'))
    const results = await Promise.all(
      Array.from({ length: 8 }, () => post(app, '/builds/race/state', { state_code: 100 })),
    )
    assert.deepEqual(
      results.map((r) => r.statusCode),
      Array(8).fill(200),
    )
    const others = await Promise.all(
      Array.from({ length: 4 }, (_, i) => post(app, '/builds/race/state', { state_code: 50 + i * 5 })),
    )
    assert.deepEqual(
      others.map((r) => r.statusCode),
      [409, 409, 409, 409],
    )
    const detail = (await get(app, '/builds/race')).json()
    assert.deepEqual(
      detail.states.map((s: { state_code: number }) => s.state_code),
      [0, 100],
    )
  })

  it('POST /builds/{id}/failure records any JSON details (200 recorded); the status is derived', async (t) => {
    const app = await buildTestApp(t, dialect)
    await post(app, '/builds', newBuild('b1'))
    await post(app, '/builds/b1/state', { state_code: 25 })
    const details = {
      step: 'ansible',
      attempts: [1, 2, { exit: 137, ok: false, note: null }],
      nested: { 'ü-ключ': '雪 ☃ \u{1F600}', big: 1.5e300 },
    }
    const res = await post(app, '/builds/b1/failure', {
      error_message: 'ansible exited 137',
      error_code: 'OOM',
      component: 'ansible',
      details,
    })
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(res.json(), { status: 'recorded', build_id: 'b1' })
    let detail = (await get(app, '/builds/b1')).json()
    assert.equal(detail.status, 'failed')
    assert.equal(detail.current_state, 25)
    assert.equal(detail.failures.length, 1)
    const [failure] = detail.failures
    assert.deepEqual(
      { ...failure, id: 0, recorded_at: 'x' },
      {
        id: 0,
        state_code: 25,
        error_message: 'ansible exited 137',
        error_code: 'OOM',
        component: 'ansible',
        details,
        recorded_at: 'x',
      },
    )
    assert.match(failure.recorded_at, ISO)

    // Only error_message is required.
    assert.equal((await post(app, '/builds/b1/failure', { error_message: 'again' })).statusCode, 200)
    detail = (await get(app, '/builds/b1')).json()
    assert.deepEqual(
      detail.failures.map((f: { error_code: unknown; details: unknown }) => [f.error_code, f.details]),
      [
        ['OOM', details],
        [null, null],
      ],
    )

    // A failed build that is retried and reaches 100 is completed (the latest state wins).
    await post(app, '/builds/b1/state', { state_code: 50 })
    assert.equal((await get(app, '/builds/b1')).json().status, 'failed')
    await post(app, '/builds/b1/state', { state_code: 100 })
    assert.equal((await get(app, '/builds/b1')).json().status, 'completed')
    await post(app, '/builds/b1/failure', { error_message: 'late report' })
    assert.equal((await get(app, '/builds/b1')).json().status, 'completed')
  })

  it('POST /builds/{id}/failure: unknown build → 404, bad bodies → 422, too large → 413, wrong method → 405; nothing stored', async (t) => {
    const app = await buildTestApp(t, dialect)
    await post(app, '/builds', newBuild('b1'))
    const before = await rowCounts(app)
    assertProblem(await post(app, '/builds/nope/failure', { error_message: 'x' }), 404)
    for (const body of [
      {},
      { error_message: '' },
      { error_message: 5 },
      { error_message: 'x', details: [1, 2] },
      { error_message: 'x', details: 'text' },
      { error_message: 'x', other: 1 },
    ]) {
      assertProblem(await post(app, '/builds/b1/failure', body), 422)
    }
    // A body over BODY_LIMIT is 413; a wrong method is 405 with Allow.
    assertProblem(
      await post(app, '/builds/b1/failure', { error_message: 'x', details: { log: 'y'.repeat(70_000) } }),
      413,
    )
    const wrongMethod = assertProblem(
      await app.inject({
        method: 'DELETE',
        url: '/builds/b1',
        headers: { 'x-api-key': 'test-key-0123456789abcdef' },
      }),
      405,
    )
    assert.match(wrongMethod.detail, /GET/)
    assert.deepEqual(await rowCounts(app), before)
    assert.equal((await get(app, '/builds/b1')).json().status, 'in_progress')
  })

  it('GET /builds/{id} answers the full shape with the history oldest first; unknown → 404', async (t) => {
    const app = await buildTestApp(t, dialect)
    await post(app, '/builds', newBuild('full', { platform: 'azure', os_version: 'ubuntu-22.04', image_type: 'hana' }))
    for (const code of [10, 25, 50]) await post(app, '/builds/full/state', { state_code: code, message: `at ${code}` })
    await post(app, '/builds/full/failure', { error_message: 'boom', component: 'packer', details: { a: 1 } })
    const res = await get(app, '/builds/full')
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.deepEqual(Object.keys(body).sort(), [
      'build_id',
      'commit_hash',
      'created_at',
      'current_state',
      'failures',
      'id',
      'image_type',
      'os_version',
      'pipeline_url',
      'platform',
      'states',
      'status',
      'updated_at',
    ])
    assert.equal(body.platform, 'azure')
    assert.equal(body.os_version, 'ubuntu-22.04')
    assert.equal(body.image_type, 'hana')
    assert.equal(body.current_state, 50)
    assert.equal(body.status, 'failed')
    assert.deepEqual(
      body.states.map((s: { state_code: number; state_name: string; message: string }) => [
        s.state_code,
        s.state_name,
        s.message,
      ]),
      [
        [0, 'Initial', 'Build initialized'],
        [10, 'Green image', 'at 10'],
        [25, 'Security baseline applied', 'at 25'],
        [50, 'Users/auth', 'at 50'],
      ],
    )
    assert.equal(body.failures[0].state_code, 50)
    assert.match(body.created_at, ISO)
    assert.ok(body.updated_at >= body.created_at)
    const missing = assertProblem(await get(app, '/builds/unknown-build'), 404)
    assert.equal(missing.detail, 'Build not found', 'the reference text (SPEC §8)')
  })

  it('a build is found by the id POST /builds answered and by its build_id (test/modules/builds/paths.test.ts: which one wins)', async (t) => {
    const app = await buildTestApp(t, dialect)
    const { id } = (await post(app, '/builds', newBuild('by-id'))).json()
    assert.equal((await get(app, `/builds/${id}`)).json().build_id, 'by-id')
    assert.deepEqual((await post(app, `/builds/${id}/state`, { state_code: 15 })).json(), {
      status: 'updated',
      build_id: 'by-id',
      new_state: 15,
    })
    assert.deepEqual((await post(app, `/builds/${id}/failure`, { error_message: 'x' })).json(), {
      status: 'recorded',
      build_id: 'by-id',
    })
    assert.equal((await get(app, `/builds/${id}/state`)).json().current_state, 15)
    assert.deepEqual(
      [(await get(app, '/builds/by-id')).json().id, (await get(app, '/builds/by-id')).json().status],
      [id, 'failed'],
    )
    for (const ref of ['0', '1', '007', '1e3', id.toUpperCase(), `${id}x`])
      assert.equal((await get(app, `/builds/${ref}`)).statusCode, 404, ref)
  })

  it('GET /builds filters by platform and status and pages newest first with a cursor', async (t) => {
    const app = await buildTestApp(t, dialect)
    const made: string[] = []
    for (let i = 0; i < 7; i++) {
      const id = `list-${i}`
      await post(app, '/builds', newBuild(id, { platform: i % 2 === 0 ? 'gcp' : 'azure' }))
      made.push(id)
    }
    await post(app, '/builds/list-0/state', { state_code: 100 })
    await post(app, '/builds/list-1/failure', { error_message: 'x' })
    await post(app, '/builds/list-2/failure', { error_message: 'x' })

    const all = (await get(app, '/builds')).json()
    assert.deepEqual(
      all.builds.map((b: { build_id: string }) => b.build_id),
      [...made].reverse(),
    )
    assert.equal(all.next_cursor, null)
    assert.deepEqual(Object.keys(all.builds[0]).sort(), [
      'build_id',
      'commit_hash',
      'created_at',
      'current_state',
      'id',
      'image_type',
      'os_version',
      'pipeline_url',
      'platform',
      'status',
      'updated_at',
    ])

    const gcp = (await get(app, '/builds?platform=gcp')).json().builds.map((b: { build_id: string }) => b.build_id)
    assert.deepEqual(gcp, ['list-6', 'list-4', 'list-2', 'list-0'])
    const failed = (await get(app, '/builds?status=failed')).json().builds.map((b: { build_id: string }) => b.build_id)
    assert.deepEqual(failed, ['list-2', 'list-1'])
    const gcpFailed = (await get(app, '/builds?status=failed&platform=gcp'))
      .json()
      .builds.map((b: { build_id: string }) => b.build_id)
    assert.deepEqual(gcpFailed, ['list-2'])
    assert.deepEqual(
      (await get(app, '/builds?status=completed')).json().builds.map((b: { build_id: string }) => b.build_id),
      ['list-0'],
    )
    assert.equal((await get(app, '/builds?status=in_progress')).json().builds.length, 4)
    assert.deepEqual((await get(app, '/builds?platform=openstack')).json(), { builds: [], next_cursor: null })

    // Pages of 3: every build once, in order, and the last page says null.
    const seen: string[] = []
    let url = '/builds?limit=3'
    for (let pages = 0; pages < 10; pages++) {
      const page = (await get(app, url)).json()
      seen.push(...page.builds.map((b: { build_id: string }) => b.build_id))
      if (page.next_cursor === null) break
      assert.equal(page.builds.length, 3)
      url = `/builds?limit=3&cursor=${encodeURIComponent(page.next_cursor)}`
      if (pages === 0) await post(app, '/builds', newBuild('arrives-later')) // newer builds do not shift older pages
    }
    assert.deepEqual(seen, [...made].reverse())

    for (const q of [
      'limit=0',
      'limit=101',
      'limit=x',
      'status=broken',
      'platform=Not%20A%20Slug',
      'cursor=bm9wZQ',
      'other=1x',
    ]) {
      const res = await get(app, `/builds?${q}`)
      if (q === 'other=1x') assert.equal(res.statusCode, 200, 'unknown query parameters are ignored')
      else assertProblem(res, 422)
    }
  })
})

describeOnEachDialect('dashboards', (dialect) => {
  it('GET /dashboard/summary counts by status and platform in SQL, with the success rate and the 10 newest', async (t) => {
    const app = await buildTestApp(t, dialect)
    const empty = (await get(app, '/dashboard/summary')).json()
    assert.equal(empty.total_builds, 0)
    assert.equal(empty.success_rate, 0)
    assert.deepEqual(empty.status_counts, { completed: 0, failed: 0, in_progress: 0 })
    assert.deepEqual(empty.recent_builds, [])
    assert.deepEqual(Object.keys(empty.by_platform).sort(), [
      'aws-commercial',
      'aws-govcloud',
      'azure',
      'gcp',
      'openstack',
    ])

    for (let i = 0; i < 12; i++)
      await post(app, '/builds', newBuild(`s-${i}`, { platform: i < 8 ? 'aws-commercial' : 'gcp' }))
    for (const id of ['s-0', 's-1', 's-9']) await post(app, '/builds/' + id + '/state', { state_code: 100 })
    for (const id of ['s-2', 's-10']) await post(app, '/builds/' + id + '/failure', { error_message: 'x' })
    const res = await get(app, '/dashboard/summary')
    assert.equal(res.statusCode, 200)
    const summary = res.json()
    assert.deepEqual(Object.keys(summary).sort(), [
      'by_platform',
      'recent_builds',
      'status_counts',
      'success_rate',
      'total_builds',
    ])
    assert.equal(summary.total_builds, 12)
    assert.deepEqual(summary.status_counts, { completed: 3, failed: 2, in_progress: 7 })
    assert.deepEqual(summary.by_platform['aws-commercial'], { total: 8, completed: 2, failed: 1, in_progress: 5 })
    assert.deepEqual(summary.by_platform.gcp, { total: 4, completed: 1, failed: 1, in_progress: 2 })
    assert.deepEqual(summary.by_platform.azure, { total: 0, completed: 0, failed: 0, in_progress: 0 })
    assert.equal(summary.success_rate, 25)
    assert.deepEqual(
      summary.recent_builds.map((b: { build_id: string }) => b.build_id),
      Array.from({ length: 10 }, (_, i) => `s-${11 - i}`),
    )
  })

  it('GET /dashboard/recent?limit and GET /dashboard/platform/{platform}; a platform without builds (known or not) is [], bad limits 422', async (t) => {
    const app = await buildTestApp(t, dialect)
    for (let i = 0; i < 14; i++) await post(app, '/builds', newBuild(`r-${i}`, { platform: i % 2 ? 'azure' : 'gcp' }))
    const recent = (await get(app, '/dashboard/recent')).json()
    assert.deepEqual(Object.keys(recent), ['recent_builds'])
    assert.equal(recent.recent_builds.length, 10, 'default limit 10')
    assert.deepEqual(
      (await get(app, '/dashboard/recent?limit=3')).json().recent_builds.map((b: { build_id: string }) => b.build_id),
      ['r-13', 'r-12', 'r-11'],
    )
    assert.equal((await get(app, '/dashboard/recent?limit=100')).json().recent_builds.length, 14)

    const azure = (await get(app, '/dashboard/platform/azure')).json()
    assert.equal(azure.platform, 'azure')
    assert.deepEqual(
      azure.builds.map((b: { build_id: string }) => b.build_id),
      ['r-13', 'r-11', 'r-9', 'r-7', 'r-5', 'r-3', 'r-1'],
    )
    assert.equal((await get(app, '/dashboard/platform/azure?limit=2')).json().builds.length, 2)
    assert.deepEqual((await get(app, '/dashboard/platform/openstack')).json(), { platform: 'openstack', builds: [] })
    // SPEC §5.4: no builds → 200 with an empty list, whether the catalog knows the platform or not.
    const unknown = await get(app, '/dashboard/platform/mars')
    assert.deepEqual([unknown.statusCode, unknown.json()], [200, { platform: 'mars', builds: [] }])
    assert.equal(
      (await get(app, '/dashboard/platform/mars')).headers['x-cache'],
      'bypass',
      'names off the catalog take no cache entry',
    )
    // Each dashboard row also carries the reference's key names.
    const [row] = recent.recent_builds
    assert.deepEqual(
      [row.platform_id, row.os_version_id, row.image_type_id, row.state_code],
      [row.platform, row.os_version, row.image_type, row.current_state],
    )
    assert.deepEqual(Object.keys(azure.builds[0]).sort(), [
      'build_id',
      'commit_hash',
      'created_at',
      'current_state',
      'id',
      'image_type',
      'image_type_id',
      'os_version',
      'os_version_id',
      'pipeline_url',
      'platform',
      'platform_id',
      'state_code',
      'status',
      'updated_at',
    ])
    for (const url of [
      '/dashboard/recent?limit=0',
      '/dashboard/recent?limit=101',
      '/dashboard/recent?limit=ten',
      '/dashboard/platform/gcp?limit=0',
    ]) {
      assertProblem(await get(app, url), 422)
    }
  })

  it('is never stale: a cached view changes on the next read after a state, a failure, a new build or a new platform', async (t) => {
    const app = await buildTestApp(t, dialect)
    await post(app, '/builds', newBuild('n1'))
    const views = ['/dashboard/summary', '/dashboard/recent', '/dashboard/platform/aws-commercial']
    const read = async () => Promise.all(views.map((v) => get(app, v)))

    await read()
    const cached = await read()
    assert.deepEqual(
      cached.map((r) => r.headers['x-cache']),
      ['hit', 'hit', 'hit'],
      'the second read is served from the cache',
    )

    await post(app, '/builds/n1/state', { state_code: 40 })
    let [summary, recent, platform] = await read()
    assert.deepEqual(
      [summary, recent, platform].map((r) => r!.headers['x-cache']),
      ['miss', 'miss', 'miss'],
    )
    assert.equal(summary!.json().recent_builds[0].current_state, 40)
    assert.equal(recent!.json().recent_builds[0].current_state, 40)
    assert.equal(platform!.json().builds[0].current_state, 40)

    await read()
    await post(app, '/builds/n1/failure', { error_message: 'x' })
    ;[summary, recent, platform] = await read()
    assert.deepEqual(summary!.json().status_counts, { completed: 0, failed: 1, in_progress: 0 })
    assert.equal(recent!.json().recent_builds[0].status, 'failed')
    assert.equal(platform!.json().builds[0].status, 'failed')

    await read()
    await post(app, '/builds', newBuild('n2'))
    ;[summary] = await read()
    assert.equal(summary!.json().total_builds, 2)

    await post(app, '/platforms', { id: 'new-cloud', name: 'New', cloud_provider: 'new' })
    ;[summary] = await read()
    assert.ok('new-cloud' in summary!.json().by_platform)

    // A rejected write changes nothing, so the cache may stay.
    await read()
    assertProblem(await post(app, '/builds/n1/state', { state_code: 7 }), 400)
    assert.equal((await get(app, '/dashboard/summary')).headers['x-cache'], 'hit')
  })

  it('CACHE_TTL=0 turns the cache off (every read computes)', async (t) => {
    const app = await buildTestApp(t, dialect, { env: { CACHE_TTL: '0' } })
    await get(app, '/dashboard/summary')
    assert.equal((await get(app, '/dashboard/summary')).headers['x-cache'], 'bypass')
  })
})
