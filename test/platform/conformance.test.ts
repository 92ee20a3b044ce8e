/**
 * The response-conformance hook (test/helpers/conformance.ts) that buildTestApp puts on every test
 * app catches a response its route's documentation does not describe (issue 15, acceptance 2).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { buildTestApp } from '../helpers/app.js'
import { DIALECTS } from '../helpers/databases.js'

const Count = Type.Object({ count: Type.Integer() }, { title: 'ConformanceCount' })

/** Routes that document `{count: integer}` and answer otherwise (a pre-serialized body skips the serializer). */
function wrongRoutes(app: FastifyInstance) {
  const schema = (operationId: string) => ({ operationId, tags: ['test'], response: { 200: Count } })
  app.get('/test/wrong-type', { schema: schema('wrongType') }, (_request, reply) =>
    reply.type('application/json').send(JSON.stringify({ count: 'three' })),
  )
  app.get('/test/undocumented-status', { schema: schema('undocumentedStatus') }, (_request, reply) =>
    reply
      .code(418 as never)
      .type('application/problem+json')
      .send(JSON.stringify({ type: 'x', status: 418 })),
  )
  app.get('/test/wrong-type-header', { schema: schema('wrongContentType') }, (_request, reply) =>
    reply.type('text/plain').send('3'),
  )
  app.get('/test/right', { schema: schema('right') }, async () => ({ count: 3 }))
}

for (const dialect of DIALECTS) {
  describe(`response conformance on ${dialect.name}`, () => {
    it('fails the inject whose response does not match its documented schema, status or content type', async (t) => {
      const built = await buildTestApp(t, dialect, { extraRoutes: wrongRoutes })
      const right = await built.inject({ url: '/test/right' })
      assert.deepEqual(right.json(), { count: 3 })

      await assert.rejects(
        built.inject({ url: '/test/wrong-type' }),
        /GET \/test\/wrong-type → 200: body does not match the documented schema: \/count must be integer/,
      )
      await assert.rejects(
        built.inject({ url: '/test/undocumented-status' }),
        /GET \/test\/undocumented-status → 418: status not documented/,
      )
      await assert.rejects(
        built.inject({ url: '/test/wrong-type-header' }),
        /GET \/test\/wrong-type-header → 200: content type text\/plain, documented: application\/json/,
      )
      // An error of no route is still checked: it must be problem+json.
      assert.equal((await built.inject({ url: '/no/such/route' })).statusCode, 404)
      // The app's own end-of-test check would fail on these three; they were the point here.
      const seen = built.conformance.mismatches
      assert.equal(seen.length, 3, seen.join('\n'))
      seen.length = 0
    })
  })
}
