/**
 * The object view of one file's result: one aggregate per aircraft and one object per position,
 * made from the columns ({@link CompactFile}) that the ingest itself writes without expanding.
 */
import { type CompactFile, STATS_STRIDE } from './accumulator.js'
import { toIso } from './iso-time.js'

/** One aircraft's statistics over one file. */
export interface AircraftAggregate {
  /** The id as first written (see `readIcao`); `icaoKey` of it identifies the aircraft. */
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
interface AircraftPosition {
  /** Its aircraft's id as first written. */
  icao: string
  timestamp: string
  lat: number
  lon: number
}

/** One file's result as objects ({@link expandCompact}). */
export interface ParsedFile {
  format: CompactFile['format']
  /** One per aircraft, in order of first appearance. */
  aggregates: AircraftAggregate[]
  /** Deduplicated by (icao, timestamp) within the file. */
  positions: AircraftPosition[]
  /** Aircraft records read (those with a valid id). */
  records: number
  /** Entries skipped for a missing or invalid id (or not being an object at all). */
  recordsSkipped: number
}

const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v)

/** Objects from columns: one aggregate per aircraft, one position object per position; ids as first written. */
export function expandCompact(c: CompactFile): ParsedFile {
  const n = c.icaos.length
  const aggregates: AircraftAggregate[] = new Array(n)
  const st = c.stats
  for (let i = 0; i < n; i++) {
    const o = i * STATS_STRIDE
    const first = st[o + 7] as number
    const last = st[o + 8] as number
    const firstSeen = Number.isNaN(first) ? null : toIso(first)
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
    positions[k] = {
      icao: c.writtenIcaos[c.positionAircraft[k] as number] as string,
      timestamp: toIso(pd[3 * k] as number),
      lat: pd[3 * k + 1] as number,
      lon: pd[3 * k + 2] as number,
    }
  }
  return { format: c.format, aggregates, positions, records: c.records, recordsSkipped: c.recordsSkipped }
}
