/** Build routes with issued API tokens (the identity module's verifiers): reads need `read`, writes `write` (or `build`), catalog creates `admin`. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../../helpers/app.js'
import { describeOnEachDialect } from '../../helpers/databases.js'
import { assertProblem } from '../../helpers/problem.js'
import { get, newBuild, post } from './helpers.js'

async function issueToken(app: FastifyInstance, username: string, scopes: string[]): Promise<string> {
  const user = await post(app, '/users', { username, email: `${username}@example.com`, password: 'a-long-password-1' })
  assert.equal(user.statusCode, 200, user.body)
  const token = await post(app, `/users/${user.json().id}/tokens`, { name: `${username}-token`, scopes })
  assert.equal(token.statusCode, 200, token.body)
  return token.json().token as string
}

describeOnEachDialect('build routes with issued tokens', (dialect) => {
  it('a read-only token reads but gets 403 on every build write; a build-scoped token writes but cannot add to the catalog', async (t) => {
    const app = await buildTestApp(t, dialect)
    await post(app, '/builds', newBuild('scoped'))
    const reader = { 'x-api-key': await issueToken(app, 'reader', ['read']) }
    const builder = { 'x-api-key': await issueToken(app, 'builder', ['read', 'build']) }

    assert.equal((await get(app, '/dashboard/summary', reader)).statusCode, 200)
    assert.equal((await get(app, '/builds/scoped', reader)).statusCode, 200)
    assertProblem(await post(app, '/builds', newBuild('by-reader'), reader), 403)
    assertProblem(await post(app, '/builds/scoped/state', { state_code: 10 }, reader), 403)
    assertProblem(await post(app, '/builds/scoped/failure', { error_message: 'x' }, reader), 403)
    assert.equal((await get(app, '/builds/scoped')).json().states.length, 1, 'the refused writes changed nothing')
    assertProblem(await get(app, '/builds/by-reader'), 404)

    assert.equal((await post(app, '/builds', newBuild('by-builder'), builder)).statusCode, 200)
    assert.equal((await post(app, '/builds/by-builder/state', { state_code: 10 }, builder)).statusCode, 200)
    assertProblem(await post(app, '/platforms', { id: 'new-cloud', name: 'New', cloud_provider: 'new' }, builder), 403)
    assertProblem(await post(app, '/image-types', { id: 'x', name: 'X' }, builder), 403)
  })
})
