/** The real server process: docs and health over HTTP, and a graceful SIGTERM that finishes in-flight work. */
import assert from 'node:assert/strict'
import net from 'node:net'
import path from 'node:path'
import { describe, it } from 'node:test'
import { Validator } from '@seriousme/openapi-schema-validator'
import SQLite from 'better-sqlite3'
import { tempDir } from '../helpers/databases.js'
import { startServer } from '../helpers/server-process.js'

const KEY = 'e2e-key-0123456789'

describe('server process', () => {
  it('answers /health, /ready, /docs, /redoc and a valid /openapi.json listing every route', async (t) => {
    const dir = tempDir()
    const server = await startServer({
      DATABASE_URL: `sqlite:${path.join(dir, 'e2e.db')}`,
      API_KEY: KEY,
      ENVIRONMENT: 'test',
      LOG_LEVEL: 'warn',
    })
    t.after(() => server.stop('SIGKILL'))
    assert.deepEqual((await (await fetch(`${server.url}/health`)).json()) as object, { status: 'healthy' })
    const ready = await fetch(`${server.url}/ready`)
    assert.equal(ready.status, 200)
    assert.equal(((await ready.json()) as { overall: boolean }).overall, true)
    const docs = await fetch(`${server.url}/docs`)
    assert.equal(docs.status, 200)
    assert.match(await docs.text(), /swagger/i)
    const redoc = await fetch(`${server.url}/redoc`)
    assert.equal(redoc.status, 200)
    assert.match(await redoc.text(), /redoc/)
    const spec = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, object> }
    const validation = await new Validator().validate(spec as never)
    assert.equal(validation.valid, true, JSON.stringify(validation.errors))
    // Every route the service itself lists on GET / is documented.
    const index = (await (await fetch(`${server.url}/`)).json()) as { endpoints: Record<string, string> }
    const documented = new Set(
      Object.entries(spec.paths).flatMap(([p, ops]) =>
        Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
      ),
    )
    const listed = Object.keys(index.endpoints)
    assert.ok(listed.length >= 7)
    for (const route of listed) assert.ok(documented.has(route), `${route} is not in /openapi.json`)
  })

  it('on SIGTERM finishes the in-flight request, then exits 0 with its change committed', async (t) => {
    const dir = tempDir()
    const file = path.join(dir, 'graceful.db')
    const server = await startServer({
      DATABASE_URL: `sqlite:${file}`,
      API_KEY: KEY,
      ENVIRONMENT: 'test',
      LOG_LEVEL: 'info',
    })
    t.after(() => server.stop('SIGKILL'))

    // Start a request and hold back the end of its body, so it is in flight when SIGTERM arrives.
    const body = '{"increment": 41}'
    const socket = net.connect(server.port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    let response = ''
    socket.on('data', (d) => (response += d))
    const closed = new Promise((resolve) => socket.once('close', resolve))
    socket.write(
      `POST /update HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEY}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 5)}`,
    )
    await new Promise((r) => setTimeout(r, 200))
    const exit = server.stop('SIGTERM')
    // The server is draining now: wait until it says so, then finish the request.
    for (let i = 0; i < 50 && !/draining/.test(server.output()); i++) await new Promise((r) => setTimeout(r, 50))
    assert.match(server.output(), /draining/)
    socket.end(body.slice(5))
    await closed
    assert.match(response, /^HTTP\/1.1 200/)
    assert.match(response, /"counter":41/)
    assert.equal(await exit, 0, server.output())

    const db = new SQLite(file, { readonly: true })
    t.after(() => db.close())
    assert.deepEqual(db.prepare('select counter, version from state').get(), { counter: 41, version: 1 })
    assert.equal((db.prepare('select count(*) as n from state_log').get() as { n: number }).n, 1)
  })
})
