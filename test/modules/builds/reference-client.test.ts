/**
 * The build-state reference service's clients (its README's curl flow, its Postman collections, its
 * Python client declaring `id: str`) replayed against statehouse on every engine: users, profile and
 * tokens, then a build through state 25, a failure, its detail and the dashboards. Every id is a
 * string, and every shape has the keys (and key types) those clients parse.
 */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { buildTestApp } from '../../helpers/app.js'
import { describeOnEachDialect } from '../../helpers/databases.js'
import { get, newBuild, post } from './helpers.js'

type Json = Record<string, unknown>

/** Asserts each key has the JS type given ('null' for null); extra keys are allowed. */
function assertTypes(what: string, value: Json, types: Record<string, string>) {
  for (const [key, type] of Object.entries(types)) {
    const actual = value[key] === null ? 'null' : Array.isArray(value[key]) ? 'array' : typeof value[key]
    assert.equal(
      actual,
      type,
      `${what}.${key} is ${actual} (${JSON.stringify(value[key])}), the reference client expects ${type}`,
    )
  }
}

const DASHBOARD_ROW = {
  id: 'string',
  build_id: 'string',
  platform: 'string',
  platform_id: 'string',
  os_version: 'string',
  os_version_id: 'string',
  image_type: 'string',
  image_type_id: 'string',
  current_state: 'number',
  state_code: 'number',
  status: 'string',
  created_at: 'string',
}

describeOnEachDialect(`the 003 reference client's flow`, (dialect) => {
  it('create user → get → update → profile → token → list tokens; build → state 25 → failure → get → dashboards', async (t) => {
    const app = await buildTestApp(t, dialect)
    const put = (url: string, body: unknown) =>
      app.inject({
        method: 'PUT',
        url,
        headers: { 'x-api-key': 'test-key-0123456789abcdef', 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      })

    // Users ------------------------------------------------------------------------------------
    const created = await post(app, '/users', {
      username: 'pipeline-bot',
      email: 'bot@example.com',
      password: 'bot-password-1',
    })
    assert.equal(created.statusCode, 200, created.body)
    assertTypes('POST /users', created.json(), { id: 'string', username: 'string', status: 'string' })
    const userId = created.json().id as string

    const user = await get(app, `/users/${userId}`)
    assert.equal(user.statusCode, 200, user.body)
    assertTypes('GET /users/{id}', user.json(), {
      id: 'string',
      username: 'string',
      email: 'string',
      first_name: 'string',
      last_name: 'string',
      employee_id: 'string',
      is_active: 'boolean',
      is_superuser: 'boolean',
      created_at: 'string',
      updated_at: 'string',
      deactivated_at: 'null',
    })
    assert.deepEqual([user.json().id, user.json().first_name, user.json().employee_id], [userId, '', ''])

    const updated = await put(`/users/${userId}`, {
      first_name: 'Pipeline',
      last_name: null,
      employee_id: 'E42',
      is_active: null,
    })
    assert.equal(updated.statusCode, 200, updated.body)
    assert.deepEqual(updated.json(), { status: 'updated', user_id: userId })

    const profile = await get(app, `/users/${userId}/profile`)
    assert.equal(profile.statusCode, 200, profile.body)
    assertTypes('GET /users/{id}/profile', profile.json(), {
      id: 'string',
      user_id: 'string',
      first_name: 'string',
      last_name: 'string',
      employee_id: 'string',
      email: 'string',
      start_date: 'string',
      end_date: 'null',
      is_active: 'boolean',
      deactivated_at: 'null',
    })
    assert.deepEqual(
      [
        profile.json().user_id,
        profile.json().first_name,
        profile.json().last_name,
        profile.json().employee_id,
        profile.json().is_active,
      ],
      [userId, 'Pipeline', '', 'E42', true],
    )

    const token = await post(app, `/users/${userId}/tokens`, { name: 'concourse', scopes: ['read', 'build'] })
    assert.equal(token.statusCode, 200, token.body)
    assertTypes('POST /users/{id}/tokens', token.json(), {
      id: 'string',
      token: 'string',
      name: 'string',
      scopes: 'array',
      status: 'string',
    })
    const tokens = await get(app, `/users/${userId}/tokens`)
    assert.equal(tokens.statusCode, 200, tokens.body)
    assert.equal(tokens.json().tokens.length, 1)
    assertTypes('GET /users/{id}/tokens entry', tokens.json().tokens[0], {
      id: 'string',
      user_id: 'string',
      name: 'string',
      scopes: 'array',
      created_at: 'string',
      is_active: 'boolean',
    })
    assert.deepEqual([tokens.json().tokens[0].id, tokens.json().tokens[0].user_id], [token.json().id, userId])

    // Builds, with the issued token as the pipeline would -------------------------------------
    const pipeline = { 'x-api-key': token.json().token as string }
    const build = await post(
      app,
      '/builds',
      newBuild('my-build-001', { pipeline_url: 'https://concourse.example.com/p', commit_hash: 'abc123def456' }),
      pipeline,
    )
    assert.equal(build.statusCode, 200, build.body)
    assertTypes('POST /builds', build.json(), { id: 'string', build_id: 'string', status: 'string' })
    const buildUuid = build.json().id as string

    const state = await post(
      app,
      `/builds/${buildUuid}/state`,
      { state_code: 25, message: 'Packer build completed successfully' },
      pipeline,
    )
    assert.equal(state.statusCode, 200, state.body)
    assert.deepEqual(state.json(), { status: 'updated', build_id: 'my-build-001', new_state: 25 })
    const failure = await post(
      app,
      `/builds/${buildUuid}/failure`,
      {
        error_message: 'Packer build failed: AMI creation timeout',
        error_code: 'PACKER_TIMEOUT',
        component: 'packer',
        details: { timeout_seconds: 3600, attempt: 1 },
      },
      pipeline,
    )
    assert.equal(failure.statusCode, 200, failure.body)
    assert.deepEqual(failure.json(), { status: 'recorded', build_id: 'my-build-001' })

    const detail = await get(app, `/builds/${buildUuid}`, pipeline)
    assert.equal(detail.statusCode, 200, detail.body)
    assertTypes('GET /builds/{id}', detail.json(), {
      id: 'string',
      build_id: 'string',
      current_state: 'number',
      status: 'string',
      states: 'array',
      failures: 'array',
    })
    assert.deepEqual([detail.json().id, detail.json().current_state, detail.json().status], [buildUuid, 25, 'failed'])
    const current = (await get(app, `/builds/${buildUuid}/state`, pipeline)).json()
    assert.deepEqual([current.current_state, current.state_name], [25, 'Security baseline applied'])

    // Dashboards ---------------------------------------------------------------------------------
    const summary = (await get(app, '/dashboard/summary', pipeline)).json()
    assert.equal(summary.total_builds, 1)
    assertTypes('summary recent_builds[0]', summary.recent_builds[0], DASHBOARD_ROW)
    const recent = (await get(app, '/dashboard/recent', pipeline)).json()
    assertTypes('recent_builds[0]', recent.recent_builds[0], DASHBOARD_ROW)
    const row = recent.recent_builds[0]
    assert.deepEqual(
      [row.id, row.platform_id, row.os_version_id, row.image_type_id, row.state_code],
      [buildUuid, 'aws-commercial', 'rhel-9.2', 'base', 25],
    )
    const platform = (await get(app, '/dashboard/platform/aws-commercial', pipeline)).json()
    assertTypes('platform builds[0]', platform.builds[0], DASHBOARD_ROW)
    assert.deepEqual(await (await get(app, '/dashboard/platform/no-such-cloud', pipeline)).json(), {
      platform: 'no-such-cloud',
      builds: [],
    })
  })
})
