/**
 * Smoke: the build-state flow of a deployment (SPEC §5) with the API key — a new build through a
 * state, a failure and delivery, and the dashboards reading each write at once (their cache is
 * invalidated on every build write, on every replica). The build it creates stays (builds cannot be
 * deleted); its build_id starts with `smoke-build-`.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { API_KEY, assertProblem, call, ISO_UTC, marker, skipUnless, withKey } from './target.js'

interface BuildSummary {
  id: string
  build_id: string
  platform: string
  os_version: string
  image_type: string
  commit_hash: string | null
  current_state: number
  status: 'completed' | 'failed' | 'in_progress'
  created_at: string
  updated_at: string
}
interface BuildDetail extends BuildSummary {
  states: { state_code: number; state_name: string; message: string | null; transitioned_at: string }[]
  failures: { error_message: string; error_code: string | null; component: string | null; details: unknown }[]
}
interface Summary {
  total_builds: number
  status_counts: { completed: number; failed: number; in_progress: number }
  by_platform: Record<string, unknown>
  success_rate: number
  recent_builds: BuildSummary[]
}

const PLATFORM = 'aws-commercial'

describe('deployed: builds flow', () => {
  const skip = skipUnless({
    what: 'builds',
    vars: { API_KEY },
    paths: [
      '/builds',
      '/builds/{id}',
      '/builds/{id}/state',
      '/builds/{id}/failure',
      '/dashboard/summary',
      '/dashboard/platform/{platform}',
    ],
  })
  const buildId = marker('smoke-build')
  const path = `/builds/${encodeURIComponent(buildId)}`
  let created = false

  /** Where our build stands on the summary dashboard (undefined: not among the recent builds). */
  async function onSummary(): Promise<{ summary: Summary; ours: BuildSummary | undefined }> {
    const res = await call<Summary>('GET', '/dashboard/summary', { headers: withKey() })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    return { summary: res.body, ours: res.body.recent_builds.find((b) => b.build_id === buildId) }
  }

  it('builds need credentials: 401 without the key', { skip }, async () => {
    assertProblem(await call('GET', '/builds'), 401, 'GET /builds without a key')
    assertProblem(
      await call('POST', '/builds', {
        json: { platform: PLATFORM, os_version: 'rhel-9.2', image_type: 'base', build_id: buildId },
      }),
      401,
      'POST /builds without a key',
    )
  })

  it('the seeded catalog is there', { skip }, async () => {
    const platforms = await call<{ platforms: { id: string }[] }>('GET', '/platforms', { headers: withKey() })
    assert.equal(platforms.status, 200)
    assert.ok(
      platforms.body.platforms.some((p) => p.id === PLATFORM),
      JSON.stringify(platforms.body),
    )
  })

  it('POST /builds creates the build at state 0; a duplicate is 409, an unknown platform 422', { skip }, async () => {
    const body = {
      platform: PLATFORM,
      os_version: 'rhel-9.2',
      image_type: 'base',
      build_id: buildId,
      commit_hash: 'abc1234',
    }
    const res = await call<{ id: string; build_id: string; status: string }>('POST', '/builds', {
      json: body,
      headers: withKey(),
    })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(typeof res.body.id, 'string', 'a string id (SPEC §3)')
    assert.equal(res.body.build_id, buildId)
    assert.equal(res.body.status, 'created')
    created = true
    assertProblem(await call('POST', '/builds', { json: body, headers: withKey() }), 409, 'duplicate build_id')
    const unknown = await call<{ errors?: { path: string }[] }>('POST', '/builds', {
      json: { ...body, build_id: `${buildId}-x`, platform: 'no-such-cloud' },
      headers: withKey(),
    })
    assertProblem(unknown, 422, 'unknown platform')
    assert.ok(JSON.stringify(unknown.body).includes('platform'), 'the 422 does not name the platform field')
    const state = await call<{ build_id: string; current_state: number; state_name: string; transitioned_at: string }>(
      'GET',
      `${path}/state`,
      { headers: withKey() },
    )
    assert.equal(state.status, 200)
    assert.equal(state.body.current_state, 0)
    assert.equal(state.body.state_name, 'Initial')
    assert.match(state.body.transitioned_at, ISO_UTC)
    const { ours } = await onSummary()
    assert.equal(ours?.status, 'in_progress', 'the new build is not on the summary dashboard as in_progress')
  })

  it('a state moves the build; bad codes are 400/422 and change nothing', { skip }, async () => {
    assert.ok(created, 'the create test did not run')
    const moved = await call<{ status: string; build_id: string; new_state: number }>('POST', `${path}/state`, {
      json: { state_code: 25, message: 'smoke' },
      headers: withKey(),
    })
    assert.equal(moved.status, 200, JSON.stringify(moved.body))
    assert.deepEqual(moved.body, { status: 'updated', build_id: buildId, new_state: 25 })
    assertProblem(await call('POST', `${path}/state`, { json: { state_code: 7 }, headers: withKey() }), 400, 'state 7')
    assertProblem(
      await call('POST', `${path}/state`, { json: { state_code: 105 }, headers: withKey() }),
      422,
      'state 105',
    )
    assertProblem(
      await call('POST', `${path}/state`, { json: { state_code: '30' }, headers: withKey() }),
      422,
      'state "30"',
    )
    const state = await call<{ current_state: number; state_name: string; message: string | null }>(
      'GET',
      `${path}/state`,
      { headers: withKey() },
    )
    assert.equal(state.body.current_state, 25)
    assert.equal(state.body.state_name, 'Security baseline applied')
    assert.equal(state.body.message, 'smoke')
    const platform = await call<{ platform: string; builds: BuildSummary[] }>(
      'GET',
      `/dashboard/platform/${PLATFORM}`,
      { headers: withKey() },
    )
    assert.equal(platform.status, 200)
    assert.equal(
      platform.body.builds.find((b) => b.build_id === buildId)?.current_state,
      25,
      'the platform dashboard is stale',
    )
  })

  it('a failure marks the build failed, at once on the dashboard', { skip }, async () => {
    assert.ok(created, 'the create test did not run')
    const failure = {
      error_message: 'smoke: packer timed out',
      error_code: 'PACKER_TIMEOUT',
      component: 'packer',
      details: { attempt: 1 },
    }
    const res = await call('POST', `${path}/failure`, { json: failure, headers: withKey() })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.deepEqual(res.body, { status: 'recorded', build_id: buildId })
    const detail = await call<BuildDetail>('GET', path, { headers: withKey() })
    assert.equal(detail.status, 200)
    assert.equal(detail.body.status, 'failed')
    assert.equal(detail.body.current_state, 25)
    assert.deepEqual(
      detail.body.states.map((s) => s.state_code),
      [0, 25],
    )
    assert.equal(detail.body.failures.length, 1)
    assert.equal(detail.body.failures[0]?.error_message, failure.error_message)
    assert.deepEqual(detail.body.failures[0]?.details, failure.details)
    const { ours, summary } = await onSummary()
    assert.equal(ours?.status, 'failed', 'the summary dashboard did not see the failure')
    assert.ok(summary.status_counts.failed >= 1)
    assert.equal(
      summary.total_builds,
      summary.status_counts.completed + summary.status_counts.failed + summary.status_counts.in_progress,
    )
  })

  it('state 100 completes it; nothing comes after 100 (409); an unknown build is 404', { skip }, async () => {
    assert.ok(created, 'the create test did not run')
    assert.equal((await call('POST', `${path}/state`, { json: { state_code: 100 }, headers: withKey() })).status, 200)
    assertProblem(
      await call('POST', `${path}/state`, { json: { state_code: 95 }, headers: withKey() }),
      409,
      'a state after 100',
    )
    const detail = await call<BuildDetail>('GET', path, { headers: withKey() })
    assert.equal(detail.body.status, 'completed')
    assert.equal(detail.body.current_state, 100)
    const { ours } = await onSummary()
    assert.equal(ours?.status, 'completed', 'the summary dashboard did not see the delivery')
    const listed = await call<{ builds: BuildSummary[]; next_cursor: string | null }>(
      'GET',
      `/builds?platform=${PLATFORM}&limit=50`,
      { headers: withKey() },
    )
    assert.equal(listed.status, 200)
    assert.ok(listed.body.builds.some((b) => b.build_id === buildId && b.status === 'completed'))
    assertProblem(
      await call('GET', `/builds/${encodeURIComponent(`${buildId}-absent`)}`, { headers: withKey() }),
      404,
      'unknown build',
    )
  })
})
