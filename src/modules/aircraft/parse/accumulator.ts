/**
 * The per-file accumulator both parsers feed, and the columns it hands over ({@link CompactFile}).
 * Columnar (typed arrays), because a snapshot's ~8,000 aggregate objects and ~7,000 positions, alive
 * for the whole parse, made the garbage collector the largest cost; columns are also what a worker
 * thread can hand over without copying.
 */
import { MAX_MS, MIN_MS } from './iso-time.js'

/** The two formats, detected per file from the top-level JSON value. */
type FileFormat = 'readsb-hist' | 'flat'

/** `alt_baro` after reading: a number, the `"ground"` marker, or nothing usable. */
export const GROUND = -Infinity
export const NONE = NaN

/**
 * One file's result in columns, cheap to post between threads (the typed arrays are transferable);
 * `expandCompact` (parsed-file.ts) turns it into objects. NaN stands for null in `stats`.
 */
export interface CompactFile {
  format: FileFormat
  records: number
  recordsSkipped: number
  /** Per aircraft: its key (`icaoKey`: lower-cased), which stored rows are keyed and matched by. */
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
export class FileAccumulator {
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
    readonly format: FileFormat,
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

  /** The index of an aircraft by its key (`icaoKey`), created (spelled `written`) when new. */
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
  add(
    i: number,
    reg: string | null,
    type: string | null,
    alt: number,
    gs: number,
    emergency: boolean,
    lat: number,
    lon: number,
    seenPos: number,
  ) {
    this.records++
    const fresh = this.fresh
    const st = this.stats
    const o = i * STATS_STRIDE
    st[o] = (st[o] as number) + 1
    if (alt === GROUND) {
      st[o + 3] = (st[o + 3] as number) + 1 // on the ground: altitude 0 for the average, never a maximum
    } else if (!Number.isNaN(alt)) {
      st[o + 2] = (st[o + 2] as number) + alt
      st[o + 3] = (st[o + 3] as number) + 1
      if (!((st[o + 1] as number) >= alt)) st[o + 1] = alt
    }
    if (!Number.isNaN(gs)) {
      st[o + 5] = (st[o + 5] as number) + gs
      st[o + 6] = (st[o + 6] as number) + 1
      if (!((st[o + 4] as number) >= gs)) st[o + 4] = gs
    }
    if (emergency) this.emergency[i] = 1
    if (reg !== null) this.regs[i] = reg
    if (type !== null) this.types[i] = type
    const now = this.now
    if (Number.isNaN(now)) return // flat records carry no time
    let ms = Math.round(now * 1000)
    let hasTime = false
    if (!Number.isNaN(seenPos)) {
      const t = Math.round((now - seenPos) * 1000) // round: 1698796799.300 - 0.3 is not exact in binary
      if (t >= MIN_MS && t <= MAX_MS) {
        ms = t
        hasTime = true
      }
    }
    if (!((st[o + 7] as number) <= ms)) st[o + 7] = ms
    if (!((st[o + 8] as number) >= ms)) st[o + 8] = ms
    if (hasTime && !Number.isNaN(lat) && !Number.isNaN(lon)) {
      if (!fresh) {
        // The same aircraft twice in one file: keep one position per timestamp.
        this.posTimes ??= new Map()
        const times = this.posTimes
        let set = times.get(i)
        if (set === undefined) {
          const last = this.lastPosMs[i] as number
          set = new Set(Number.isNaN(last) ? [] : [last])
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
