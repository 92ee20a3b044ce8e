/**
 * A typed client for the statehouse API: openapi-fetch over the types generated from the server's
 * OpenAPI document (./schema.d.ts), plus API-key and JWT credentials and the /events stream.
 *
 *   const api = createStatehouseClient({ baseUrl: 'http://127.0.0.1:5000', apiKey: process.env.API_KEY })
 *   const status = await unwrap(api.GET('/status'))
 *   await unwrap(api.POST('/update', { body: { increment: 1 } }))
 *   await api.login('alice', 'correct horse battery')      // later calls send Authorization: Bearer …
 *   for await (const event of api.events({ topics: ['state'] })) console.log(event.type, event.data)
 */
import createClient, { type Client } from 'openapi-fetch'
import type { components, operations, paths } from './schema.js'

export type { components, operations, paths }
/** Every named schema of the API, e.g. `Schemas['Item']`, `Schemas['BuildDetail']`. */
export type Schemas = components['schemas']
export type Problem = Schemas['Problem']

/** An answer that is not a success: the API's problem+json (RFC 9457) and the HTTP status. */
export class StatehouseError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem ? `${status} ${problem.title}: ${problem.detail}` : `HTTP ${status}`)
    this.name = 'StatehouseError'
  }
}

/** The data of an openapi-fetch result, or a StatehouseError carrying the problem. */
export async function unwrap<T>(
  result:
    | Promise<{ data?: T; error?: unknown; response: Response }>
    | { data?: T; error?: unknown; response: Response },
): Promise<T> {
  const { data, error, response } = await result
  if (!response.ok) throw new StatehouseError(response.status, error as Problem | undefined)
  return data as T
}

// ---- /events (Server-Sent Events; contract in SPEC §2.4 and the realtime notes) -------------------

export type EventTopic = 'state' | 'builds' | 'aircraft'

interface EventData {
  'state.updated': {
    version: number
    counter: number
    message: string
    old_counter: number
    old_message: string
    update_type: string
    timestamp: string
  }
  'build.created': {
    id: string
    build_id: string
    platform: string
    os_version: string
    image_type: string
    status: string
    current_state: number
    created_at: string
  }
  'build.state_changed': {
    id: string
    build_id: string
    state_code: number
    state_name: string
    message: string | null
    status: string
    transitioned_at: string
  }
  'build.failed': {
    id: string
    build_id: string
    error_message: string
    error_code: string | null
    component: string | null
    state_code: number
    recorded_at: string
  }
  'aircraft.ingest_progress': { job_id: string; files_done: number; files_total: number; records: number }
  'aircraft.ingest_finished': {
    job_id: string
    status: string
    files_done: number
    files_total: number
    records: number
    errors: unknown[]
  }
  /** The Last-Event-ID was older than the server keeps: reload what you show, the stream goes on from now. */
  reset: { reason: string }
}

/** One message of the stream; `id` is what to pass as `lastEventId` to resume after it. */
export type StatehouseEvent = {
  [T in keyof EventData]: { type: T; id: string | undefined; data: EventData[T] }
}[keyof EventData]

export interface EventsOptions {
  /** Default: every topic the credentials may see (`builds` needs the read scope). */
  topics?: EventTopic[]
  /** Resume after this event id (sent as Last-Event-ID). */
  lastEventId?: string | number
  /** A ticket from `eventTicket()`, instead of the client's credentials. */
  ticket?: string
  signal?: AbortSignal
}

/** The longest message the parser holds (the server's are one line of JSON, far below this). */
const MAX_EVENT_BYTES = 1 << 20

/** Parses a text/event-stream body into messages (comments and `retry:` lines are skipped). */
export async function* parseEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<StatehouseEvent> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  let event: { type?: string; id?: string; data: string[] } = { data: [] }
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += decoder.decode(value, { stream: true })
      if (buffer.length > MAX_EVENT_BYTES) throw new Error('event stream: a message exceeds 1 MiB')
      let newline = buffer.search(/\r\n|\r|\n/)
      while (newline >= 0) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1))
        newline = buffer.search(/\r\n|\r|\n/)
        if (line === '') {
          if (event.type && event.data.length > 0) {
            yield { type: event.type, id: event.id, data: JSON.parse(event.data.join('\n')) } as StatehouseEvent
          }
          event = { data: [] }
          continue
        }
        if (line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon < 0 ? line : line.slice(0, colon)
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'event') event.type = text
        else if (field === 'id') event.id = text
        else if (field === 'data') event.data.push(text)
      }
    }
  } finally {
    reader.releaseLock()
    await body.cancel().catch(() => {})
  }
}

// ---- the client -----------------------------------------------------------------------------------

export interface StatehouseOptions {
  /** e.g. http://127.0.0.1:5000 */
  baseUrl: string
  /** A static key or an issued API token, sent as X-API-Key. */
  apiKey?: string
  /** A JWT (from `login`), sent as Authorization: Bearer. */
  token?: string
  fetch?: typeof fetch
}

export interface StatehouseClient extends Client<paths> {
  /** Send this API key (X-API-Key) from now on; undefined stops sending one. */
  useApiKey(apiKey: string | undefined): void
  /** Send this JWT (Authorization: Bearer) from now on; undefined stops sending one. */
  useToken(token: string | undefined): void
  /** POST /auth/login with a username and password; later requests carry the JWT it answers. */
  login(username: string, password: string): Promise<Schemas['AccessToken']>
  /** POST /events/tickets: a single-use ticket for an EventSource, which cannot send headers. */
  eventTicket(): Promise<Schemas['EventTicket']>
  /** GET /events as an async iterator of typed messages; stop with `break` or the signal. */
  events(options?: EventsOptions): AsyncGenerator<StatehouseEvent>
}

export function createStatehouseClient(options: StatehouseOptions): StatehouseClient {
  const credentials = { apiKey: options.apiKey, token: options.token }
  const fetchImpl = options.fetch ?? globalThis.fetch
  const authHeaders = (): Record<string, string> => ({
    ...(credentials.apiKey ? { 'x-api-key': credentials.apiKey } : {}),
    ...(credentials.token ? { authorization: `Bearer ${credentials.token}` } : {}),
  })
  const client = createClient<paths>({ baseUrl: options.baseUrl, fetch: fetchImpl })
  client.use({
    onRequest({ request }) {
      // A header given on the call wins over the client's credentials.
      for (const [name, value] of Object.entries(authHeaders())) {
        if (!request.headers.has(name)) request.headers.set(name, value)
      }
      return request
    },
  })

  return Object.assign(client, {
    useApiKey(apiKey: string | undefined) {
      credentials.apiKey = apiKey
    },
    useToken(token: string | undefined) {
      credentials.token = token
    },
    async login(username: string, password: string) {
      const token = await unwrap(client.POST('/auth/login', { body: { username, password } }))
      credentials.token = token.access_token
      return token
    },
    async eventTicket() {
      return unwrap(client.POST('/events/tickets'))
    },
    async *events(events: EventsOptions = {}) {
      const url = new URL('/events', options.baseUrl)
      if (events.topics) url.searchParams.set('topics', events.topics.join(','))
      if (events.ticket) url.searchParams.set('ticket', events.ticket)
      const headers: Record<string, string> = { accept: 'text/event-stream', ...(events.ticket ? {} : authHeaders()) }
      if (events.lastEventId !== undefined) headers['last-event-id'] = String(events.lastEventId)
      const response = await fetchImpl(url, { headers, ...(events.signal ? { signal: events.signal } : {}) })
      if (!response.ok || !response.body) {
        const problem = (await response.json().catch(() => undefined)) as Problem | undefined
        throw new StatehouseError(response.status, problem)
      }
      yield* parseEventStream(response.body)
    },
  })
}
