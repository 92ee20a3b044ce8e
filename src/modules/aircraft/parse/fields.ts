/** How a record's fields are read, the same on both paths (JSON.parse and the byte scanner). */
import { NONE } from './accumulator.js'

/** A numeric field: its value when a finite number, else NONE (missing, a string, null…). */
export const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : NONE)

// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is one of the characters it must find
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
/**
 * Registration/type: trimmed; null when empty, implausibly long, or not storable text (NUL or a lone
 * surrogate, which PostgreSQL rejects).
 */
export const text = (v: unknown): string | null => {
  if (typeof v !== 'string') return null
  const t = v.trim()
  return t === '' || t.length > 100 || UNSTORABLE.test(t) ? null : t
}

/** `emergency`: any text but `"none"` and `""` (readsb writes `"none"`, or leaves the key out). */
export const isEmergency = (v: unknown) => typeof v === 'string' && v !== 'none' && v !== ''
