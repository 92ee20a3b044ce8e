/** SQL of the aircraft module: stats folded in per file, positions, processed files, jobs, the lease. */
import type SQLite from 'better-sqlite3'
import { CompiledQuery, type Kysely, sql } from 'kysely'
import type { Db } from '../../platform/db/index.js'
import type { EventSink, NewEvent } from '../../platform/events/sink.js'
import { type CompactFile, STATS_STRIDE } from './parse/accumulator.js'
import { toIso } from './parse/iso-time.js'
import type { AircraftStatsTable, AircraftTables, IngestJobsTable } from './tables.js'

type K = Kysely<AircraftTables>

const STATS_COLUMNS = [
  'icao',
  'icao_as_written',
  'registration',
  'type',
  'observations',
  'max_altitude_baro',
  'max_ground_speed',
  'sum_altitude',
  'altitude_count',
  'sum_speed',
  'speed_count',
  'had_emergency',
  'first_seen',
  'last_seen',
  'updated_at',
] as const satisfies readonly (keyof AircraftStatsTable)[]

// Folding a file's aggregate into the stored row happens in the upsert itself: one statement per
// aircraft (or per file on PostgreSQL) and no read. Maxima and minima ignore a NULL side: PostgreSQL's
// GREATEST/LEAST do; SQLite's two-argument max()/min() return NULL, hence the COALESCE.
const extreme = (engine: Db['engine'], fn: 'max' | 'min') => (c: string) =>
  engine === 'postgresql'
    ? `${c} = ${fn === 'max' ? 'GREATEST' : 'LEAST'}(excluded.${c}, aircraft_stats.${c})`
    : `${c} = COALESCE(${fn}(excluded.${c}, aircraft_stats.${c}), excluded.${c}, aircraft_stats.${c})`
const added = (c: string) => `${c} = aircraft_stats.${c} + excluded.${c}`
const latest = (c: string) => `${c} = COALESCE(excluded.${c}, aircraft_stats.${c})`
// icao_as_written is never updated: the spelling first written stays (`A320` then `a320`: `A320`).
const fold = (engine: Db['engine']) => {
  const larger = extreme(engine, 'max')
  const smaller = extreme(engine, 'min')
  return `ON CONFLICT (icao) DO UPDATE SET ${[
    latest('registration'),
    latest('type'),
    added('observations'),
    larger('max_altitude_baro'),
    larger('max_ground_speed'),
    added('sum_altitude'),
    added('altitude_count'),
    added('sum_speed'),
    added('speed_count'),
    larger('had_emergency'),
    smaller('first_seen'),
    larger('last_seen'),
    'updated_at = excluded.updated_at',
  ].join(', ')}`
}
const STATS_INSERT = `INSERT INTO aircraft_stats (${STATS_COLUMNS.join(', ')})`
const POSITIONS_INSERT = 'INSERT INTO aircraft_positions (icao, "timestamp", lat, lon)'
const POSITIONS_CONFLICT = 'ON CONFLICT (icao, "timestamp") DO NOTHING'
const STAGED_INSERT = 'INSERT INTO aircraft_positions_staged (icao, "timestamp", lat, lon)'
/**
 * SQLite: staged positions move into aircraft_positions in one sorted pass, deduplicated by its key
 * (`WHERE true` resolves SQLite's INSERT … SELECT … ON CONFLICT parsing ambiguity). In WAL mode a
 * commit writes every page it dirtied, whole: inserting each file's positions directly dirtied one
 * leaf per aircraft (~7,000 pages, ~28 MB a file once the table is large); staged, the same leaves
 * are dirtied once per merge, i.e. once every MERGE_ROWS / 7,000 files.
 */
const POSITIONS_MERGE = `${POSITIONS_INSERT} SELECT icao, "timestamp", lat, lon FROM aircraft_positions_staged WHERE true ORDER BY icao, "timestamp" ${POSITIONS_CONFLICT}`
/**
 * Staged positions that trigger a merge. A merge dirties about one leaf per aircraft whatever its
 * size, so fewer, larger merges cost less (250,000 rather than 100,000: the job ~10 % faster on
 * 200 snapshots); reads scan the staging table, so it stays small (~20 ms for a read at the most).
 */
const MERGE_ROWS = 250_000

/** SQLite WAL size (4 KiB pages) that triggers a checkpoint while ingesting. */
const INGEST_CHECKPOINT_PAGES = 32 * 1024

/** Rows per multi-row statement on SQLite (14 × 64 parameters, far below its limit of 32,766). */
const SQLITE_CHUNK = 64

const orNull = (v: number) => (Number.isNaN(v) ? null : v)

/** Everything one file's transaction writes. */
export interface FileCommit {
  jobId: string
  /** The lease is renewed to this (and must still be the job's, else nothing is written). */
  leaseUntil: string
  file: CompactFile
  updatedAt: string
  processed: { source: string; key: string; etag: string; size: number; records: number }
  progress: Pick<IngestJobsTable, 'files_total' | 'files_done' | 'files_skipped' | 'records' | 'bytes' | 'errors'>
  /** Written last in the same transaction (the job's progress event). */
  events: NewEvent[]
}

/**
 * The per-file transaction of an ingest job: checks and renews the job's lease (a fencing check),
 * folds the file's stats in, inserts its positions, records the file as processed and advances the
 * job's counters — all or nothing. Resolves false (having written nothing) when the lease is no
 * longer the job's. `bulk()` tunes the connection for a job and returns the function that ends it
 * (on SQLite: merges the staged positions, restores the settings).
 *
 * These commits do not wait for the disk (SQLite synchronous=NORMAL, PostgreSQL synchronous_commit
 * off): a power cut may drop the last few files' commits, but each drops whole, with its
 * processed-file record, so the next run redoes exactly those files; nothing is half-counted. A
 * file's ~7,000 positions land all over the (icao, timestamp) B-tree, so its commit writes ~20 MB of
 * pages, and waiting for each to reach the disk was the largest cost. The job's final status is
 * written with a normal, durable commit, which also makes every earlier commit durable.
 */
export interface FileCommitter {
  commit(c: FileCommit): Promise<boolean>
  bulk(): () => Promise<void>
}

/** The committer for `db`'s engine (prepares its statements: the tables must exist). */
export function fileCommitter(db: Db<AircraftTables>, events: EventSink | undefined): FileCommitter {
  const handle = db.sqlite
  if (handle) {
    const writeFile = sqliteFileWriter(handle)
    const renew = handle.prepare('UPDATE ingest_lease SET expires_at = ? WHERE id = 1 AND job_id = ?')
    const record = handle.prepare(
      'INSERT INTO ingest_files (source, key, etag, size, records, processed_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, key) DO UPDATE SET etag = excluded.etag, size = excluded.size, records = excluded.records, processed_at = excluded.processed_at',
    )
    const progress = handle.prepare(
      'UPDATE ingest_jobs SET files_total = ?, files_done = ?, files_skipped = ?, records = ?, bytes = ?, errors = ? WHERE id = ?',
    )
    const merge = handle.prepare(POSITIONS_MERGE)
    const clearStaged = handle.prepare('DELETE FROM aircraft_positions_staged')
    const countStaged = handle.prepare('SELECT count(*) AS n FROM aircraft_positions_staged').pluck()
    let staged = -1 // unknown until the first commit
    const mergeStaged = () => {
      merge.run()
      clearStaged.run()
      staged = 0
    }
    const transaction = handle.transaction((c: FileCommit) => {
      if (renew.run(c.leaseUntil, c.jobId).changes !== 1) return false
      if (staged < 0) staged = countStaged.get() as number
      writeFile(c.file, c.updatedAt)
      staged += c.file.positionAircraft.length
      if (staged >= MERGE_ROWS) mergeStaged()
      const f = c.processed
      record.run(f.source, f.key, f.etag, f.size, f.records, c.updatedAt)
      const p = c.progress
      progress.run(p.files_total, p.files_done, p.files_skipped, p.records, p.bytes, p.errors, c.jobId)
      if (c.events.length > 0) events?.appendSync(c.events)
      return true
    })
    return {
      // Holds Kysely's connection for the whole transaction, which then runs synchronously on the raw
      // handle: no other query can interleave, nor see synchronous=NORMAL.
      commit: (c) =>
        db.kysely.connection().execute(async () => {
          const previous = handle.pragma('synchronous', { simple: true }) as number
          handle.pragma('synchronous = NORMAL')
          try {
            return transaction.immediate(c)
          } finally {
            handle.pragma(`synchronous = ${previous}`)
          }
        }),
      bulk() {
        // Checkpoints every ~128 MiB of WAL instead of every 4 MiB: a page rewritten by several files
        // is copied back to the database once.
        const checkpoint = handle.pragma('wal_autocheckpoint', { simple: true }) as number
        handle.pragma(`wal_autocheckpoint = ${INGEST_CHECKPOINT_PAGES}`)
        staged = -1 // recounted by the job's first commit (another process may have staged rows)
        return async () => {
          try {
            await db.kysely.connection().execute(async () => handle.transaction(mergeStaged).immediate())
          } catch {
            // the next job merges what is left; reads include staged rows meanwhile
          } finally {
            handle.pragma(`wal_autocheckpoint = ${checkpoint}`)
          }
        }
      },
    }
  }
  const writeFile = postgresFileWriter()
  return {
    commit: (c) =>
      db.kysely.transaction().execute(async (trx) => {
        await sql`SET LOCAL synchronous_commit = off`.execute(trx)
        if (!(await renewLease(trx, c.jobId, new Date(c.leaseUntil)))) return false
        await writeFile(c.file, c.updatedAt, trx)
        await recordProcessedFile(trx, c.processed)
        await updateJob(trx, c.jobId, c.progress)
        if (c.events.length > 0) await events?.append(trx, c.events)
        return true
      }),
    bulk: () => async () => {},
  }
}

/**
 * Writers of one parsed file (its columns, see {@link CompactFile}): stats folded in by upsert,
 * positions inserted unless already stored. SQLite: multi-row prepared statements on the raw handle,
 * synchronously (inside the committer's transaction). PostgreSQL: one statement per table over
 * `unnest` of column arrays in `trx`, so a file of 9,000 aircraft is two round trips and no
 * 65,535-parameter limit.
 */
function sqliteFileWriter(handle: SQLite.Database): (file: CompactFile, updatedAt: string) => void {
  const statsRow = `(${STATS_COLUMNS.map(() => '?').join(', ')})`
  const statement = (rows: number, head: string, row: string, tail: string) =>
    handle.prepare(`${head} VALUES ${Array.from({ length: rows }, () => row).join(', ')} ${tail}`)
  const stats = {
    one: statement(1, STATS_INSERT, statsRow, fold('sqlite')),
    many: statement(SQLITE_CHUNK, STATS_INSERT, statsRow, fold('sqlite')),
  }
  // Positions are appended to the staging table (see POSITIONS_MERGE): no index, so ~7,000 rows
  // fill ~60 consecutive pages instead of dirtying one page of the big B-tree per aircraft.
  const positions = {
    one: statement(1, STAGED_INSERT, '(?, ?, ?, ?)', ''),
    many: statement(SQLITE_CHUNK, STAGED_INSERT, '(?, ?, ?, ?)', ''),
  }
  // Parameters are spread into run(), not passed as one array: better-sqlite3 binds an array's
  // elements through V8's generic property lookup, which cost ~20 % of the stats upserts.
  const statsParams: unknown[] = []
  const positionParams: unknown[] = []
  return (file, updatedAt) => {
    const n = file.icaos.length
    const st = file.stats
    for (let i = 0; i < n; i++) {
      const o = i * STATS_STRIDE
      const first = st[o + 7] as number
      const last = st[o + 8] as number
      const firstIso = Number.isNaN(first) ? null : toIso(first)
      statsParams.push(
        file.icaos[i],
        file.writtenIcaos[i],
        file.registrations[i] ?? null,
        file.types[i] ?? null,
        st[o],
        orNull(st[o + 1] as number),
        orNull(st[o + 4] as number),
        st[o + 2],
        st[o + 3],
        st[o + 5],
        st[o + 6],
        file.emergency[i],
        firstIso,
        last === first ? firstIso : Number.isNaN(last) ? null : toIso(last), // one string for both (most aircraft: one record a file)
        updatedAt,
      )
      if (statsParams.length === SQLITE_CHUNK * STATS_COLUMNS.length) {
        stats.many.run(...statsParams)
        statsParams.length = 0
      }
    }
    for (let k = 0; k < statsParams.length; k += STATS_COLUMNS.length)
      stats.one.run(...statsParams.slice(k, k + STATS_COLUMNS.length))
    statsParams.length = 0
    const pd = file.positionData
    const m = file.positionAircraft.length
    for (let k = 0; k < m; k++) {
      positionParams.push(
        file.icaos[file.positionAircraft[k] as number],
        toIso(pd[3 * k] as number),
        pd[3 * k + 1],
        pd[3 * k + 2],
      )
      if (positionParams.length === SQLITE_CHUNK * 4) {
        positions.many.run(...positionParams)
        positionParams.length = 0
      }
    }
    for (let k = 0; k < positionParams.length; k += 4) positions.one.run(...positionParams.slice(k, k + 4))
    positionParams.length = 0
  }
}

/** The PostgreSQL side of the file writer above: one `unnest` statement per table in `trx`. */
function postgresFileWriter(): (file: CompactFile, updatedAt: string, trx: K) => Promise<void> {
  const statsSql = `${STATS_INSERT} SELECT *, $15::text FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::float8[], $7::float8[], $8::float8[], $9::bigint[], $10::float8[], $11::bigint[], $12::int[], $13::text[], $14::text[]) ${fold('postgresql')}`
  const positionsSql = `${POSITIONS_INSERT} SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[]) ${POSITIONS_CONFLICT}`
  return async (file, updatedAt, trx) => {
    const n = file.icaos.length
    if (n > 0) {
      const st = file.stats
      const cols: unknown[][] = Array.from({ length: 14 }, () => new Array(n))
      for (let i = 0; i < n; i++) {
        const o = i * STATS_STRIDE
        const first = st[o + 7] as number
        const last = st[o + 8] as number
        cols[0]![i] = file.icaos[i]
        cols[1]![i] = file.writtenIcaos[i]
        cols[2]![i] = file.registrations[i] ?? null
        cols[3]![i] = file.types[i] ?? null
        cols[4]![i] = st[o]
        cols[5]![i] = orNull(st[o + 1] as number)
        cols[6]![i] = orNull(st[o + 4] as number)
        cols[7]![i] = st[o + 2]
        cols[8]![i] = st[o + 3]
        cols[9]![i] = st[o + 5]
        cols[10]![i] = st[o + 6]
        cols[11]![i] = file.emergency[i]
        cols[12]![i] = Number.isNaN(first) ? null : toIso(first)
        cols[13]![i] = Number.isNaN(last) ? null : toIso(last)
      }
      await trx.executeQuery(CompiledQuery.raw(statsSql, [...cols, updatedAt]))
    }
    const m = file.positionAircraft.length
    if (m > 0) {
      const pd = file.positionData
      const icaos = new Array(m)
      const times = new Array(m)
      const lats = new Array(m)
      const lons = new Array(m)
      for (let k = 0; k < m; k++) {
        icaos[k] = file.icaos[file.positionAircraft[k] as number]
        times[k] = toIso(pd[3 * k] as number)
        lats[k] = pd[3 * k + 1]
        lons[k] = pd[3 * k + 2]
      }
      await trx.executeQuery(CompiledQuery.raw(positionsSql, [icaos, times, lats, lons]))
    }
  }
}

export async function processedFile(db: K, source: string, key: string) {
  return db
    .selectFrom('ingest_files')
    .select(['etag', 'size'])
    .where('source', '=', source)
    .where('key', '=', key)
    .executeTakeFirst()
}

async function recordProcessedFile(trx: K, row: FileCommit['processed']) {
  await trx
    .insertInto('ingest_files')
    .values({ ...row, processed_at: new Date().toISOString() })
    .onConflict((oc) =>
      oc.columns(['source', 'key']).doUpdateSet({
        etag: row.etag,
        size: row.size,
        records: row.records,
        processed_at: new Date().toISOString(),
      }),
    )
    .execute()
}

export async function insertJob(trx: K, job: IngestJobsTable) {
  await trx.insertInto('ingest_jobs').values(job).execute()
}

export async function updateJob(db: K, id: string, changes: Partial<IngestJobsTable>) {
  await db.updateTable('ingest_jobs').set(changes).where('id', '=', id).execute()
}

export async function findJob(db: K, id: string) {
  return db.selectFrom('ingest_jobs').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Takes the lease if it is free or its holder stopped renewing it. Returns the previous holder. */
export async function claimLease(
  trx: K,
  engine: Db['engine'],
  jobId: string,
  owner: string,
  now: Date,
  leaseMs: number,
) {
  // In a write transaction: FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already excludes writers.
  const query = trx.selectFrom('ingest_lease').selectAll().where('id', '=', 1)
  const lease = await (engine === 'postgresql' ? query.forUpdate() : query).executeTakeFirstOrThrow()
  const free = lease.job_id === null || (lease.expires_at !== null && lease.expires_at < now.toISOString())
  if (!free) return { claimed: false as const, holder: lease.job_id as string }
  await trx
    .updateTable('ingest_lease')
    .set({ job_id: jobId, owner, expires_at: new Date(now.getTime() + leaseMs).toISOString() })
    .where('id', '=', 1)
    .execute()
  return { claimed: true as const, expired: lease.job_id }
}

export async function renewLease(db: K, jobId: string, until: Date): Promise<boolean> {
  const result = await db
    .updateTable('ingest_lease')
    .set({ expires_at: until.toISOString() })
    .where('id', '=', 1)
    .where('job_id', '=', jobId)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export async function releaseLease(db: K, jobId: string) {
  await db
    .updateTable('ingest_lease')
    .set({ job_id: null, owner: null, expires_at: null })
    .where('id', '=', 1)
    .where('job_id', '=', jobId)
    .execute()
}

/** One aircraft's stats row by its key (parse/icao.ts `icaoKey`: the lower-cased id). */
export async function findStats(db: K, key: string) {
  return db.selectFrom('aircraft_stats').selectAll().where('icao', '=', key).executeTakeFirst()
}

/** Aircraft by key, each with its id as first written. */
export async function listAircraft(db: K, limit: number, offset: number) {
  return db
    .selectFrom('aircraft_stats')
    .select(['icao_as_written as icao', 'registration', 'type'])
    .orderBy('aircraft_stats.icao')
    .limit(limit)
    .offset(offset)
    .execute()
}

/**
 * One aircraft's positions (by its key) by time: stored ones and (SQLite, during a job) staged ones,
 * deduplicated.
 */
export async function listPositions(db: K, icao: string, limit: number, offset: number) {
  return db
    .selectFrom('aircraft_positions')
    .select(['timestamp', 'lat', 'lon'])
    .where('icao', '=', icao)
    .union((eb) =>
      eb.selectFrom('aircraft_positions_staged').select(['timestamp', 'lat', 'lon']).where('icao', '=', icao),
    )
    .orderBy('timestamp')
    .limit(limit)
    .offset(offset)
    .execute()
}
