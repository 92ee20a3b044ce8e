/**
 * One file's bytes (already gunzipped) → its result, in either format (SPEC §6):
 * - readsb-hist snapshots `{now, messages, aircraft: [{hex, r, t, alt_baro, gs, emergency, lat, lon,
 *   seen_pos, ...}]}` — any aircraft field may be missing; `~` hexes (non-ICAO) are kept;
 * - flat records `[{icao, altitude, speed}]` (the reference service's format).
 *
 * A snapshot is ~5 MB of JSON holding ~40 fields per aircraft, of which we need 9. The byte scanner
 * (scanner.ts) reads those 9 and skips the rest without building objects (`npm run bench:parse`
 * measures it against JSON.parse; bench/RESULTS.md has the figure). Anything it does not handle
 * itself (an escaped key, `aircraft` before `now`) and every error fall back to JSON.parse
 * (json-parse.ts), which then decides and names the error of a malformed file. Both paths feed the
 * same accumulator (accumulator.ts), so they agree by construction on everything but syntax, and a
 * property test checks that they agree on syntax too.
 */
import type { CompactFile } from './accumulator.js'
import { parseWithJsonParse } from './json-parse.js'
import { expandCompact, type ParsedFile } from './parsed-file.js'
import { scanCompact } from './scanner.js'

/**
 * Parses one file's bytes (already gunzipped) in either format, in columns (see {@link CompactFile}).
 * @throws MalformedFileError for invalid or truncated JSON, or a top-level value that is neither format.
 */
export function parseAircraftFileCompact(bytes: Uint8Array, name?: string): CompactFile {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return scanCompact(buf) ?? parseWithJsonParse(buf, name)
}

/**
 * Parses one file's bytes (already gunzipped) in either format, as objects.
 * @throws MalformedFileError for invalid or truncated JSON, or a top-level value that is neither format.
 */
export function parseAircraftFile(bytes: Uint8Array, name?: string): ParsedFile {
  return expandCompact(parseAircraftFileCompact(bytes, name))
}
