/**
 * The database-free core of the aircraft ingest (SPEC §6): one file's bytes → a compact per-file
 * result (one aggregate per aircraft, plus positions), and the law that folds such aggregates into
 * stored statistics.
 *
 * Two formats, detected per file from the top-level JSON value:
 * - readsb-hist snapshots `{now, messages, aircraft: [{hex, r, t, alt_baro, gs, emergency, lat, lon,
 *   seen_pos, ...}]}` — any aircraft field may be missing; `~` hexes (non-ICAO) are kept;
 * - flat records `[{icao, altitude, speed}]` (the reference service's format).
 *
 * Speed: a snapshot is ~5 MB of JSON holding ~40 fields per aircraft, of which we need 9. A
 * validating byte scanner ({@link scanCompact}) reads those 9 and skips the rest without building
 * objects (measured: ~2× faster than JSON.parse alone, which builds every object); anything it does
 * not handle itself (an escaped key, `aircraft` before `now`) and every error fall back to
 * `JSON.parse`, which then decides and names the error of a malformed file. Both paths feed the same
 * accumulator, so they agree by construction on everything but syntax, and a property test checks
 * that they agree on syntax too. Results are columns ({@link CompactFile}) that a worker thread
 * can hand over without copying; {@link expandCompact} makes objects of them.
 */
import { gunzipSync } from 'node:zlib'

/** An aircraft id: 1–10 ASCII letters or digits, optionally `~`-prefixed (a non-ICAO TIS-B track). */
export const ICAO_PATTERN = /^~?[a-z0-9]{1,10}$/i

/**
 * The id as written when it is one ({@link ICAO_PATTERN}), else null. No trimming: `" a1"` is not an
 * id. Ids are returned as the data first wrote them (a flat record's `A320` stays `A320`) and matched
 * case-insensitively, through {@link icaoKey}.
 */
export function readIcao(s: unknown): string | null {
  return typeof s === 'string' && ICAO_PATTERN.test(s) ? s : null
}

/** The key an id is stored and matched by: lower-cased, so `A320` and `a320` are one aircraft. */
export function icaoKey(icao: string): string {
  return icao.toLowerCase()
}

/** A file that cannot be read as either format; `reason` is what the job records as `{file, reason}`. */
export class MalformedFileError extends Error {
  override name = 'MalformedFileError'
  constructor(
    /** Why, without the file name. */
    readonly reason: string,
    /** The file, when known. */
    readonly file?: string,
  ) {
    super(file ? `${file}: ${reason}` : reason)
  }
}

/** One aircraft's statistics over one file, or (folded with {@link mergeAggregates}) over many. */
export interface AircraftAggregate {
  /** The id as first written (see {@link readIcao}); {@link icaoKey} of it identifies the aircraft. */
  icao: string
  registration: string | null
  type: string | null
  observations: number
  /** Highest numeric `alt_baro`; `"ground"` never counts here. */
  maxAltitudeBaro: number | null
  sumAltitude: number
  /** Records with an altitude; `"ground"` counts, as altitude 0. */
  altitudeCount: number
  maxGroundSpeed: number | null
  sumSpeed: number
  speedCount: number
  /** Some record had an `emergency` other than absent/`"none"`. */
  hadEmergency: boolean
  /** ISO 8601 UTC (`…Z`) of the earliest record (`now - seen_pos`, or `now`); null for flat records. */
  firstSeen: string | null
  lastSeen: string | null
}

/** A position report: `timestamp` = `now - seen_pos`, ISO 8601 UTC to the millisecond. */
export interface AircraftPosition {
  /** Its aircraft's id as first written. */
  icao: string
  timestamp: string
  lat: number
  lon: number
}

/** The compact result of one file. */
export interface ParsedFile {
  format: 'readsb-hist' | 'flat'
  /** One per aircraft, in order of first appearance. */
  aggregates: AircraftAggregate[]
  /** Deduplicated by (icao, timestamp) within the file. */
  positions: AircraftPosition[]
  /** Aircraft records read (those with a valid id). */
  records: number
  /** Entries skipped for a missing or invalid id (or not being an object at all). */
  recordsSkipped: number
}

/** The API shape of an aircraft's statistics (SPEC §6). */
export interface AircraftStats {
  icao: string
  registration: string | null
  type: string | null
  observations: number
  max_altitude_baro: number | null
  max_ground_speed: number | null
  avg_altitude: number | null
  avg_speed: number | null
  had_emergency: boolean
  first_seen: string | null
  last_seen: string | null
}

/** An aggregate with nothing observed yet: the identity of {@link mergeAggregates}. */
export function emptyAggregate(icao: string): AircraftAggregate {
  return {
    icao,
    registration: null,
    type: null,
    observations: 0,
    maxAltitudeBaro: null,
    sumAltitude: 0,
    altitudeCount: 0,
    maxGroundSpeed: null,
    sumSpeed: 0,
    speedCount: 0,
    hadEmergency: false,
    firstSeen: null,
    lastSeen: null,
  }
}

const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b))
// Timestamps are always `YYYY-MM-DDTHH:mm:ss.sssZ` (years 0–9999, see toIso), so string order is time order.
const minIso = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : a <= b ? a : b)
const maxIso = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : a >= b ? a : b)

/**
 * Folds `b` (the later file) into `a`: the id keeps `a`'s spelling (the first written), observations,
 * sums and counts add, maxima take the max, emergency ORs, first_seen takes the min and last_seen the
 * max, registration/type keep the latest non-null. Associative, and commutative except for registration/type (latest wins), so stored
 * stats do not depend on the order files are folded in. Float sums are exact only up to rounding.
 */
export function mergeAggregates(a: AircraftAggregate, b: AircraftAggregate): AircraftAggregate {
  return {
    icao: a.icao,
    registration: b.registration ?? a.registration,
    type: b.type ?? a.type,
    observations: a.observations + b.observations,
    maxAltitudeBaro: maxOf(a.maxAltitudeBaro, b.maxAltitudeBaro),
    sumAltitude: a.sumAltitude + b.sumAltitude,
    altitudeCount: a.altitudeCount + b.altitudeCount,
    maxGroundSpeed: maxOf(a.maxGroundSpeed, b.maxGroundSpeed),
    sumSpeed: a.sumSpeed + b.sumSpeed,
    speedCount: a.speedCount + b.speedCount,
    hadEmergency: a.hadEmergency || b.hadEmergency,
    firstSeen: minIso(a.firstSeen, b.firstSeen),
    lastSeen: maxIso(a.lastSeen, b.lastSeen),
  }
}

/** The API shape: averages are sum/count, or null when nothing was counted. */
export function toStats(agg: AircraftAggregate): AircraftStats {
  return {
    icao: agg.icao,
    registration: agg.registration,
    type: agg.type,
    observations: agg.observations,
    max_altitude_baro: agg.maxAltitudeBaro,
    max_ground_speed: agg.maxGroundSpeed,
    avg_altitude: agg.altitudeCount > 0 ? agg.sumAltitude / agg.altitudeCount : null,
    avg_speed: agg.speedCount > 0 ? agg.sumSpeed / agg.speedCount : null,
    had_emergency: agg.hadEmergency,
    first_seen: agg.firstSeen,
    last_seen: agg.lastSeen,
  }
}

/**
 * Output buffer size for gunzipSync: the size the gzip trailer states (ISIZE, the last 4 bytes), so
 * a file inflates into one buffer instead of ~300 chunks of 16 KiB concatenated at the end (~3 ms
 * a snapshot). Only a hint: a wrong or multi-member trailer just means more or unused room; at most 16 MiB.
 */
function gunzipChunkSize(buf: Buffer): number {
  const stated = buf.length >= 18 ? buf.readUInt32LE(buf.length - 4) : 0
  return Math.min(Math.max(stated + 1, 16 * 1024), 16 * 1024 * 1024)
}

/**
 * Gunzips when the bytes start with the gzip magic (whatever the file is called, so a mislabelled
 * file still reads); a truncated or corrupt stream is a {@link MalformedFileError}.
 */
export function gunzipIfNeeded(bytes: Uint8Array, name?: string): Buffer {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buf.length < 2 || buf[0] !== 0x1f || buf[1] !== 0x8b) return buf
  try {
    return gunzipSync(buf, { chunkSize: gunzipChunkSize(buf) })
  } catch (err) {
    throw new MalformedFileError(`not a complete gzip stream (${(err as Error).message})`, name)
  }
}

/**
 * Parses one file's bytes (already gunzipped) in either format, in columns (see {@link CompactFile}).
 * @throws MalformedFileError for invalid or truncated JSON, or a top-level value that is neither format.
 */
export function parseAircraftFileCompact(bytes: Uint8Array, name?: string): CompactFile {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return scanCompact(buf) ?? parseWithJsonParse(buf, name)
}

/**
 * Parses one file's bytes (already gunzipped) in either format.
 * @throws MalformedFileError for invalid or truncated JSON, or a top-level value that is neither format.
 */
export function parseAircraftFile(bytes: Uint8Array, name?: string): ParsedFile {
  return expandCompact(parseAircraftFileCompact(bytes, name))
}

// ---------------------------------------------------------------------------------------------
// Accumulation, shared by both parsers. Columnar (typed arrays), because a snapshot's ~8,000
// aggregate objects and ~7,000 positions, alive for the whole parse, made the garbage collector the
// largest cost; columns are also what a worker thread can hand over without copying.

/** `alt_baro` after reading: a number, the `"ground"` marker, or nothing usable. */
const GROUND = -Infinity
const NONE = NaN
// Valid Date range for 4-digit ISO years, so timestamps sort as strings (see minIso).
const MIN_MS = -62_167_219_200_000 // 0000-01-01
const MAX_MS = 253_402_300_799_999 // 9999-12-31T23:59:59.999

/**
 * One file's result in columns, cheap to post between threads (the typed arrays are transferable);
 * {@link expandCompact} turns it into a {@link ParsedFile}. NaN stands for null in `stats`.
 */
export interface CompactFile {
  format: ParsedFile['format']
  records: number
  recordsSkipped: number
  /** Per aircraft: its key ({@link icaoKey}: lower-cased), which stored rows are keyed and matched by. */
  icaos: string[]
  /** Per aircraft: its id as first written in the file (often the very string of `icaos`). */
  writtenIcaos: string[]
  registrations: (string | null)[]
  types: (string | null)[]
  /** {@link STATS_STRIDE} per aircraft: observations, maxAlt, sumAlt, altCount, maxGs, sumGs, gsCount, firstMs, lastMs. */
  stats: Float64Array
  emergency: Uint8Array
  /** Per position: the aircraft's index in `icaos`. */
  positionAircraft: Int32Array
  /** Per position: epoch ms, lat, lon. */
  positionData: Float64Array
}

/** Numbers per aircraft in {@link CompactFile.stats}. */
export const STATS_STRIDE = 9

/** Per-file accumulator; `now` in epoch seconds for snapshots, NaN for flat files. */
class FileAccumulator {
  /** Ids → aircraft index, for the JSON.parse path and ids that are not 6 hex digits. */
  private readonly index = new Map<string, number>()
  /**
   * The scanner's index for 6-hex-digit ids (nearly all of them): open addressing on the id's value
   * (+2^24 for `~`), so a record costs no string and no Map lookup; a Map of ~9,000 fresh strings
   * cost ~3 ms per snapshot.
   */
  private hexKeys: Int32Array // key + 1; 0 = empty
  private hexValues: Int32Array
  private hexBits: number
  readonly icaos: string[] = []
  readonly writtenIcaos: string[] = []
  readonly regs: (string | null)[] = []
  readonly types: (string | null)[] = []
  stats: Float64Array
  emergency: Uint8Array
  /** Time of each aircraft's last position in this file, to find duplicates cheaply. */
  lastPosMs: Float64Array
  /** All position times of aircraft seen twice in this file (rare). */
  posTimes: Map<number, Set<number>> | null = null
  posAircraft: Int32Array
  posData: Float64Array
  count = 0
  posCount = 0
  records = 0
  skipped = 0
  /** Whether the last slot lookup created the aircraft. */
  fresh = false

  /** `capacity`: expected aircraft (a guess from the file size; the columns grow past it). */
  constructor(
    readonly format: ParsedFile['format'],
    readonly now: number,
    capacity = 64,
  ) {
    const cap = Math.max(16, capacity)
    this.stats = new Float64Array(STATS_STRIDE * cap)
    this.emergency = new Uint8Array(cap)
    this.lastPosMs = new Float64Array(cap)
    this.posAircraft = new Int32Array(cap)
    this.posData = new Float64Array(3 * cap)
    this.hexBits = Math.max(6, Math.ceil(Math.log2(cap * 2)))
    this.hexKeys = new Int32Array(1 << this.hexBits)
    this.hexValues = new Int32Array(1 << this.hexBits)
  }

  /** The index of an aircraft by its key ({@link icaoKey}), created (spelled `written`) when new. */
  slotOf(key: string, written: string): number {
    const i = this.index.get(key)
    if (i !== undefined) {
      this.fresh = false
      return i
    }
    const created = this.create(key, written)
    this.index.set(key, created)
    return created
  }

  /** The index of the aircraft with a 6-hex-digit id (`key`: its value, +2^24 with `~`), or -1. */
  findHex(key: number): number {
    const keys = this.hexKeys
    const mask = keys.length - 1
    const stored = key + 1
    let h = (Math.imul(key, 0x9e3779b1) >>> (32 - this.hexBits)) & mask
    for (;;) {
      const k = keys[h] as number
      if (k === stored) {
        this.fresh = false
        return this.hexValues[h] as number
      }
      if (k === 0) return -1
      h = (h + 1) & mask
    }
  }

  /** Creates the aircraft with a 6-hex-digit id (after findHex said -1): its key text and its spelling. */
  addHex(key: number, icao: string, written: string): number {
    const keys = this.hexKeys
    const mask = keys.length - 1
    let h = (Math.imul(key, 0x9e3779b1) >>> (32 - this.hexBits)) & mask
    while (keys[h] !== 0) h = (h + 1) & mask
    const created = this.create(icao, written)
    keys[h] = key + 1
    this.hexValues[h] = created
    if (this.count * 2 > keys.length) this.growHex()
    return created
  }

  private growHex() {
    const oldKeys = this.hexKeys
    const oldValues = this.hexValues
    const keys = new Int32Array(oldKeys.length * 2)
    const values = new Int32Array(oldKeys.length * 2)
    const mask = keys.length - 1
    this.hexBits++
    const shift = 32 - this.hexBits
    for (let j = 0; j < oldKeys.length; j++) {
      const stored = oldKeys[j] as number
      if (stored === 0) continue
      let h = (Math.imul(stored - 1, 0x9e3779b1) >>> shift) & mask
      while (keys[h] !== 0) h = (h + 1) & mask
      keys[h] = stored
      values[h] = oldValues[j] as number
    }
    this.hexKeys = keys
    this.hexValues = values
  }

  private create(icao: string, written: string): number {
    const i = this.count++
    if (i === this.emergency.length) this.grow()
    this.icaos.push(icao)
    this.writtenIcaos.push(written)
    this.regs.push(null)
    this.types.push(null)
    const o = i * STATS_STRIDE
    const st = this.stats
    st[o + 1] = NaN
    st[o + 4] = NaN
    st[o + 7] = NaN
    st[o + 8] = NaN
    this.lastPosMs[i] = NaN
    this.fresh = true
    return i
  }

  private grow() {
    const cap = this.emergency.length * 2
    const stats = new Float64Array(STATS_STRIDE * cap)
    stats.set(this.stats)
    this.stats = stats
    const emergency = new Uint8Array(cap)
    emergency.set(this.emergency)
    this.emergency = emergency
    const last = new Float64Array(cap)
    last.set(this.lastPosMs)
    this.lastPosMs = last
  }

  private growPositions() {
    const cap = this.posAircraft.length * 2
    const ids = new Int32Array(cap)
    ids.set(this.posAircraft)
    this.posAircraft = ids
    const data = new Float64Array(3 * cap)
    data.set(this.posData)
    this.posData = data
  }

  /**
   * One record of aircraft `i` (from slotOf, findHex or addHex, just before). `alt`: number, GROUND or NONE;
   * `gs`, `lat`, `lon`, `seenPos`: number or NaN. Registration/type: the string or null.
   */
  add(i: number, reg: string | null, type: string | null, alt: number, gs: number, emergency: boolean, lat: number, lon: number, seenPos: number) {
    this.records++
    const fresh = this.fresh
    const st = this.stats
    const o = i * STATS_STRIDE
    st[o] = (st[o] as number) + 1
    if (alt === GROUND) {
      st[o + 3] = (st[o + 3] as number) + 1 // on the ground: altitude 0 for the average, never a maximum
    } else if (alt === alt) {
      st[o + 2] = (st[o + 2] as number) + alt
      st[o + 3] = (st[o + 3] as number) + 1
      if (!((st[o + 1] as number) >= alt)) st[o + 1] = alt
    }
    if (gs === gs) {
      st[o + 5] = (st[o + 5] as number) + gs
      st[o + 6] = (st[o + 6] as number) + 1
      if (!((st[o + 4] as number) >= gs)) st[o + 4] = gs
    }
    if (emergency) this.emergency[i] = 1
    if (reg !== null) this.regs[i] = reg
    if (type !== null) this.types[i] = type
    const now = this.now
    if (now !== now) return // flat records carry no time
    let ms = Math.round(now * 1000)
    let hasTime = false
    if (seenPos === seenPos) {
      const t = Math.round((now - seenPos) * 1000) // round: 1698796799.300 - 0.3 is not exact in binary
      if (t >= MIN_MS && t <= MAX_MS) {
        ms = t
        hasTime = true
      }
    }
    if (!((st[o + 7] as number) <= ms)) st[o + 7] = ms
    if (!((st[o + 8] as number) >= ms)) st[o + 8] = ms
    if (hasTime && lat === lat && lon === lon) {
      if (!fresh) {
        // The same aircraft twice in one file: keep one position per timestamp.
        const times = (this.posTimes ??= new Map())
        let set = times.get(i)
        if (set === undefined) {
          const last = this.lastPosMs[i] as number
          set = new Set(last === last ? [last] : [])
          times.set(i, set)
        }
        if (set.has(ms)) return
        set.add(ms)
      }
      this.lastPosMs[i] = ms
      const k = this.posCount++
      if (k === this.posAircraft.length) this.growPositions()
      this.posAircraft[k] = i
      this.posData[3 * k] = ms
      this.posData[3 * k + 1] = lat
      this.posData[3 * k + 2] = lon
    }
  }

  finish(): CompactFile {
    return {
      format: this.format,
      records: this.records,
      recordsSkipped: this.skipped,
      icaos: this.icaos,
      writtenIcaos: this.writtenIcaos,
      registrations: this.regs,
      types: this.types,
      // Copies trimmed to size, so a transfer moves only what is used.
      stats: this.stats.slice(0, this.count * STATS_STRIDE),
      emergency: this.emergency.slice(0, this.count),
      positionAircraft: this.posAircraft.slice(0, this.posCount),
      positionData: this.posData.slice(0, 3 * this.posCount),
    }
  }
}

const orNull = (v: number): number | null => (v === v ? v : null)

/** Objects from columns: one aggregate per aircraft, one position object per position; ids as first written. */
export function expandCompact(c: CompactFile): ParsedFile {
  const n = c.icaos.length
  const aggregates: AircraftAggregate[] = new Array(n)
  const st = c.stats
  for (let i = 0; i < n; i++) {
    const o = i * STATS_STRIDE
    const first = st[o + 7] as number
    const last = st[o + 8] as number
    const firstSeen = first === first ? toIso(first) : null
    aggregates[i] = {
      icao: c.writtenIcaos[i] as string,
      registration: c.registrations[i] ?? null,
      type: c.types[i] ?? null,
      observations: st[o] as number,
      maxAltitudeBaro: orNull(st[o + 1] as number),
      sumAltitude: st[o + 2] as number,
      altitudeCount: st[o + 3] as number,
      maxGroundSpeed: orNull(st[o + 4] as number),
      sumSpeed: st[o + 5] as number,
      speedCount: st[o + 6] as number,
      hadEmergency: c.emergency[i] === 1,
      firstSeen,
      lastSeen: firstSeen === null ? null : first === last ? firstSeen : toIso(last),
    }
  }
  const m = c.positionAircraft.length
  const positions: AircraftPosition[] = new Array(m)
  const pd = c.positionData
  for (let k = 0; k < m; k++) {
    positions[k] = { icao: c.writtenIcaos[c.positionAircraft[k] as number] as string, timestamp: toIso(pd[3 * k] as number), lat: pd[3 * k + 1] as number, lon: pd[3 * k + 2] as number }
  }
  return { format: c.format, aggregates, positions, records: c.records, recordsSkipped: c.recordsSkipped }
}

/** "000Z" … "999Z". */
const MILLIS = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(3, '0')}Z`)
// The text up to the second for a window of seconds around the last one asked for: a snapshot's
// times spread over minutes (ADS-C reports are old), so a one-entry cache would keep missing.
const ISO_WINDOW = 4096
let isoBase = NaN
let isoPrefixes: (string | undefined)[] = []

/** ISO 8601 UTC to the millisecond (`2023-11-01T00:00:00.300Z`) of an integer epoch-ms time. */
export function toIso(ms: number): string {
  const sec = Math.floor(ms / 1000)
  const milli = ms - sec * 1000
  let d = sec - isoBase
  if (!(d >= 0 && d < ISO_WINDOW)) {
    isoBase = sec - ISO_WINDOW / 2
    isoPrefixes = new Array(ISO_WINDOW)
    d = ISO_WINDOW / 2
  }
  let prefix = isoPrefixes[d]
  if (prefix === undefined) {
    prefix = new Date(sec * 1000).toISOString().slice(0, 20) // YYYY-MM-DDTHH:mm:ss.
    isoPrefixes[d] = prefix
  }
  return prefix + (MILLIS[milli] as string)
}

// ---------------------------------------------------------------------------------------------
// The reference path: JSON.parse, then walk the objects.

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : NONE)
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
/**
 * Registration/type: trimmed; null when empty, implausibly long, or not storable text (NUL or a lone
 * surrogate, which PostgreSQL rejects).
 */
const text = (v: unknown): string | null => {
  if (typeof v !== 'string') return null
  const t = v.trim()
  return t === '' || t.length > 100 || UNSTORABLE.test(t) ? null : t
}
const isEmergency = (v: unknown) => typeof v === 'string' && v !== 'none' && v !== ''

/** Parses with `JSON.parse`: slower, but the authority on syntax and the fallback of the scanner. */
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
      const r = entry !== null && typeof entry === 'object' && !Array.isArray(entry) ? (entry as Record<string, unknown>) : null
      const icao = r === null ? null : readIcao(r.icao)
      if (r === null || icao === null) {
        acc.skipped++
        continue
      }
      acc.add(acc.slotOf(icaoKey(icao), icao), null, null, num(r.altitude), num(r.speed), false, NONE, NONE, NONE)
    }
    return acc.finish()
  }
  if (doc === null || typeof doc !== 'object') throw new MalformedFileError(shapeReason(typeof doc === 'string' ? 'a string' : doc === null ? 'null' : `a ${typeof doc}`), name)
  const snapshot = doc as Record<string, unknown>
  if (!Array.isArray(snapshot.aircraft)) throw new MalformedFileError(shapeReason('an object without an "aircraft" array'), name)
  const now = num(snapshot.now)
  if (!(now * 1000 >= MIN_MS && now * 1000 <= MAX_MS)) throw new MalformedFileError('readsb-hist snapshot without a usable numeric "now"', name)
  const acc = new FileAccumulator('readsb-hist', now)
  for (const entry of snapshot.aircraft as unknown[]) {
    const a = entry !== null && typeof entry === 'object' && !Array.isArray(entry) ? (entry as Record<string, unknown>) : null
    const icao = a === null ? null : readIcao(a.hex)
    if (a === null || icao === null) {
      acc.skipped++
      continue
    }
    acc.add(acc.slotOf(icaoKey(icao), icao), text(a.r), text(a.t), a.alt_baro === 'ground' ? GROUND : num(a.alt_baro), num(a.gs), isEmergency(a.emergency), num(a.lat), num(a.lon), num(a.seen_pos))
  }
  return acc.finish()
}

function shapeReason(what: string) {
  return `neither a readsb-hist snapshot ({"now", "aircraft": [...]}) nor an array of {icao, altitude, speed} records: the top level is ${what}`
}

// ---------------------------------------------------------------------------------------------
// The fast path: a validating scanner over the bytes that decodes only the fields we use.
//
// It accepts exactly the JSON grammar (RFC 8259; checked against JSON.parse by a property test) and
// declines (BAIL) anything it does not handle itself and any error, so that the JSON.parse path
// decides the outcome. The buffer and position live in module variables (a scan is synchronous, so
// one runs per thread at a time); hot loops work on local copies and store the position once.

const BAIL = Symbol('bail')
const EMPTY = Buffer.alloc(0)
let b: Buffer = EMPTY
let p = 0
/** Set by scanString: the string had a backslash escape / a byte ≥ 0x80. */
let escaped = false
let highBytes = false

function fail(): never {
  throw BAIL
}

function skipWs() {
  const buf = b
  let i = p
  let c = buf[i]
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = buf[++i]
  p = i
}

/** p at the opening quote: validates the string, leaves p after it and returns the closing quote's index. */
function scanString(): number {
  const buf = b
  let i = p + 1
  let esc = false
  let high = false
  for (;;) {
    const c = buf[i]
    if (c === 0x22) break
    if (c === undefined || c < 0x20) fail() // unterminated, or a raw control character
    if (c === 0x5c) {
      esc = true
      const e = buf[i + 1]
      if (e === 0x75) {
        if (!isHex(buf[i + 2]) || !isHex(buf[i + 3]) || !isHex(buf[i + 4]) || !isHex(buf[i + 5])) fail()
        i += 6
        continue
      }
      if (e !== 0x22 && e !== 0x5c && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) fail()
      i += 2
      continue
    }
    if (c >= 0x80) high = true
    i++
  }
  escaped = esc
  highBytes = high
  p = i + 1
  return i
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66))
}

/** A string value's content (p at the opening quote). */
function readString(): string {
  const start = p
  const end = scanString()
  if (escaped) return JSON.parse(b.toString('utf8', start, end + 1)) as string
  return b.toString(highBytes ? 'utf8' : 'latin1', start + 1, end)
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

/**
 * A number (p at '-' or a digit), validated against the JSON grammar. With up to 15 significant
 * digits and no exponent, mantissa / 10^k is one correctly rounded division of exact values: the
 * same double JSON.parse gives (Clinger's fast path). Anything longer goes through Number().
 */
function readNumber(): number {
  const buf = b
  const start = p
  let i = p
  let c = buf[i]
  let neg = false
  if (c === 0x2d) {
    neg = true
    c = buf[++i]
  }
  let mant = 0
  let digits = 0
  if (c === 0x30) {
    c = buf[++i]
  } else if (c !== undefined && c >= 0x31 && c <= 0x39) {
    do {
      mant = mant * 10 + (c - 0x30)
      digits++
      c = buf[++i]
    } while (c !== undefined && c >= 0x30 && c <= 0x39)
  } else fail()
  let scale = 0
  if (c === 0x2e) {
    c = buf[++i]
    if (c === undefined || c < 0x30 || c > 0x39) fail()
    do {
      mant = mant * 10 + (c - 0x30)
      if (mant !== 0) digits++ // the leading zeros of 0.000123 are not significant
      scale++
      c = buf[++i]
    } while (c !== undefined && c >= 0x30 && c <= 0x39)
  }
  let exact = digits <= 15 && scale <= 22
  if (c === 0x65 || c === 0x45) {
    c = buf[++i]
    if (c === 0x2b || c === 0x2d) c = buf[++i]
    if (c === undefined || c < 0x30 || c > 0x39) fail()
    do c = buf[++i]
    while (c !== undefined && c >= 0x30 && c <= 0x39)
    exact = false
  }
  p = i
  if (!exact) return Number(buf.toString('latin1', start, i))
  const v = scale === 0 ? mant : mant / (POW10[scale] as number)
  return neg ? -v : v
}

/** Skips a number: validates the grammar without computing the value. */
function skipNumber() {
  const buf = b
  let i = p
  let c = buf[i]
  if (c === 0x2d) c = buf[++i]
  if (c === 0x30) c = buf[++i]
  else if (c !== undefined && c >= 0x31 && c <= 0x39) {
    do c = buf[++i]
    while (c !== undefined && c >= 0x30 && c <= 0x39)
  } else fail()
  if (c === 0x2e) {
    c = buf[++i]
    if (c === undefined || c < 0x30 || c > 0x39) fail()
    do c = buf[++i]
    while (c !== undefined && c >= 0x30 && c <= 0x39)
  }
  if (c === 0x65 || c === 0x45) {
    c = buf[++i]
    if (c === 0x2b || c === 0x2d) c = buf[++i]
    if (c === undefined || c < 0x30 || c > 0x39) fail()
    do c = buf[++i]
    while (c !== undefined && c >= 0x30 && c <= 0x39)
  }
  p = i
}

const TRUE = Buffer.from('true')
const FALSE = Buffer.from('false')
const NULL = Buffer.from('null')

/** Whether buf[s, s + word.length) is `word`. */
function matches(buf: Buffer, s: number, word: Buffer): boolean {
  for (let k = 0; k < word.length; k++) if (buf[s + k] !== word[k]) return false
  return true
}

function expectLiteral(word: Buffer) {
  if (!matches(b, p, word)) fail()
  p += word.length
}

// Deep nesting is legal JSON, but recursion could overflow the stack; JSON.parse judges it instead.
const MAX_DEPTH = 512

/** Skips any value, validating it. */
function skipValue(depth: number) {
  const c = b[p]
  if (c === 0x22) scanString()
  else if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) skipNumber()
  else if (c === 0x5b) skipArray(depth + 1)
  else if (c === 0x7b) skipObject(depth + 1)
  else if (c === 0x74) expectLiteral(TRUE)
  else if (c === 0x66) expectLiteral(FALSE)
  else if (c === 0x6e) expectLiteral(NULL)
  else fail()
}

/** After a member or element: true to continue after a comma, false at the closing `close`. */
function next(close: number): boolean {
  skipWs()
  const c = b[p++]
  if (c === 0x2c) {
    skipWs()
    return true
  }
  if (c === close) return false
  fail()
}

function skipObject(depth: number) {
  if (depth > MAX_DEPTH) fail()
  p++
  skipWs()
  if (b[p] === 0x7d) {
    p++
    return
  }
  do {
    if (b[p] !== 0x22) fail()
    scanString()
    skipWs()
    if (b[p] !== 0x3a) fail()
    p++
    skipWs()
    skipValue(depth)
  } while (next(0x7d))
}

function skipArray(depth: number) {
  if (depth > MAX_DEPTH) fail()
  p++
  skipWs()
  if (b[p] === 0x5d) {
    p++
    return
  }
  do skipValue(depth)
  while (next(0x5d))
}

const K_OTHER = 0
const K_HEX = 1
const K_R = 2
const K_T = 3
const K_ALT_BARO = 4
const K_GS = 5
const K_EMERGENCY = 6
const K_LAT = 7
const K_LON = 8
const K_SEEN_POS = 9
const K_NOW = 10
const K_AIRCRAFT = 11
const K_ICAO = 12
const K_ALTITUDE = 13
const K_SPEED = 14
const W_ICAO = Buffer.from('icao')
const W_SPEED = Buffer.from('speed')
const W_ALT_BARO = Buffer.from('alt_baro')
const W_AIRCRAFT = Buffer.from('aircraft')
const W_ALTITUDE = Buffer.from('altitude')
const W_SEEN_POS = Buffer.from('seen_pos')
const W_EMERGENCY = Buffer.from('emergency')
const W_GROUND = Buffer.from('ground')
const W_NONE = Buffer.from('none')

/**
 * Reads a key (p at its opening quote) and the colon after it; returns which key (K_OTHER for one
 * we do not use). A key with an escape is left to JSON.parse ("h\u0065x" is "hex").
 */
function readKey(): number {
  const buf = b
  const s = p + 1
  let i = s
  let c = buf[i]
  while (c !== 0x22) {
    if (c === undefined || c < 0x20 || c === 0x5c) fail()
    c = buf[++i]
  }
  const id = keyId(buf, s, i - s)
  c = buf[++i]
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = buf[++i]
  if (c !== 0x3a) fail()
  c = buf[++i]
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = buf[++i]
  p = i
  return id
}

/** Which of the keys we use sits at buf[s, s + len): dispatch on length and first bytes, then compare. */
function keyId(buf: Buffer, s: number, len: number): number {
  const c0 = buf[s]
  switch (len) {
    case 1:
      return c0 === 0x72 ? K_R : c0 === 0x74 ? K_T : K_OTHER
    case 2:
      return c0 === 0x67 && buf[s + 1] === 0x73 ? K_GS : K_OTHER
    case 3: {
      const c1 = buf[s + 1]
      const c2 = buf[s + 2]
      if (c0 === 0x68) return c1 === 0x65 && c2 === 0x78 ? K_HEX : K_OTHER
      if (c0 === 0x6c) return c1 === 0x61 && c2 === 0x74 ? K_LAT : c1 === 0x6f && c2 === 0x6e ? K_LON : K_OTHER
      if (c0 === 0x6e) return c1 === 0x6f && c2 === 0x77 ? K_NOW : K_OTHER
      return K_OTHER
    }
    case 4:
      return c0 === 0x69 && matches(buf, s, W_ICAO) ? K_ICAO : K_OTHER
    case 5:
      return c0 === 0x73 && matches(buf, s, W_SPEED) ? K_SPEED : K_OTHER
    case 8:
      if (c0 === 0x61) return matches(buf, s, W_ALT_BARO) ? K_ALT_BARO : matches(buf, s, W_AIRCRAFT) ? K_AIRCRAFT : matches(buf, s, W_ALTITUDE) ? K_ALTITUDE : K_OTHER
      return c0 === 0x73 && matches(buf, s, W_SEEN_POS) ? K_SEEN_POS : K_OTHER
    case 9:
      return c0 === 0x65 && matches(buf, s, W_EMERGENCY) ? K_EMERGENCY : K_OTHER
    default:
      return K_OTHER
  }
}

/** A numeric field: its value if it is a finite number, NONE for any other JSON value (skipped). */
function numberField(depth: number): number {
  const c = b[p]
  if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) {
    const v = readNumber()
    return v - v === 0 ? v : NONE // finite
  }
  skipValue(depth)
  return NONE
}

/** A text field (registration, type): see `text`. */
function textField(depth: number): string | null {
  if (b[p] !== 0x22) {
    skipValue(depth)
    return null
  }
  return text(readString())
}

// What readId found: no usable id; a 6-hex-digit id (idKey, and its text at idStart–idEnd, idUpper);
// a 6-hex-digit id written with escapes (idKey, idText); or another id (idText). idText is the key
// (lower-cased), idWritten the id as written.
const ID_NONE = 0
const ID_HEX = 1
const ID_HEX_TEXT = 2
const ID_TEXT = 3
const HEX6 = /^~?[0-9a-f]{6}$/
let idKey = 0
let idStart = 0
let idEnd = 0
let idUpper = false
let idText = ''
let idWritten = ''

/** Reads an id value (`hex` or `icao`), checking ICAO_PATTERN on the bytes. */
function readId(depth: number): number {
  if (b[p] !== 0x22) {
    skipValue(depth)
    return ID_NONE
  }
  const s = p + 1
  const end = scanString()
  if (escaped) {
    const written = readIcao(JSON.parse(b.toString('utf8', s - 1, end + 1)))
    if (written === null) return ID_NONE
    const id = icaoKey(written)
    idText = id
    idWritten = written
    if (!HEX6.test(id)) return ID_TEXT
    // Same table as the unescaped spelling, or "\u0061bc123" and "abc123" would be two aircraft.
    idKey = Number.parseInt(id.slice(-6), 16) + (id.startsWith('~') ? 0x1000000 : 0)
    return ID_HEX_TEXT
  }
  const buf = b
  let k = s
  let tilde = 0
  if (buf[k] === 0x7e) {
    k++
    tilde = 0x1000000
  }
  const len = end - k
  if (len < 1 || len > 10) return ID_NONE
  let upper = false
  let hex = len === 6
  let value = 0
  for (; k < end; k++) {
    const c = buf[k] as number
    let d: number
    if (c >= 0x30 && c <= 0x39) d = c - 0x30
    else if (c >= 0x61 && c <= 0x7a) d = c - 0x57
    else if (c >= 0x41 && c <= 0x5a) {
      d = c - 0x37
      upper = true
    } else return ID_NONE
    if (hex) {
      if (d > 15) hex = false
      else value = value * 16 + d
    }
  }
  if (hex) {
    idKey = value + tilde
    idStart = s
    idEnd = end
    idUpper = upper
    return ID_HEX
  }
  const id = buf.toString('latin1', s, end)
  idWritten = id
  idText = upper ? icaoKey(id) : id
  return ID_TEXT
}

function slotOfId(acc: FileAccumulator, kind: number): number {
  if (kind === ID_TEXT) return acc.slotOf(idText, idWritten)
  const i = acc.findHex(idKey)
  if (i >= 0) return i
  if (kind === ID_HEX_TEXT) return acc.addHex(idKey, idText, idWritten)
  const id = b.toString('latin1', idStart, idEnd)
  return acc.addHex(idKey, idUpper ? icaoKey(id) : id, id)
}

/**
 * The scanner on its own: the file's columns, or null when it declines (invalid JSON, or valid JSON
 * it leaves to JSON.parse). Exported for the test that checks it against JSON.parse.
 */
export function scanCompact(buf: Buffer): CompactFile | null {
  b = buf
  p = 0
  try {
    // A UTF-8 byte-order mark is not JSON whitespace: JSON.parse rejects it, and so does this.
    skipWs()
    let result: CompactFile
    if (b[p] === 0x5b) result = scanFlat()
    else if (b[p] === 0x7b) result = scanSnapshot()
    else fail()
    skipWs()
    if (p !== buf.length) fail() // trailing garbage
    return result
  } catch (err) {
    if (err === BAIL) return null
    throw err
  } finally {
    b = EMPTY // do not keep a 5 MB buffer alive between files
    idText = ''
    idWritten = ''
  }
}

function scanSnapshot(): CompactFile {
  p++
  skipWs()
  let now = NONE
  let nowSeen = false
  let result: CompactFile | null = null
  if (b[p] === 0x7d) fail() // {}: not a snapshot; the JSON.parse path names the shape
  do {
    if (b[p] !== 0x22) fail()
    const key = readKey()
    if (key === K_NOW) {
      if (result !== null) fail() // a "now" after the aircraft would change their times: JSON.parse decides
      now = numberField(1)
      nowSeen = true
    } else if (key === K_AIRCRAFT) {
      if (result !== null || !nowSeen || b[p] !== 0x5b || !(now * 1000 >= MIN_MS && now * 1000 <= MAX_MS)) fail()
      result = scanAircraftArray(new FileAccumulator('readsb-hist', now, b.length / 300)) // ~300-600 bytes an aircraft
    } else {
      skipValue(1)
    }
  } while (next(0x7d))
  if (result === null) fail()
  return result
}

function scanAircraftArray(acc: FileAccumulator): CompactFile {
  p++
  skipWs()
  if (b[p] === 0x5d) {
    p++
    return acc.finish()
  }
  do {
    if (b[p] === 0x7b) scanAircraft(acc)
    else {
      skipValue(2)
      acc.skipped++
    }
  } while (next(0x5d))
  return acc.finish()
}

/** One aircraft object; its fields live in locals (module variables would box every double). */
function scanAircraft(acc: FileAccumulator) {
  let id = ID_NONE
  let reg: string | null = null
  let type: string | null = null
  let alt = NONE
  let gs = NONE
  let emergency = false
  let lat = NONE
  let lon = NONE
  let seen = NONE
  p++
  skipWs()
  if (b[p] !== 0x7d) {
    do {
      if (b[p] !== 0x22) fail()
      switch (readKey()) {
        case K_HEX:
          id = readId(3)
          break
        case K_R:
          reg = textField(3)
          break
        case K_T:
          type = textField(3)
          break
        case K_ALT_BARO:
          if (b[p] === 0x22) {
            const s = p + 1
            const end = scanString()
            if (escaped) alt = JSON.parse(b.toString('utf8', s - 1, end + 1)) === 'ground' ? GROUND : NONE
            else alt = end - s === 6 && matches(b, s, W_GROUND) ? GROUND : NONE
          } else alt = numberField(3)
          break
        case K_GS:
          gs = numberField(3)
          break
        case K_EMERGENCY:
          if (b[p] === 0x22) {
            const s = p + 1
            const end = scanString()
            if (escaped) emergency = isEmergency(JSON.parse(b.toString('utf8', s - 1, end + 1)))
            else emergency = end !== s && !(end - s === 4 && matches(b, s, W_NONE))
          } else {
            skipValue(3)
            emergency = false
          }
          break
        case K_LAT:
          lat = numberField(3)
          break
        case K_LON:
          lon = numberField(3)
          break
        case K_SEEN_POS:
          seen = numberField(3)
          break
        default:
          skipValue(3)
      }
    } while (next(0x7d))
  } else p++
  if (id === ID_NONE) acc.skipped++
  else acc.add(slotOfId(acc, id), reg, type, alt, gs, emergency, lat, lon, seen)
}

function scanFlat(): CompactFile {
  const acc = new FileAccumulator('flat', NaN, b.length / 40)
  p++
  skipWs()
  if (b[p] === 0x5d) {
    p++
    return acc.finish()
  }
  do {
    if (b[p] === 0x7b) scanFlatRecord(acc)
    else {
      skipValue(1)
      acc.skipped++
    }
  } while (next(0x5d))
  return acc.finish()
}

function scanFlatRecord(acc: FileAccumulator) {
  let id = ID_NONE
  let alt = NONE
  let gs = NONE
  p++
  skipWs()
  if (b[p] !== 0x7d) {
    do {
      if (b[p] !== 0x22) fail()
      switch (readKey()) {
        case K_ICAO:
          id = readId(2)
          break
        case K_ALTITUDE:
          alt = numberField(2)
          break
        case K_SPEED:
          gs = numberField(2)
          break
        default:
          skipValue(2)
      }
    } while (next(0x7d))
  } else p++
  if (id === ID_NONE) acc.skipped++
  else acc.add(slotOfId(acc, id), null, null, alt, gs, false, NONE, NONE, NONE)
}
