/**
 * Property test: whatever arrives at /update and /logs — malformed, mistyped, oversized, hostile —
 * the answer is never a 5xx, every error is problem+json, and a rejected request changes nothing.
 */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import fc from 'fast-check'
import { buildTestApp, TEST_API_KEY } from '../../helpers/app.js'
import { describeOnEachDialect } from '../../helpers/databases.js'

const RUNS = 1000

const weirdValue = fc.oneof(
  fc.integer(),
  fc.integer({ min: -1000, max: 1000 }),
  fc.double(),
  fc.constantFrom(9007199254740991, 9007199254740992, -9007199254740992, 1e300, -0, 0.5),
  fc.string({ maxLength: 20 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
)

const payload = fc.oneof(
  // Shapes close to valid, with every field possibly mistyped.
  fc
    .record({ counter: weirdValue, message: weirdValue, increment: weirdValue }, { requiredKeys: [] })
    .map((o) => JSON.stringify(o)),
  // Valid bodies, so the state does move and the unchanged-on-rejection check means something.
  fc
    .oneof(
      fc.record({ increment: fc.integer({ min: -5, max: 5 }) }),
      fc.record({ message: fc.string({ maxLength: 30 }) }),
      fc.record({ counter: fc.integer() }),
    )
    .map((o) => JSON.stringify(o)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 60 }), // mostly malformed JSON
  fc.constantFrom(
    '{"__proto__":{"counter":1}}',
    '{"constructor":{"prototype":{"isAdmin":true}}}',
    '{"counter":1,"counter":"2"}',
    '{"message":"\\u0000\\ud800"}',
    '{"counter":99999999999999999999999}',
    '[]',
    'null',
    '',
    '{"message":"' + 'x'.repeat(70_000) + '"}',
    '{"message":"' + 'y'.repeat(10_001) + '"}',
    '{'.repeat(5000),
  ),
)

const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/xml',
      'multipart/form-data; boundary=x',
      'garbage',
    ),
    'x-api-key': fc.oneof(fc.constant(TEST_API_KEY), fc.string({ maxLength: 40 })),
    'if-match': fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.nat({ max: 5 }).map((n) => `"${n}"`),
      fc.constant('*'),
    ),
    'idempotency-key': fc.oneof(
      fc.string({ minLength: 0, maxLength: 8 }),
      fc.string({ minLength: 250, maxLength: 300 }),
    ),
  },
  { requiredKeys: ['content-type'] },
)

const queryString = fc
  .dictionary(
    fc.constantFrom('page', 'limit', 'cursor', 'foo'),
    fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.integer().map(String),
      fc.constantFrom('0', '-1', '101', '1e3', 'YmVmb3JlOjE', ''),
    ),
    { maxKeys: 4 },
  )
  .map((d) => new URLSearchParams(d).toString())

describeOnEachDialect('hostile input', (dialect) => {
  it(`${RUNS} generated /update requests: no 5xx, problem+json errors, rejections change nothing`, async (t) => {
    const app = await buildTestApp(t, dialect)
    const snapshot = async () => {
      const status = (await app.inject({ url: '/status' })).json()
      return { counter: status.counter, message: status.message, version: status.version }
    }
    let before = await snapshot()
    let accepted = 0
    await fc.assert(
      fc.asyncProperty(payload, headers, async (body, hdrs) => {
        const res = await app.inject({ method: 'POST', url: '/update', headers: hdrs, payload: body })
        assert.ok(
          res.statusCode < 500,
          `${res.statusCode} for ${body.slice(0, 80)} ${JSON.stringify(hdrs)}: ${res.body.slice(0, 200)}`,
        )
        const after = await snapshot()
        if (res.statusCode === 200) {
          const replayed = res.headers['idempotent-replayed'] === 'true'
          assert.equal(after.version, before.version + (replayed ? 0 : 1))
          if (!replayed) accepted++
        } else {
          assert.ok(res.statusCode >= 400, String(res.statusCode))
          assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
          const problem = res.json()
          assert.equal(problem.status, res.statusCode)
          assert.equal(typeof problem.detail, 'string')
          assert.ok(!/at .+\.(ts|js):\d+/.test(res.body), 'no stack trace in the body')
          assert.deepEqual(after, before, 'a rejected request changed the state')
        }
        before = after
      }),
      { numRuns: RUNS },
    )
    const logs = (await app.inject({ url: '/logs' })).json()
    assert.equal(logs.total, before.version, 'one log row per accepted change')
    assert.ok(accepted > 0, 'the generator produced some valid requests')
  })

  it(`${RUNS} generated /logs query strings: 200 or 422, never 5xx`, async (t) => {
    const app = await buildTestApp(t, dialect)
    for (let i = 0; i < 15; i++) {
      await app.inject({
        method: 'POST',
        url: '/update',
        headers: { 'x-api-key': TEST_API_KEY, 'content-type': 'application/json' },
        payload: '{"increment":1}',
      })
    }
    await fc.assert(
      fc.asyncProperty(queryString, async (qs) => {
        const res = await app.inject({ url: `/logs?${qs}` })
        assert.ok([200, 422].includes(res.statusCode), `${res.statusCode} for ?${qs}: ${res.body.slice(0, 200)}`)
        if (res.statusCode === 422) assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
        else assert.ok(res.json().logs.length <= res.json().limit)
      }),
      { numRuns: RUNS },
    )
  })
})
