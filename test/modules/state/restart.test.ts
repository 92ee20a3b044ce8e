/** A restart loses nothing that was acknowledged: a new app on the same database sees it all. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { buildTestApp, WRITE_HEADERS } from '../../helpers/app.js'
import { describeOnEachDialect } from '../../helpers/databases.js'

describeOnEachDialect('restart', (dialect) => {
  it('state and logs survive closing the app and building a new one on the same database', async (t) => {
    const first = await buildTestApp(t, dialect)
    for (const payload of ['{"counter":7}', '{"message":"kept"}', '{"increment":3}']) {
      const res = await first.inject({ method: 'POST', url: '/update', headers: WRITE_HEADERS, payload })
      assert.equal(res.statusCode, 200)
    }
    const idem = await first.inject({
      method: 'POST',
      url: '/update',
      headers: { ...WRITE_HEADERS, 'idempotency-key': 'survives' },
      payload: '{"increment":1}',
    })
    const before = (await first.inject({ url: '/logs' })).json()
    await first.close()

    const second = await buildTestApp(t, dialect, { database: first.database })
    const status = (await second.inject({ url: '/status' })).json()
    assert.deepEqual([status.counter, status.message, status.version], [11, 'kept', 4])
    const after = (await second.inject({ url: '/logs' })).json()
    assert.deepEqual(after, before)
    const replay = await second.inject({
      method: 'POST',
      url: '/update',
      headers: { ...WRITE_HEADERS, 'idempotency-key': 'survives' },
      payload: '{"increment":1}',
    })
    assert.deepEqual(replay.json(), idem.json(), 'idempotency records survive a restart too')
    // Migrations ran again at start-up and found nothing to do.
    const applied = await second.db.kysely
      .selectFrom('kysely_migration' as never)
      .selectAll()
      .execute()
    assert.ok(applied.length >= 1)
  })
})
