/** Small pieces every view uses: loading data, showing a problem, the live badge, code to copy. */
import type { ComponentChildren } from 'preact'
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, isAbort } from '../api.js'
import type { LiveStatus } from '../live.js'

export interface Loaded<T> {
  data: T | null
  error: unknown
  loading: boolean
  reload: () => void
  /** Replaces the data in place (a live event already says what changed). */
  setData: (update: (old: T | null) => T | null) => void
}

/** Runs `load` when `key` changes and on reload(); a newer load cancels the one in flight. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  })
  const [tick, setTick] = useState(0)
  const loader = useRef(load)
  loader.current = load
  useEffect(() => {
    const ctl = new AbortController()
    setState((s) => ({ ...s, loading: true }))
    loader.current(ctl.signal).then(
      (data) => !ctl.signal.aborted && setState({ data, error: null, loading: false }),
      (error) => !ctl.signal.aborted && !isAbort(error) && setState((s) => ({ data: s.data, error, loading: false })),
    )
    return () => ctl.abort()
  }, [key, tick])
  const reload = useCallback(() => setTick((n) => n + 1), [])
  const setData = useCallback(
    (update: (old: T | null) => T | null) => setState((s) => ({ ...s, data: update(s.data) })),
    [],
  )
  return { ...state, reload, setData }
}

/** An API problem as its title and detail (and each bad field), or any other error's message. */
export function ProblemBox({ error, children }: { error: unknown; children?: ComponentChildren }) {
  if (!error) return null
  let title = 'Something went wrong'
  let detail = error instanceof Error ? error.message : String(error)
  let fields: { path: string; message: string }[] = []
  if (error instanceof ApiError) {
    title = error.problem.title ?? `HTTP ${error.status}`
    detail = error.problem.detail && error.problem.detail !== title ? error.problem.detail : ''
    fields = error.problem.errors ?? []
  }
  return (
    <div class="problem" role="alert">
      <p class="problem-title">
        {error instanceof ApiError && error.status > 0 ? <span class="problem-status">{error.status}</span> : null}
        {title}
      </p>
      {detail ? <p class="problem-detail">{detail}</p> : null}
      {fields.length > 0 ? (
        <ul class="problem-fields">
          {fields.map((f) => (
            <li key={f.path}>
              <code>{f.path}</code>: {f.message}
            </li>
          ))}
        </ul>
      ) : null}
      {children}
    </div>
  )
}

const LIVE_TEXT: Record<LiveStatus, string> = {
  connecting: 'Connecting to live updates…',
  live: 'Live',
  reconnecting: 'Connection lost — reconnecting…',
  unavailable: 'Live updates unavailable — showing the data as loaded; retrying',
  'needs-credentials': 'Live updates need an API key or a signed-in user',
  forbidden: 'Live updates need the read scope',
}

export function LiveBadge({ status }: { status: LiveStatus }) {
  return (
    <p class={`live live-${status}`} role="status" aria-live="polite">
      <span class="live-dot" aria-hidden="true" />
      {LIVE_TEXT[status]}
    </p>
  )
}

function Code({ children }: { children: string }) {
  return (
    <pre class="code">
      <code>{children}</code>
    </pre>
  )
}

export function Empty({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children}
    </div>
  )
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' })

export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span>—</span>
  const d = new Date(iso)
  return <time dateTime={iso}>{Number.isNaN(d.getTime()) ? iso : dateFormat.format(d)}</time>
}

/** Sets the document title and moves focus to the view's heading, so a screen reader hears the new view. */
export function useViewTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · statehouse`
    const h1 = document.querySelector<HTMLElement>('main h1')
    if (h1 && document.activeElement !== h1 && document.body.dataset.navigated === '1') h1.focus()
  }, [title])
}
