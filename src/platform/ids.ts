/**
 * Ids of new rows that the API names by a string (users, profiles, tokens, builds): UUID version 7
 * (RFC 9562). The 48-bit millisecond timestamp first keeps new keys at the right edge of their
 * index (locality, like a serial); within one millisecond the 12-bit `rand_a` field counts up
 * (RFC 9562 §6.2 method 3), so ids made by one process sort in the order they were made.
 */
import { randomBytes } from 'node:crypto'

let lastMs = 0
let sequence = 0

export function uuidv7(now = Date.now()): string {
  // A clock that steps back must not make an id sort before the previous one.
  let ms = Math.max(now, lastMs)
  if (ms === lastMs) {
    sequence++
    if (sequence > 0xfff) {
      ms++ // 4096 ids in one millisecond: borrow the next one
      sequence = 0
    }
  } else {
    sequence = 0
  }
  lastMs = ms
  const bytes = randomBytes(16)
  bytes.writeUIntBE(ms, 0, 6)
  bytes[6] = 0x70 | (sequence >> 8) // version 7, top 4 bits of the sequence
  bytes[7] = sequence & 0xff
  bytes[8] = 0x80 | (bytes[8]! & 0x3f) // variant 10
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/**
 * What a string id of the API looks like: a UUID (new rows) or the decimal text of an integer id
 * that a row had before ids became strings (kept, so clients' stored ids still work).
 */
export const STRING_ID_PATTERN = '^(?:[1-9][0-9]{0,15}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$'
