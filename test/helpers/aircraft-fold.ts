/**
 * The fold law of aircraft statistics, as a reference model: what the stats upsert in
 * src/modules/aircraft/repository.ts (`fold`) does in SQL when a file's aggregates are folded into
 * the stored rows. The ingest never folds objects itself, so this lives with the tests, which check
 * the law (associative, commutative but for the latest-wins registration/type) and that parsed files
 * folded in any order give the stats of one file holding every record.
 */
import type { AircraftAggregate } from '../../src/modules/aircraft/parse/parsed-file.js'
import type { AircraftStats } from '../../src/modules/aircraft/schemas.js'

/** The API shape of an aggregate's statistics: {@link AircraftStats} without its `total_flights` alias. */
export type AggregateStats = Omit<AircraftStats, 'total_flights'>

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
 * max, registration/type keep the latest non-null. Associative, and commutative except for
 * registration/type (latest wins), so stored stats do not depend on the order files are folded in.
 * Float sums are exact only up to rounding.
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

/** An aggregate in the API shape: averages are sum/count, or null when nothing was counted. */
export function aggregateStats(agg: AircraftAggregate): AggregateStats {
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
