import type { Selectable } from 'kysely'

/**
 * Per-aircraft statistics. Sums and counts are stored (not averages) so that folding in another
 * file is exact whatever the order files arrive in; averages are derived on read.
 */
export interface AircraftStatsTable {
  /** The key: the id lower-cased (parse/icao.ts `icaoKey`), so lookups in any case find the aircraft. */
  icao: string
  /** The id as the data first wrote it (`A320` stays `A320`), which the API returns. */
  icao_as_written: string
  registration: string | null
  type: string | null
  observations: number
  max_altitude_baro: number | null
  max_ground_speed: number | null
  sum_altitude: number
  altitude_count: number
  sum_speed: number
  speed_count: number
  had_emergency: number
  first_seen: string | null
  last_seen: string | null
  updated_at: string
}

/** Positions, deduplicated by (icao, timestamp); the primary key also serves reads by aircraft and time. */
export interface AircraftPositionsTable {
  /** The aircraft's key (lower-cased id), as in aircraft_stats.icao. */
  icao: string
  timestamp: string
  lat: number
  lon: number
}

/**
 * SQLite only (empty on PostgreSQL): positions of recent files, appended without an index and moved
 * into aircraft_positions in sorted batches; see repository.ts.
 */
export type AircraftPositionsStagedTable = AircraftPositionsTable

/** Files already folded into the stats, by source and key; same ETag and size → skipped. */
export interface IngestFilesTable {
  source: string
  key: string
  etag: string
  size: number
  records: number
  processed_at: string
}

export interface IngestJobsTable {
  id: string
  status: 'queued' | 'running' | 'succeeded' | 'failed'
  source: string
  prefix: string
  files_total: number
  files_done: number
  files_skipped: number
  records: number
  bytes: number
  errors: string
  started_at: string | null
  finished_at: string | null
  created_at: string
}

/** One row (id = 1): which job holds the ingest lease, on which process, until when. */
export interface IngestLeaseTable {
  id: number
  job_id: string | null
  owner: string | null
  expires_at: string | null
}

export interface AircraftTables {
  aircraft_stats: AircraftStatsTable
  aircraft_positions: AircraftPositionsTable
  aircraft_positions_staged: AircraftPositionsStagedTable
  ingest_files: IngestFilesTable
  ingest_jobs: IngestJobsTable
  ingest_lease: IngestLeaseTable
}

export type AircraftStatsRow = Selectable<AircraftStatsTable>
export type IngestJobRow = Selectable<IngestJobsTable>
