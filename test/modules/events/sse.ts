/**
 * A Server-Sent Events client for tests: reads the raw HTTP stream (node:http) and parses
 * `id`/`event`/`data`/`retry` fields itself, so a test can also stop reading (a slow consumer).
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import type { FastifyInstance } from 'fastify'

export interface SseMessage {
  id: string | undefined
  event: string
  data: string
}

export class SseClient {
  readonly messages: SseMessage[] = []
  comments = 0
  retry: number | undefined
  ended = false
  /** Resolves when the server ends or drops the stream. */
  readonly closed: Promise<void>
  private waiters = new Set<() => void>()
  private buffer = ''
  private current: { id?: string; event?: string; data: string[] } = { data: [] }

  private constructor(
    readonly res: http.IncomingMessage,
    private readonly req: http.ClientRequest,
  ) {
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => this.feed(chunk))
    this.closed = new Promise((resolve) => {
      const done = () => {
        this.ended = true
        this.notify()
        resolve()
      }
      res.on('end', done)
      res.on('close', done)
      res.on('error', done)
    })
  }

  /** Opens `path` on a listening app; resolves once the response headers are in. */
  static open(base: string, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = http.get(`${base}${path}`, { headers: { accept: 'text/event-stream', ...headers } }, (res) =>
        resolve(new SseClient(res, req)),
      )
      req.on('error', reject)
    })
  }

  get status(): number {
    return this.res.statusCode ?? 0
  }

  /** Messages of these types (default: all but `reset`). */
  of(...types: string[]): SseMessage[] {
    return this.messages.filter((m) => (types.length ? types.includes(m.event) : m.event !== 'reset'))
  }

  /** Waits until `ready()` holds, at most `ms` (then fails, saying what it saw). */
  async until(ready: () => boolean, what: string, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms
    while (!ready()) {
      const left = deadline - Date.now()
      if (left <= 0) assert.fail(`timed out waiting for ${what}; got ${this.messages.length} messages`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200))
        this.waiters.add(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** Waits for the `retry:` line: the server has registered the stream by then. */
  opened(): Promise<void> {
    return this.until(() => this.retry !== undefined, 'the retry: line')
  }

  close(): void {
    this.req.destroy()
  }

  private notify() {
    const waiters = [...this.waiters]
    this.waiters.clear()
    for (const w of waiters) w()
  }

  private feed(chunk: string) {
    const lines = (this.buffer + chunk).split('\n')
    this.buffer = lines.pop() ?? ''
    for (const line of lines) this.line(line.endsWith('\r') ? line.slice(0, -1) : line)
    this.notify()
  }

  private line(line: string) {
    if (line === '') {
      const { id, event, data } = this.current
      if (data.length > 0 || event) this.messages.push({ id, event: event ?? 'message', data: data.join('\n') })
      this.current = { data: [] }
      return
    }
    if (line.startsWith(':')) {
      this.comments++
      return
    }
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'id') this.current.id = value
    else if (field === 'event') this.current.event = value
    else if (field === 'data') this.current.data.push(value)
    else if (field === 'retry') this.retry = Number(value)
  }
}

/** Listens on a free port; returns the base URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  assert.ok(address && typeof address === 'object')
  return `http://127.0.0.1:${address.port}`
}

/** Reads a counter or gauge from /metrics. */
export async function metric(app: FastifyInstance, name: string): Promise<number> {
  const res = await app.inject({ url: '/metrics' })
  const line = res.body.split('\n').find((l) => l.startsWith(`${name} `))
  return line ? Number(line.split(' ')[1]) : Number.NaN
}
