/**
 * The realtime stream, GET /events (contract: notes of issue 12). One EventSource per view, for the
 * topics it shows. A stream that needs credentials (builds) opens with a single-use ticket from
 * POST /events/tickets, because EventSource cannot send headers and a long-lived key must never go
 * in a URL. Every (re)connection passes the last event id seen as `last_event_id`, so the server
 * resumes where the page left off (or sends `reset`, and the view reloads its data). The page keeps
 * working, with the data as loaded, when the stream is missing or down.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, api } from './api.js'
import { readCredentials, useSession } from './store.js'

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'unavailable' | 'needs-credentials' | 'forbidden'

export interface LiveOptions {
  topics: string[]
  /** Event types the view handles (besides `reset`). */
  types: string[]
  /** The topic needs the `read` scope: connect with a ticket minted with the session's credentials. */
  auth?: boolean
  onEvent: (type: string, data: Record<string, unknown>) => void
  /** The server could not replay what was missed: reload the view's data. */
  onReset: () => void
}

const MAX_RETRY_MS = 30_000

export function useLive(opts: LiveOptions): LiveStatus {
  const session = useSession()
  const [status, setStatus] = useState<LiveStatus>('connecting')
  const handlers = useRef(opts)
  handlers.current = opts
  const credentials = opts.auth ? readCredentials(session) : null
  const credentialKey = credentials ? JSON.stringify(credentials) : ''
  const topicKey = opts.topics.join(',')

  useEffect(() => {
    if (opts.auth && !credentials) {
      setStatus('needs-credentials')
      return
    }
    let closed = false
    let source: EventSource | null = null
    let timer: ReturnType<typeof setTimeout> | undefined
    let lastId = ''
    let everOpen = false
    let attempt = 0
    const ticketAbort = new AbortController()

    const retry = () => {
      if (closed) return
      setStatus(everOpen ? 'reconnecting' : 'unavailable')
      const delay = Math.min(MAX_RETRY_MS, 1000 * 2 ** attempt)
      attempt += 1
      timer = setTimeout(() => void connect(), delay)
    }

    const connect = async () => {
      if (closed) return
      const query = new URLSearchParams({ topics: topicKey })
      if (credentials) {
        try {
          const { ticket } = await api<{ ticket: string }>('/events/tickets', {
            method: 'POST',
            headers: credentials,
            signal: ticketAbort.signal,
          })
          query.set('ticket', ticket)
        } catch (err) {
          if (closed) return
          if (err instanceof ApiError && err.status === 401) return setStatus('needs-credentials')
          if (err instanceof ApiError && err.status === 403) return setStatus('forbidden')
          return retry()
        }
      }
      if (lastId) query.set('last_event_id', lastId)
      if (closed) return
      const es = new EventSource(`/events?${query}`)
      source = es
      es.onopen = () => {
        everOpen = true
        attempt = 0
        setStatus('live')
      }
      // Reconnect ourselves rather than let the browser retry the same URL: a ticket works once,
      // and the URL's last_event_id would be stale.
      es.onerror = () => {
        es.close()
        if (source === es) source = null
        retry()
      }
      const deliver = (type: string) => (e: MessageEvent<string>) => {
        if (e.lastEventId) lastId = e.lastEventId
        let data: Record<string, unknown> = {}
        try {
          data = JSON.parse(e.data) as Record<string, unknown>
        } catch {
          return
        }
        if (type === 'reset') handlers.current.onReset()
        else handlers.current.onEvent(type, data)
      }
      for (const type of [...handlers.current.types, 'reset']) es.addEventListener(type, deliver(type) as EventListener)
    }

    setStatus('connecting')
    void connect()
    return () => {
      closed = true
      ticketAbort.abort()
      clearTimeout(timer)
      source?.close()
    }
    // The stream is re-opened only when the topics or the credentials change.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [topicKey, credentialKey, opts.auth])

  return status
}
