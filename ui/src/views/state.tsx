/** The shared state (SPEC §2): counter, message and version, live, and the form that changes them. */
import { useState } from 'preact/hooks'
import { ApiError, api } from '../api.js'
import { Empty, LiveBadge, ProblemBox, Time, useLoad, useViewTitle } from '../components/common.js'
import { useLive } from '../live.js'
import { setApiKey, useSession } from '../store.js'

export interface Status {
  counter: number
  message: string
  version: number
  timestamp: string
}

interface UpdateBody {
  increment?: number
  counter?: number
  message?: string
}

interface Conflict {
  sentVersion: number
  now: Status | null
  body: UpdateBody
}

const SAFE = Number.MAX_SAFE_INTEGER

function parseInteger(text: string, what: string): number {
  const t = text.trim()
  if (!/^[-+]?\d+$/.test(t)) throw new Error(`${what} must be a whole number`)
  const n = Number(t)
  if (!Number.isSafeInteger(n) || Math.abs(n) > SAFE)
    throw new Error(`${what} must be within ±${SAFE.toLocaleString()}`)
  return n
}

export function StateView() {
  useViewTitle('Shared state')
  const session = useSession()
  const status = useLoad((signal) => api<Status>('/status', { signal }), 'status')
  const live = useLive({
    topics: ['state'],
    types: ['state.updated'],
    onEvent: (_type, d) => {
      const next = {
        counter: Number(d.counter),
        message: String(d.message ?? ''),
        version: Number(d.version),
        timestamp: String(d.timestamp ?? ''),
      }
      status.setData((old) => (old && old.version >= next.version ? old : next))
    },
    onReset: () => status.reload(),
  })
  const [keyDraft, setKeyDraft] = useState('')
  const [increment, setIncrement] = useState('1')
  const [counter, setCounter] = useState('')
  const [message, setMessage] = useState('')
  const [useIfMatch, setUseIfMatch] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [conflict, setConflict] = useState<Conflict | null>(null)
  const [done, setDone] = useState('')

  const shown = status.data

  async function send(body: UpdateBody, ifMatch: number | null) {
    setError(null)
    setConflict(null)
    setDone('')
    if (!session.apiKey) {
      setError(new Error('Enter an API key with the write scope first.'))
      return
    }
    setBusy(true)
    try {
      const headers: Record<string, string> = { 'x-api-key': session.apiKey }
      if (ifMatch !== null) headers['if-match'] = `"${ifMatch}"`
      const res = await api<{ version: number; new_state: { counter: number; message: string } }>('/update', {
        method: 'POST',
        body,
        headers,
      })
      status.setData((old) =>
        old && old.version >= res.version
          ? old
          : {
              counter: res.new_state.counter,
              message: res.new_state.message,
              version: res.version,
              timestamp: new Date().toISOString(),
            },
      )
      setDone(`Saved: version ${res.version}.`)
    } catch (err) {
      if (err instanceof ApiError && err.status === 412 && ifMatch !== null) {
        const now = await api<Status>('/status').catch(() => null)
        if (now) status.setData(() => now)
        setConflict({ sentVersion: ifMatch, now, body })
      } else {
        setError(err)
      }
    } finally {
      setBusy(false)
    }
  }

  function submit(e: Event, build: () => UpdateBody) {
    e.preventDefault()
    let body: UpdateBody
    try {
      body = build()
    } catch (err) {
      setError(err)
      return
    }
    void send(body, useIfMatch && shown ? shown.version : null)
  }

  return (
    <>
      <div class="view-head">
        <h1 tabIndex={-1}>Shared state</h1>
        <LiveBadge status={live} />
      </div>
      <ProblemBox error={status.error} />
      <section class="card state-now" aria-labelledby="now-h">
        <h2 id="now-h">Now</h2>
        {shown ? (
          <dl class="state-values">
            <div>
              <dt>Counter</dt>
              <dd class="big" data-testid="counter">
                {shown.counter.toLocaleString()}
              </dd>
            </div>
            <div>
              <dt>Version</dt>
              <dd class="big" data-testid="version">
                {shown.version}
              </dd>
            </div>
            <div class="wide">
              <dt>Message</dt>
              <dd data-testid="message" class="message">
                {shown.message === '' ? <span class="muted">(empty)</span> : shown.message}
              </dd>
            </div>
            <div class="wide">
              <dt>As of</dt>
              <dd>
                <Time iso={shown.timestamp} />
              </dd>
            </div>
          </dl>
        ) : status.loading ? (
          <p>Loading…</p>
        ) : null}
      </section>

      <section class="card" aria-labelledby="change-h">
        <h2 id="change-h">Change it</h2>
        {session.apiKey ? (
          <p class="keyline">
            Using the API key <code>{session.apiKey.slice(0, 4)}…</code> (kept in this tab only).{' '}
            <button type="button" class="link" onClick={() => setApiKey('')}>
              Forget the key
            </button>
          </p>
        ) : (
          <form
            class="inline-form"
            onSubmit={(e) => {
              e.preventDefault()
              setApiKey(keyDraft)
              setKeyDraft('')
            }}
          >
            <div class="field">
              <label for="api-key">API key (write scope)</label>
              <input
                id="api-key"
                type="password"
                autocomplete="off"
                required
                value={keyDraft}
                onInput={(e) => setKeyDraft(e.currentTarget.value)}
              />
              <p class="hint">
                In development, statehouse prints one at start-up and keeps it in <code>data/secrets/api-key</code>. It
                stays in this tab's session storage only.
              </p>
            </div>
            <button type="submit">Use this key</button>
          </form>
        )}

        <div class="field check">
          <input
            id="if-match"
            type="checkbox"
            checked={useIfMatch}
            onChange={(e) => setUseIfMatch(e.currentTarget.checked)}
          />
          <label for="if-match">
            Only if nobody changed it since version {shown?.version ?? '…'} (sends <code>If-Match</code>)
          </label>
        </div>

        <div class="forms">
          <form onSubmit={(e) => submit(e, () => ({ increment: parseInteger(increment, 'The increment') }))}>
            <div class="field">
              <label for="increment">Increment by</label>
              <input
                id="increment"
                inputMode="numeric"
                value={increment}
                onInput={(e) => setIncrement(e.currentTarget.value)}
              />
            </div>
            <button type="submit" disabled={busy}>
              Increment
            </button>
          </form>
          <form onSubmit={(e) => submit(e, () => ({ counter: parseInteger(counter, 'The counter') }))}>
            <div class="field">
              <label for="set-counter">Set the counter to</label>
              <input
                id="set-counter"
                inputMode="numeric"
                required
                value={counter}
                onInput={(e) => setCounter(e.currentTarget.value)}
              />
            </div>
            <button type="submit" disabled={busy}>
              Set counter
            </button>
          </form>
          <form onSubmit={(e) => submit(e, () => ({ message }))}>
            <div class="field">
              <label for="set-message">Message</label>
              <input
                id="set-message"
                maxLength={10000}
                value={message}
                onInput={(e) => setMessage(e.currentTarget.value)}
              />
            </div>
            <button type="submit" disabled={busy}>
              Set message
            </button>
          </form>
        </div>

        <div aria-live="polite">{done ? <p class="ok">{done}</p> : null}</div>
        <ProblemBox error={error} />
        {conflict ? (
          <div class="problem conflict" role="alert">
            <p class="problem-title">
              <span class="problem-status">412</span>Someone changed it first — now at version{' '}
              {conflict.now?.version ?? 'unknown'}
            </p>
            <p class="problem-detail">
              You sent If-Match for version {conflict.sentVersion}; nothing was changed.
              {conflict.now
                ? ` The counter is ${conflict.now.counter.toLocaleString()} and the message "${conflict.now.message}".`
                : ''}
            </p>
            {conflict.now ? (
              <button type="button" disabled={busy} onClick={() => void send(conflict.body, conflict.now!.version)}>
                Apply my change to version {conflict.now.version}
              </button>
            ) : null}
          </div>
        ) : null}
      </section>

      {shown && shown.version === 0 ? (
        <Empty title="Nothing has changed yet">
          <p>Enter an API key above and press Increment, or from a shell:</p>
          <pre class="code">
            <code>{`curl -X POST ${location.origin}/update -H "X-API-Key: $(cat data/secrets/api-key)" \\\n     -H 'content-type: application/json' -d '{"increment": 1}'`}</code>
          </pre>
        </Empty>
      ) : null}
    </>
  )
}
