/**
 * The shared-state reference service's own client checks (seed 000 README; SPEC §2, §8), on both
 * engines: a wrong or missing key answers 401 with the reference's text `Invalid API Key`, and a
 * Python client posting `data=json.dumps(...)` (no Content-Type header) is read as JSON.
 */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { buildTestApp, TEST_API_KEY } from '../../helpers/app.js'
import { describeOnEachDialect } from '../../helpers/databases.js'

describeOnEachDialect('the shared-state reference client', (dialect) => {
  it('a wrong or missing X-API-Key → 401 with detail "Invalid API Key", state unchanged', async (t) => {
    const app = await buildTestApp(t, dialect)
    const body = JSON.stringify({ counter: 5 })
    for (const headers of [
      { 'x-api-key': 'wrong-key', 'content-type': 'application/json' },
      { 'content-type': 'application/json' },
    ]) {
      const res = await app.inject({ method: 'POST', url: '/update', headers, payload: body })
      assert.equal(res.statusCode, 401, res.body)
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
      assert.equal(res.json().detail, 'Invalid API Key', JSON.stringify(headers))
    }
    assert.equal((await app.inject({ url: '/status' })).json().counter, 0)
  })

  it('POST /update without a Content-Type header is read as JSON (requests.post(url, data=json.dumps(...)))', async (t) => {
    const app = await buildTestApp(t, dialect)
    const res = await app.inject({
      method: 'POST',
      url: '/update',
      headers: { 'x-api-key': TEST_API_KEY },
      payload: Buffer.from(JSON.stringify({ counter: 7, message: 'from python' })),
    })
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(res.json().new_state, { counter: 7, message: 'from python' })
    assert.deepEqual((await app.inject({ url: '/status' })).json().state, { counter: 7, message: 'from python' })
  })
})
