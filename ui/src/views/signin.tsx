/** Sign in (SPEC §3): username/password → JWT kept in this tab; or an API key. */
import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { ProblemBox, useViewTitle } from '../components/common.js'
import { href } from '../router.js'
import { setApiKey, setJwt, useSession } from '../store.js'

export function SignInView() {
  useViewTitle('Sign in')
  const session = useSession()
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [keyDraft, setKeyDraft] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)

  async function signIn(e: Event) {
    e.preventDefault()
    setError(null)
    setBusy(true)
    try {
      const res = await api<{ access_token: string; expires_in: number }>('/auth/login', {
        method: 'POST',
        body: { username, password },
      })
      setJwt(res.access_token, res.expires_in)
      setPassword('')
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <>
      <div class="view-head">
        <h1 tabIndex={-1}>Sign in</h1>
      </div>
      <div class="grid2">
        <section class="card" aria-labelledby="user-h">
          <h2 id="user-h">As a user</h2>
          {session.jwt ? (
            <>
              <p data-testid="signed-in">
                Signed in as <strong>{session.jwt.username}</strong> until{' '}
                {new Date(session.jwt.expiresAt).toLocaleTimeString()}.
              </p>
              <p>
                The <a href={href('/builds')}>Builds</a> pages now use this user.
              </p>
              <button type="button" onClick={() => setJwt(null)}>
                Sign out
              </button>
            </>
          ) : (
            <form onSubmit={signIn}>
              <div class="field">
                <label for="username">Username</label>
                <input
                  id="username"
                  autocomplete="username"
                  required
                  value={username}
                  onInput={(e) => setUsername(e.currentTarget.value)}
                />
              </div>
              <div class="field">
                <label for="password">Password</label>
                <input
                  id="password"
                  type="password"
                  autocomplete="current-password"
                  required
                  value={password}
                  onInput={(e) => setPassword(e.currentTarget.value)}
                />
              </div>
              <button type="submit" disabled={busy}>
                Sign in
              </button>
              <p class="hint">The token is kept in this tab's session storage and sent as a Bearer token.</p>
            </form>
          )}
          <ProblemBox error={error} />
        </section>
        <section class="card" aria-labelledby="key-h">
          <h2 id="key-h">With an API key</h2>
          {session.apiKey ? (
            <>
              <p>
                An API key (<code>{session.apiKey.slice(0, 4)}…</code>) is set for this tab. Changing the state needs
                one with the <code>write</code> scope.
              </p>
              <button type="button" onClick={() => setApiKey('')}>
                Forget the key
              </button>
            </>
          ) : (
            <form
              onSubmit={(e) => {
                e.preventDefault()
                setApiKey(keyDraft)
                setKeyDraft('')
              }}
            >
              <div class="field">
                <label for="signin-key">API key</label>
                <input
                  id="signin-key"
                  type="password"
                  autocomplete="off"
                  required
                  value={keyDraft}
                  onInput={(e) => setKeyDraft(e.currentTarget.value)}
                />
              </div>
              <button type="submit">Use this key</button>
              <p class="hint">
                A static key (<code>API_KEY</code>; in development <code>data/secrets/api-key</code>) or an issued token
                (<code>sht_…</code>). Kept in this tab only.
              </p>
            </form>
          )}
        </section>
      </div>
    </>
  )
}
