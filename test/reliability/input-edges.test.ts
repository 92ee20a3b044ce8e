/**
 * The inputs issue 17 found answered with a 5xx or a body that is not problem+json, on both engines:
 * numeric query values past any bound, NUL in path parameters (PostgreSQL error 22021), router and
 * parser errors (bad URL, long parameter, a header over 16 KB through a real socket), a non-UTF-8
 * JSON charset. Each is a 4xx problem+json and changes nothing.
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import { describe, it } from 'node:test'
import { isDataError, isUnavailable } from '../../src/platform/errors.js'
import { buildTestApp, WRITE_HEADERS } from '../helpers/app.js'
import { DIALECTS } from '../helpers/databases.js'
import { STATIC_KEY } from './helpers.js'

type Reply = { statusCode: number; headers: Record<string, unknown>; body: string }

function assert4xxProblem(res: Reply, what: string, status?: number) {
  assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${what}: ${res.statusCode} ${res.body.slice(0, 200)}`)
  if (status) assert.equal(res.statusCode, status, `${what}: ${res.body.slice(0, 200)}`)
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/, `${what}: content type`)
  const body = JSON.parse(res.body)
  assert.equal(body.status, res.statusCode, `${what}: status member`)
  assert.equal(typeof body.detail, 'string', `${what}: detail member`)
}

/** Sends raw bytes on a real connection and reads the whole answer (the server closes it). */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let data = ''
    socket.setEncoding('utf8')
    socket.on('data', (d) => (data += d))
    socket.on('close', () => resolve(data))
    socket.on('error', (err) => (data ? resolve(data) : reject(err)))
    socket.setTimeout(10_000, () => socket.destroy())
    socket.end(request)
  })
}

for (const dialect of DIALECTS) {
  describe(`input edges on ${dialect.name}`, { skip: dialect.skip }, () => {
    it('huge, infinite and out-of-range page numbers are 422', async (t) => {
      const app = await buildTestApp(t, dialect)
      for (const url of [
        '/logs?page=1e309',
        '/logs?page=Infinity',
        '/logs?page=99999999999999999999',
        '/logs?page=-Infinity',
        '/logs?limit=1e309',
        '/aircraft?page=1e309',
        '/aircraft/abc123/positions?page=Infinity',
        '/aircraft/abc123/positions?page=99999999999999999999',
      ]) {
        assert4xxProblem(await app.inject({ url, headers: STATIC_KEY }), url, 422)
      }
      assert.equal((await app.inject({ url: '/logs?page=1000000' })).statusCode, 200, 'the bound itself is fine')
    })

    it('a NUL in a path parameter or query value is 422 on every engine', async (t) => {
      const app = await buildTestApp(t, dialect)
      for (const url of [
        '/builds/%00',
        '/builds/a%00b',
        '/jobs/%00',
        '/dashboard/platform/%00',
        '/aircraft/%00',
        '/users/%00',
        '/items/%00',
        '/logs?cursor=%00',
      ]) {
        assert4xxProblem(await app.inject({ url, headers: STATIC_KEY }), url)
      }
      assert4xxProblem(await app.inject({ url: '/builds/%00', headers: STATIC_KEY }), 'NUL', 422)
    })

    it('router errors are problem+json: a bad URL is 400, a parameter over 100 characters 414', async (t) => {
      const app = await buildTestApp(t, dialect)
      assert4xxProblem(await app.inject({ url: '/items/%', headers: STATIC_KEY }), '/items/%', 400)
      assert4xxProblem(await app.inject({ url: '/builds/%zz' }), '/builds/%zz', 400)
      assert4xxProblem(await app.inject({ url: `/builds/${'a'.repeat(101)}`, headers: STATIC_KEY }), 'long', 414)
    })

    it('application/json in a charset other than UTF-8 is 415 and changes nothing', async (t) => {
      const app = await buildTestApp(t, dialect)
      for (const charset of ['utf-16', 'UTF-16LE', 'latin1', 'iso-8859-1']) {
        const res = await app.inject({
          method: 'POST',
          url: '/update',
          headers: { ...WRITE_HEADERS, 'content-type': `application/json; charset=${charset}` },
          payload: Buffer.from(
            '{"counter":7}',
            charset.startsWith('utf') || charset.startsWith('UTF') ? 'utf16le' : 'latin1',
          ),
        })
        assert4xxProblem(res, charset, 415)
      }
      const utf8 = await app.inject({
        method: 'POST',
        url: '/update',
        headers: { ...WRITE_HEADERS, 'content-type': 'application/json; charset=UTF-8' },
        payload: '{"counter":8}',
      })
      assert.equal(utf8.statusCode, 200, 'UTF-8 (any spelling) is fine')
      assert.equal((await app.inject({ url: '/status' })).json().counter, 8)
    })

    it('a header over 16 KB on a real connection is 431 problem+json', async (t) => {
      const app = await buildTestApp(t, dialect)
      await app.listen({ host: '127.0.0.1', port: 0 })
      const { port } = app.server.address() as net.AddressInfo
      const answer = await raw(port, `GET /status HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`)
      assert.match(answer, /^HTTP\/1\.1 431 /)
      assert.match(answer, /content-type: application\/problem\+json/i)
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))
      assert.equal(body.status, 431)
    })
  })
}

describe('database errors', () => {
  it('PostgreSQL data errors (class 22) are the request’s fault; timeouts and lost connections are 503s', () => {
    for (const code of ['22021', '22P02', '22003', '2200N']) assert.ok(isDataError({ code }), code)
    for (const code of ['23505', '42P01', undefined]) assert.ok(!isDataError({ code }), String(code))
    for (const err of [
      { code: '57014' },
      { code: '08006' },
      { message: 'Connection terminated unexpectedly' },
      { message: 'Client has encountered a connection error and is not queryable' },
      { message: 'Query read timeout' },
    ])
      assert.ok(isUnavailable(err), JSON.stringify(err))
  })
})
