/**
 * SPEC §5.3: `{id}` in /builds/{id}/... is the build's id; only when no build has that id is it taken
 * as a build_id. A build whose build_id is another build's id (a UUID, or "5" beside a build whose id
 * is "5", as rows migrated from integer ids keep) never hides that build, for reads or any write.
 */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../../helpers/app.js'
import { describeOnEachDialect } from '../../helpers/databases.js'
import { get, newBuild, post } from './helpers.js'

/** Every /builds/{id} route; each answers the build_id of the build it reached (or 4xx). */
async function reachedBy(app: FastifyInstance, ref: string): Promise<Record<string, string>> {
  const path = `/builds/${encodeURIComponent(ref)}`
  const answers = {
    'GET /builds/{id}': await get(app, path),
    'GET /builds/{id}/state': await get(app, `${path}/state`),
    'POST /builds/{id}/state': await post(app, `${path}/state`, { state_code: 15, message: `via ${ref}` }),
    'POST /builds/{id}/failure': await post(app, `${path}/failure`, { error_message: `via ${ref}` }),
  }
  return Object.fromEntries(
    Object.entries(answers).map(([route, res]) => {
      assert.equal(res.statusCode, 200, `${route} with ${ref}: ${res.body}`)
      return [route, res.json().build_id as string]
    }),
  )
}

const everyRoute = (buildId: string) => ({
  'GET /builds/{id}': buildId,
  'GET /builds/{id}/state': buildId,
  'POST /builds/{id}/state': buildId,
  'POST /builds/{id}/failure': buildId,
})

async function historyOf(app: FastifyInstance, buildId: string) {
  const detail = (await get(app, `/builds/${encodeURIComponent(buildId)}`)).json()
  return { states: detail.states.map((s: { state_code: number }) => s.state_code), failures: detail.failures.length }
}

describeOnEachDialect('build paths', (dialect) => {
  it("a build whose build_id is another build's id never hides that build", async (t) => {
    const app = await buildTestApp(t, dialect)
    const a = (await post(app, '/builds', newBuild('alpha'))).json()
    const b = (await post(app, '/builds', newBuild(String(a.id)))).json()
    assert.equal(b.build_id, String(a.id))

    // Through A's id: every read and write reaches A, never B.
    assert.deepEqual(await reachedBy(app, String(a.id)), everyRoute('alpha'))
    assert.deepEqual(await historyOf(app, 'alpha'), { states: [0, 15], failures: 1 })
    const bDetail = (await get(app, `/builds/${encodeURIComponent(String(b.id))}`)).json()
    assert.deepEqual(
      [bDetail.build_id, bDetail.states.length, bDetail.failures.length],
      [String(a.id), 1, 0],
      'B was not touched',
    )

    // A build_id that is nobody's id reaches its build.
    assert.deepEqual(await reachedBy(app, 'alpha'), everyRoute('alpha'))
  })

  it('a build whose build_id is "5" beside a build whose id is "5": /builds/5 is the build with id 5', async (t) => {
    const app = await buildTestApp(t, dialect)
    // A row as the migration from integer ids leaves it: id "5" (written directly; new ids are UUIDs).
    const now = new Date().toISOString()
    await app.db.kysely
      .insertInto('builds')
      .values({
        id: '5',
        build_id: 'legacy-five',
        platform: 'gcp',
        os_version: 'rhel-9.2',
        image_type: 'base',
        pipeline_url: null,
        commit_hash: null,
        current_state: 0,
        status: 'in_progress',
        created_at: now,
        updated_at: now,
      })
      .execute()
    await app.db.kysely
      .insertInto('build_states')
      .values({ build_pk: '5', state_code: 0, message: 'Build initialized', transitioned_at: now })
      .execute()

    const ci = await post(app, '/builds', newBuild('5'))
    assert.equal(ci.statusCode, 200, ci.body)
    assert.notEqual(String(ci.json().id), '5')

    assert.deepEqual(await reachedBy(app, '5'), everyRoute('legacy-five'))
    assert.deepEqual(await historyOf(app, 'legacy-five'), { states: [0, 15], failures: 1 })
    const byCiId = (await get(app, `/builds/${encodeURIComponent(String(ci.json().id))}`)).json()
    assert.deepEqual(
      [byCiId.build_id, byCiId.states.length, byCiId.failures.length],
      ['5', 1, 0],
      'the CI build "5" was not touched',
    )
    // The CI build is still reached by its own id.
    assert.deepEqual(await reachedBy(app, String(ci.json().id)), everyRoute('5'))
  })
})
