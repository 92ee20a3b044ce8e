/** SQL of the build-state module. Functions take the Kysely they run on (a transaction or the pool). */
import { type Kysely, sql } from 'kysely'
import { uuidv7 } from '../../platform/ids.js'
import { FINAL_STATE } from './rules.js'
import type { BuildStatus } from './schemas.js'
import type {
  BuildFailureTable,
  BuildRow,
  BuildTables,
  ImageTypeTable,
  OsVersionTable,
  PlatformTable,
} from './tables.js'

type Db = Kysely<BuildTables>
type CatalogTable = 'platforms' | 'os_versions' | 'image_types'

export function listCatalog(db: Db, table: 'platforms'): Promise<PlatformTable[]>
export function listCatalog(db: Db, table: 'os_versions'): Promise<OsVersionTable[]>
export function listCatalog(db: Db, table: 'image_types'): Promise<ImageTypeTable[]>
export function listCatalog(db: Db, table: CatalogTable) {
  return db.selectFrom(table).selectAll().orderBy('id').execute()
}

/** Inserts a catalog entry; false when the id exists already. */
export async function insertCatalog(
  db: Db,
  table: CatalogTable,
  row: PlatformTable | OsVersionTable | ImageTypeTable,
): Promise<boolean> {
  const result = await db
    .insertInto(table)
    .values(row as never)
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
}

export async function catalogIdExists(db: Db, table: CatalogTable, id: string): Promise<boolean> {
  return (await db.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst()) !== undefined
}

/** Inserts a build under a new UUIDv7; undefined when its build_id is taken (no exception, so a transaction stays usable). */
export async function insertBuild(trx: Db, row: Omit<BuildRow, 'id' | 'failure_count'>): Promise<string | undefined> {
  const inserted = await trx
    .insertInto('builds')
    .values({ id: uuidv7(), ...row })
    .onConflict((oc) => oc.column('build_id').doNothing())
    .returning('id')
    .executeTakeFirst()
  return inserted?.id
}

export async function insertState(
  trx: Db,
  buildPk: string,
  stateCode: number,
  message: string | null,
  at: string,
): Promise<void> {
  await trx
    .insertInto('build_states')
    .values({ build_pk: buildPk, state_code: stateCode, message, transitioned_at: at })
    .execute()
}

/**
 * Moves a build to `stateCode` in one atomic statement, unless it is already at the final state or already at
 * that code (the WHERE clause makes both hold under concurrent writers on every replica). Returns
 * the build's id and new status, or undefined when it did not move.
 */
export async function advanceBuild(
  trx: Db,
  buildPk: string,
  stateCode: number,
  at: string,
): Promise<{ id: string; status: BuildStatus } | undefined> {
  return trx
    .updateTable('builds')
    .set({
      current_state: stateCode,
      // statusOf (rules.ts) in SQL: the row's failure_count is read in the same statement.
      status: sql<BuildStatus>`case when ${stateCode} = ${sql.lit(FINAL_STATE)} then 'completed' when failure_count > 0 then 'failed' else 'in_progress' end`,
      updated_at: at,
    })
    .where('id', '=', buildPk)
    .where('current_state', '<>', FINAL_STATE)
    .where('current_state', '<>', stateCode)
    .returning(['id', 'status'])
    .executeTakeFirst()
}

/** Counts a failure on a build (a completed build stays completed). Returns its key and state. */
export async function markFailed(
  trx: Db,
  buildPk: string,
  at: string,
): Promise<{ id: string; current_state: number } | undefined> {
  return trx
    .updateTable('builds')
    .set({
      failure_count: sql<number>`failure_count + 1`,
      status: sql<BuildStatus>`case when current_state = ${sql.lit(FINAL_STATE)} then 'completed' else 'failed' end`,
      updated_at: at,
    })
    .where('id', '=', buildPk)
    .returning(['id', 'current_state'])
    .executeTakeFirst()
}

export async function insertFailure(trx: Db, row: Omit<BuildFailureTable, 'id'>): Promise<void> {
  await trx.insertInto('build_failures').values(row).execute()
}

/**
 * The build a path names (SPEC §5.3): the build with that id; only when no build has it, the build
 * with that `build_id`. So a build_id equal to another build's id ("5", or its UUID) never hides it.
 */
export async function findBuild(db: Db, ref: string): Promise<BuildRow | undefined> {
  const byId = await db.selectFrom('builds').selectAll().where('id', '=', ref).executeTakeFirst()
  return byId ?? db.selectFrom('builds').selectAll().where('build_id', '=', ref).executeTakeFirst()
}

export async function currentStateOf(db: Db, buildPk: string): Promise<number | undefined> {
  return (await db.selectFrom('builds').select('current_state').where('id', '=', buildPk).executeTakeFirst())
    ?.current_state
}

export function latestState(db: Db, buildPk: string) {
  return db
    .selectFrom('build_states')
    .selectAll()
    .where('build_pk', '=', buildPk)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
}

export function statesOf(db: Db, buildPk: string) {
  return db.selectFrom('build_states').selectAll().where('build_pk', '=', buildPk).orderBy('id').execute()
}

export function failuresOf(db: Db, buildPk: string) {
  return db.selectFrom('build_failures').selectAll().where('build_pk', '=', buildPk).orderBy('id').execute()
}

/** Where a page of builds ended: the last build's creation time and id. */
export interface BuildPosition {
  created_at: string
  id: string
}

/**
 * Newest first by (created_at, id) — ids are no longer serials; UUIDv7s made in one millisecond
 * count up — optionally filtered; `before` continues after a cursor (one index range per filter).
 */
export function listBuilds(
  db: Db,
  filter: { platform?: string; status?: BuildStatus; before?: BuildPosition; limit: number },
) {
  let query = db.selectFrom('builds').selectAll()
  if (filter.platform !== undefined) query = query.where('platform', '=', filter.platform)
  if (filter.status !== undefined) query = query.where('status', '=', filter.status)
  const before = filter.before
  if (before !== undefined)
    query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(before.created_at, before.id)))
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute()
}

/** Build counts per (platform, status), computed by the database. */
export function countsByPlatformAndStatus(db: Db) {
  return db
    .selectFrom('builds')
    .select(['platform', 'status', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy(['platform', 'status'])
    .execute()
}

export async function cacheScope(db: Db): Promise<string> {
  const row = await db.selectFrom('build_cache_scope').select('scope').where('id', '=', 1).executeTakeFirstOrThrow()
  return row.scope
}
