/**
 * One clear line for the failures an operator fixes outside the code (a busy port, an unreachable
 * or refusing PostgreSQL, an unopenable SQLite file) instead of a stack trace; undefined for a bug.
 */
import { type DatabaseTarget, redactUrl } from '../config.js'

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
])

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string') return code
  // Node's happy-eyeballs connect fails with an AggregateError of one error per address.
  if (err instanceof AggregateError) return err.errors.map(codeOf).find((c) => c !== undefined)
  return undefined
}

export function explainStartupFailure(
  err: unknown,
  ctx: { database?: DatabaseTarget; host?: string; port?: number },
): string | undefined {
  const code = codeOf(err)
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err)
  const where = ctx.host !== undefined ? `${ctx.host}:${ctx.port}` : 'the configured address'
  if (code === 'EADDRINUSE') return `cannot listen on ${where}: the port is in use (another statehouse? set PORT)`
  if (code === 'EADDRNOTAVAIL') return `cannot listen on ${where}: no such address on this machine (set HOST)`
  if (code === 'EACCES' && (err as { syscall?: string }).syscall === 'listen')
    return `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`
  const db = ctx.database
  if (db?.engine === 'postgresql') {
    if (code && NETWORK_CODES.has(code)) return `cannot reach PostgreSQL at ${redactUrl(db.url)}: ${code}`
    // A server's refusal (bad password, no such database) carries a five-character SQLSTATE.
    if (code && /^[0-9A-Z]{5}$/.test(code) && (err as { severity?: string }).severity)
      return `PostgreSQL at ${redactUrl(db.url)} refused: ${message}`
  }
  if (db?.engine === 'sqlite' && code?.startsWith('SQLITE_CANTOPEN'))
    return `cannot open the SQLite database ${db.filename}: ${message} (does its folder exist and is it writable?)`
  return undefined
}
