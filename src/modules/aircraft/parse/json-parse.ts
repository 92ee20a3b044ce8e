/** The reference path: JSON.parse, then walk the objects. The authority on syntax and on errors. */
import { type CompactFile, FileAccumulator, GROUND, NONE } from './accumulator.js'
import { isEmergency, num, text } from './fields.js'
import { icaoKey, readIcao } from './icao.js'
import { MAX_MS, MIN_MS } from './iso-time.js'
import { MalformedFileError } from './malformed-file-error.js'

/** Parses with `JSON.parse`: slower, but the authority on syntax and the fallback of the scanner. */
/** `value` when it is a JSON object (not null, not an array), else null. */
const asObject = (value: unknown): Record<string, unknown> | null =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null

export function parseWithJsonParse(buf: Buffer, name?: string): CompactFile {
  let doc: unknown
  const json = buf.toString('utf8')
  try {
    doc = JSON.parse(json)
  } catch (err) {
    // Truncated when the parser ran out of input: V8 says so, or names the position of the end.
    const why = (err as Error).message
    const at = /at position (\d+)/.exec(why)
    const truncated = /end of JSON input/i.test(why) || (at !== null && Number(at[1]) >= json.trimEnd().length)
    throw new MalformedFileError(`${truncated ? 'truncated' : 'invalid'} JSON (${why})`, name)
  }
  if (Array.isArray(doc)) {
    const acc = new FileAccumulator('flat', NaN)
    for (const entry of doc) {
      const r = asObject(entry)
      const icao = r === null ? null : readIcao(r.icao)
      if (r === null || icao === null) {
        acc.skipped++
        continue
      }
      acc.add(acc.slotOf(icaoKey(icao), icao), null, null, num(r.altitude), num(r.speed), false, NONE, NONE, NONE)
    }
    return acc.finish()
  }
  if (doc === null || typeof doc !== 'object')
    throw new MalformedFileError(
      shapeReason(typeof doc === 'string' ? 'a string' : doc === null ? 'null' : `a ${typeof doc}`),
      name,
    )
  const snapshot = doc as Record<string, unknown>
  if (!Array.isArray(snapshot.aircraft))
    throw new MalformedFileError(shapeReason('an object without an "aircraft" array'), name)
  const now = num(snapshot.now)
  if (!(now * 1000 >= MIN_MS && now * 1000 <= MAX_MS))
    throw new MalformedFileError('readsb-hist snapshot without a usable numeric "now"', name)
  const acc = new FileAccumulator('readsb-hist', now)
  for (const entry of snapshot.aircraft as unknown[]) {
    const a = asObject(entry)
    const icao = a === null ? null : readIcao(a.hex)
    if (a === null || icao === null) {
      acc.skipped++
      continue
    }
    acc.add(
      acc.slotOf(icaoKey(icao), icao),
      text(a.r),
      text(a.t),
      a.alt_baro === 'ground' ? GROUND : num(a.alt_baro),
      num(a.gs),
      isEmergency(a.emergency),
      num(a.lat),
      num(a.lon),
      num(a.seen_pos),
    )
  }
  return acc.finish()
}

function shapeReason(what: string) {
  return `neither a readsb-hist snapshot ({"now", "aircraft": [...]}) nor an array of {icao, altitude, speed} records: the top level is ${what}`
}
