/**
 * Credentials the user entered: an API key and/or a JWT from /auth/login. Kept in sessionStorage
 * only (gone when the tab closes; never localStorage, never a cookie, never a URL).
 */
import { useEffect, useState } from 'preact/hooks'

const KEY_SLOT = 'statehouse.apiKey'
const JWT_SLOT = 'statehouse.jwt'

export interface Session {
  apiKey: string
  jwt: { token: string; username: string; expiresAt: number } | null
}

function readSession(): Session {
  let jwt: Session['jwt'] = null
  try {
    const raw = sessionStorage.getItem(JWT_SLOT)
    if (raw) jwt = JSON.parse(raw) as Session['jwt']
  } catch {
    jwt = null
  }
  if (jwt && jwt.expiresAt <= Date.now()) jwt = null
  return { apiKey: sessionStorage.getItem(KEY_SLOT) ?? '', jwt }
}

let session = readSession()
const listeners = new Set<() => void>()

function publish() {
  for (const l of listeners) l()
}

function getSession(): Session {
  if (session.jwt && session.jwt.expiresAt <= Date.now()) setJwt(null)
  return session
}

export function setApiKey(key: string) {
  const apiKey = key.trim()
  if (apiKey) sessionStorage.setItem(KEY_SLOT, apiKey)
  else sessionStorage.removeItem(KEY_SLOT)
  session = { ...session, apiKey }
  publish()
}

/** The username claim of a JWT, read (not verified: the server verifies) to say who is signed in. */
function usernameOf(token: string): string {
  try {
    const part = token.split('.')[1] ?? ''
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'))
    const claims = JSON.parse(json) as { username?: unknown; sub?: unknown }
    return String(claims.username ?? claims.sub ?? 'user')
  } catch {
    return 'user'
  }
}

export function setJwt(token: string | null, expiresInSeconds = 1800) {
  if (token) {
    const jwt = { token, username: usernameOf(token), expiresAt: Date.now() + expiresInSeconds * 1000 }
    sessionStorage.setItem(JWT_SLOT, JSON.stringify(jwt))
    session = { ...session, jwt }
  } else {
    sessionStorage.removeItem(JWT_SLOT)
    session = { ...session, jwt: null }
  }
  publish()
}

/** Headers that authenticate a read of a protected route: the signed-in user's JWT, else the key. */
export function readCredentials(s: Session = getSession()): Record<string, string> | null {
  if (s.jwt) return { authorization: `Bearer ${s.jwt.token}` }
  if (s.apiKey) return { 'x-api-key': s.apiKey }
  return null
}

/** Re-renders the calling component whenever the session changes. */
export function useSession(): Session {
  const [, setTick] = useState(0)
  useEffect(() => {
    const l = () => setTick((n) => n + 1)
    listeners.add(l)
    return () => void listeners.delete(l)
  }, [])
  return getSession()
}
