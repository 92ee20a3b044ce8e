/** SPEC §5.5 development data: loaded with ENVIRONMENT=development on a fresh database, once. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../../helpers/app.js'
import { describeOnEachDialect, tempDir } from '../../helpers/databases.js'
import { get } from './helpers.js'

async function tableSizes(app: FastifyInstance) {
  const sizes: Record<string, number> = {}
  for (const table of [
    'platforms',
    'os_versions',
    'image_types',
    'builds',
    'build_states',
    'build_failures',
  ] as const) {
    sizes[table] = Number(
      (
        await app.db.kysely
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )
  }
  return sizes
}

describeOnEachDialect('build development data', (dialect) => {
  it('a fresh database shows 10 builds (3 completed, 2 failed, 5 in progress); starting again duplicates nothing', async (t) => {
    const database = await dialect.create()
    t.after(() => database.drop())
    const env = { ENVIRONMENT: 'development', DATA_DIR: tempDir() }
    const first = await buildTestApp(t, dialect, { database, env })
    const summary = (await get(first, '/dashboard/summary')).json()
    assert.equal(summary.total_builds, 10)
    assert.deepEqual(summary.status_counts, { completed: 3, failed: 2, in_progress: 5 })
    assert.equal(summary.success_rate, 30)
    const perPlatform = Object.fromEntries(
      Object.entries(summary.by_platform as Record<string, { total: number }>).map(([p, c]) => [p, c.total]),
    )
    assert.deepEqual(perPlatform, {
      'aws-commercial': 4,
      'aws-govcloud': 1,
      azure: 3,
      gcp: 2,
      openstack: 0,
      'oracle-cloud': 0,
      vmware: 0,
    })
    assert.equal(summary.recent_builds.length, 10)

    // The failed builds carry their failures; the statuses follow the SPEC's rule from the data.
    const failed = (await get(first, '/builds?status=failed')).json().builds
    assert.equal(failed.length, 2)
    for (const build of failed) {
      const detail = (await get(first, `/builds/${build.build_id}`)).json()
      assert.equal(detail.failures.length, 1)
      assert.equal(typeof detail.failures[0].details, 'object')
      assert.notEqual(detail.current_state, 100)
    }
    for (const build of (await get(first, '/builds?status=completed')).json().builds) {
      assert.equal((await get(first, `/builds/${build.build_id}/state`)).json().current_state, 100)
    }
    // Extra catalog entries beyond the seeded ones.
    assert.ok((await get(first, '/os-versions')).json().os_versions.length > 4)
    assert.ok((await get(first, '/image-types')).json().image_types.length > 4)
    const sizes = await tableSizes(first)
    await first.close()

    const second = await buildTestApp(t, dialect, { database, env })
    assert.deepEqual(await tableSizes(second), sizes)
    assert.equal((await get(second, '/dashboard/summary')).json().total_builds, 10)
  })

  it('is not loaded outside development', async (t) => {
    const app = await buildTestApp(t, dialect)
    assert.equal((await get(app, '/dashboard/summary')).json().total_builds, 0)
    assert.equal((await get(app, '/platforms')).json().platforms.length, 5)
  })
})
