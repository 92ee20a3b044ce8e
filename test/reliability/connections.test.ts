/**
 * Slow and greedy clients (issue 17) against a real listening server: a trickled body, dripped
 * headers and idle keep-alive sockets are closed after the configured timeouts (before: 300 s, 60 s
 * and more), past MAX_CONNECTIONS a new connection gets a clear 503, and /metrics needs
 * METRICS_TOKEN in production.
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import { describe, it, type TestContext } from 'node:test'
import { limitConnections } from '../../src/platform/http/connections.js'
import { buildTestApp } from '../helpers/app.js'
import { sqlite } from '../helpers/databases.js'
import { RELIABILITY_JWT_SECRET } from './helpers.js'

/** Generous: each timeout below is 1–1.5 s; before the fix these sockets stayed open for minutes. */
const CLOSED_WITHIN_MS = 12_000

const short = { HTTP_REQUEST_TIMEOUT_MS: '1500', HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000' }

async function listening(t: TestContext, env: Record<string, string>) {
  const app = await buildTestApp(t, sqlite, { env })
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, port: (app.server.address() as net.AddressInfo).port }
}

/**
 * Opens a socket, writes `first`, then `drip` every 250 ms (bounded), and resolves with what the
 * server sent when it closed the socket, or 'still open' after CLOSED_WITHIN_MS.
 */
function holdOpen(port: number, first: string, drip?: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    let data = ''
    let drips = 0
    const timer = drip
      ? setInterval(() => {
          if (drips++ < 200 && socket.writable) socket.write(drip)
        }, 250)
      : undefined
    const give = setTimeout(() => {
      socket.destroy()
      resolve('still open')
    }, CLOSED_WITHIN_MS)
    socket.setEncoding('utf8')
    socket.on('data', (d) => (data += d))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearInterval(timer)
      clearTimeout(give)
      resolve(data || 'closed')
    })
    socket.write(first)
  })
}

describe('connection limits', () => {
  it('a body trickled one byte at a time is cut off with 408 after the request timeout', async (t) => {
    const { port } = await listening(t, short)
    const answer = await holdOpen(
      port,
      'POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
      ' ',
    )
    assert.notEqual(answer, 'still open', 'the slow body was still being read')
    assert.match(answer, /^HTTP\/1\.1 408 |^closed$/)
  })

  it('headers dripped a line at a time are cut off after the headers timeout', async (t) => {
    const { port } = await listening(t, short)
    const answer = await holdOpen(port, 'GET /status HTTP/1.1\r\nHost: x\r\n', 'X-Drip: 1\r\n')
    assert.notEqual(answer, 'still open', 'the dripping headers were still being read')
  })

  it('an idle keep-alive socket is closed after the keep-alive timeout', async (t) => {
    const { port } = await listening(t, short)
    const answer = await holdOpen(port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n')
    assert.notEqual(answer, 'still open', 'the idle socket stayed open')
    assert.match(answer, /^HTTP\/1\.1 200 /, 'the request itself was answered first')
  })

  it('past MAX_CONNECTIONS a new connection is answered 503 problem+json and closed', async (t) => {
    const { app, port } = await listening(t, {})
    const open = limitConnections(app.server, 2)
    const idle = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect(port, '127.0.0.1', () => resolve(s))
            s.on('error', () => {})
          }),
      ),
    )
    t.after(() => {
      for (const s of idle) s.destroy()
    })
    for (let i = 0; i < 50 && open() < 2; i++) await new Promise((r) => setTimeout(r, 20))
    const refused = await holdOpen(port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n')
    assert.match(refused, /^HTTP\/1\.1 503 /)
    assert.match(refused, /content-type: application\/problem\+json/i)
    assert.match(refused, /retry-after: 1/i)
    for (const s of idle) s.destroy()
    for (let i = 0; i < 50 && open() > 0; i++) await new Promise((r) => setTimeout(r, 20))
    assert.match(
      await holdOpen(port, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      /^HTTP\/1\.1 200 /,
    )
  })
})

describe('METRICS_TOKEN', () => {
  const production = { ENVIRONMENT: 'production', JWT_SECRET: RELIABILITY_JWT_SECRET }

  it('in production /metrics is closed without a token, and needs the token when one is set', async (t) => {
    const closed = await buildTestApp(t, sqlite, { env: production })
    assert.equal((await closed.inject({ url: '/metrics' })).statusCode, 403)
    const token = 'metrics-token-0123456789'
    const app = await buildTestApp(t, sqlite, { env: { ...production, METRICS_TOKEN: token } })
    assert.equal((await app.inject({ url: '/metrics' })).statusCode, 401)
    assert.equal(
      (await app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong-token' } })).statusCode,
      401,
    )
    const ok = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } })
    assert.equal(ok.statusCode, 200)
    assert.match(ok.body, /http_requests_total/)
  })

  it('in development /metrics stays open unless a token is set', async (t) => {
    const app = await buildTestApp(t, sqlite)
    assert.equal((await app.inject({ url: '/metrics' })).statusCode, 200)
  })
})
