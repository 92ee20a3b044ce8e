/**
 * Bounds on client connections: how long a request may take to arrive, how long an idle keep-alive
 * socket stays, and how many sockets are open at once. A client that trickles a body or drips
 * headers is cut off (408), and past the cap a new connection gets a clear 503 instead of a slot.
 */
import type http from 'node:http'
import type { Socket } from 'node:net'
import type { Config } from '../../config.js'
import { PROBLEM_CONTENT_TYPE } from '../errors.js'

/** Fastify's and Node's server options for the configured timeouts. */
export function connectionOptions(config: Config) {
  return {
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    http: {
      headersTimeout: Math.min(config.HTTP_HEADERS_TIMEOUT_MS, config.HTTP_REQUEST_TIMEOUT_MS),
      requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      // Node checks the two timeouts this often (its default, 30 s, would let a drip live 30 s longer).
      connectionsCheckingInterval: 1000,
    },
  }
}

const REFUSAL_BODY = JSON.stringify({
  type: 'urn:statehouse:problem:unavailable',
  title: 'Service Unavailable',
  status: 503,
  detail: 'too many open connections to this server; retry shortly',
  instance: '',
})
const REFUSAL =
  `HTTP/1.1 503 Service Unavailable\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nRetry-After: 1\r\n` +
  `Content-Length: ${Buffer.byteLength(REFUSAL_BODY)}\r\nConnection: close\r\n\r\n${REFUSAL_BODY}`

/**
 * Caps open connections at `max`: one more is answered 503 (problem+json, Retry-After) and closed,
 * before any of its bytes are read. Returns how many are open now (for tests and metrics).
 */
export function limitConnections(server: http.Server, max: number): () => number {
  let open = 0
  server.prependListener('connection', (socket: Socket) => {
    if (open >= max) {
      socket.on('error', () => {})
      socket.end(REFUSAL, () => socket.destroy())
      return
    }
    open++
    socket.once('close', () => open--)
  })
  return () => open
}
