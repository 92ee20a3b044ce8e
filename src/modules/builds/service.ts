/** Rules of the build-state API (SPEC §5): catalog, builds through numbered states, failures, dashboards. */
import type { Redis } from 'ioredis'
import { Cache, type CacheOutcome } from '../../platform/cache.js'
import type { Db } from '../../platform/db/index.js'
import type { EventSink } from '../../platform/events/sink.js'
import { membersOf } from '../../platform/http/common-schemas.js'
import { problems } from './problems.js'
import * as repo from './repository.js'
import { isStateStep, stateName } from './rules.js'
import {
  type BuildDetail,
  type BuildList,
  type BuildListQuery,
  type BuildStatus,
  BuildSummary,
  type CurrentState,
  type DashboardBuild,
  type DashboardSummary,
  type NewBuild,
  type NewFailure,
  type NewImageType,
  type NewOsVersion,
  type NewPlatform,
  type NewState,
  type PlatformBuilds,
  type StatusCounts,
} from './schemas.js'
import type { BuildRow, BuildTables } from './tables.js'

const RECENT_ON_SUMMARY = 10

/** A value with where it came from (the routes expose it as `X-Cache`). */
export interface Cached<T> {
  value: T
  cache: CacheOutcome
}

export class BuildService {
  constructor(
    private readonly db: Db<BuildTables>,
    private readonly dashboards: Cache,
    /** build.created / build.state_changed / build.failed, written in the change's transaction. */
    private readonly events: EventSink,
  ) {}

  // Catalog ----------------------------------------------------------------------------------------

  listPlatforms() {
    return repo.listCatalog(this.db.kysely, 'platforms')
  }
  listOsVersions() {
    return repo.listCatalog(this.db.kysely, 'os_versions')
  }
  listImageTypes() {
    return repo.listCatalog(this.db.kysely, 'image_types')
  }

  async createPlatform(body: NewPlatform) {
    const row = { id: body.id, name: body.name, cloud_provider: body.cloud_provider, region: body.region ?? null }
    return this.createCatalog('platforms', 'platform', row)
  }
  async createOsVersion(body: NewOsVersion) {
    return this.createCatalog('os_versions', 'OS version', { id: body.id, name: body.name, version: body.version })
  }
  async createImageType(body: NewImageType) {
    return this.createCatalog('image_types', 'image type', {
      id: body.id,
      name: body.name,
      description: body.description ?? null,
    })
  }

  private async createCatalog(
    table: 'platforms' | 'os_versions' | 'image_types',
    what: string,
    row: Parameters<typeof repo.insertCatalog>[2],
  ) {
    if (!(await repo.insertCatalog(this.db.kysely, table, row))) throw problems.catalogEntryExists(what, row.id)
    // The summary lists every catalog platform.
    if (table === 'platforms') await this.dashboards.invalidate()
    return { id: row.id, status: 'created' as const }
  }

  // Builds -----------------------------------------------------------------------------------------

  async createBuild(body: NewBuild): Promise<{ id: string; build_id: string; status: 'created' }> {
    const now = new Date().toISOString()
    const id = await this.db.writeTransaction(async (trx) => {
      const missing = []
      for (const [field, table, what] of [
        ['platform', 'platforms', 'platform'],
        ['os_version', 'os_versions', 'OS version'],
        ['image_type', 'image_types', 'image type'],
      ] as const) {
        if (!(await repo.catalogIdExists(trx, table, body[field]))) {
          missing.push({ path: `body.${field}`, message: `unknown ${what} "${body[field]}"` })
        }
      }
      if (missing.length > 0) throw problems.validation(missing)
      const pk = await repo.insertBuild(trx, {
        build_id: body.build_id,
        platform: body.platform,
        os_version: body.os_version,
        image_type: body.image_type,
        pipeline_url: body.pipeline_url ?? null,
        commit_hash: body.commit_hash ?? null,
        current_state: 0,
        status: 'in_progress',
        created_at: now,
        updated_at: now,
      })
      if (pk === undefined) throw problems.buildExists(body.build_id)
      await repo.insertState(trx, pk, 0, 'Build initialized', now)
      const { build_id, platform, os_version, image_type } = body
      const data = { id: pk, build_id, platform, os_version, image_type, status: 'in_progress', current_state: 0 }
      await this.events.append(trx, [{ topic: 'builds', type: 'build.created', data: { ...data, created_at: now } }])
      return pk
    })
    this.events.committed()
    await this.dashboards.invalidate() // after the commit: a read that follows sees the new build
    return { id, build_id: body.build_id, status: 'created' }
  }

  async recordState(
    buildId: string,
    body: NewState,
  ): Promise<{ status: 'updated'; build_id: string; new_state: number }> {
    if (!isStateStep(body.state_code)) throw problems.stateCodeOffStep(body.state_code)
    const now = new Date().toISOString()
    const { build, moved } = await this.db.writeTransaction(async (trx) => {
      const build = await repo.findBuild(trx, buildId)
      if (!build) throw problems.buildNotFound()
      const advanced = await repo.advanceBuild(trx, build.id, body.state_code, now)
      if (advanced === undefined) {
        // It did not move: already at this code (a pipeline's retry: 200, no new row), or at the final state.
        // Read again: a concurrent writer may have moved it since `findBuild`.
        if ((await repo.currentStateOf(trx, build.id)) === body.state_code) return { build, moved: false }
        throw problems.buildFinished(build.build_id)
      }
      await repo.insertState(trx, build.id, body.state_code, body.message ?? null, now)
      const data = { id: build.id, build_id: build.build_id, state_code: body.state_code }
      const more = { message: body.message ?? null, status: advanced.status, transitioned_at: now }
      const event = { ...data, state_name: stateName(body.state_code), ...more }
      await this.events.append(trx, [{ topic: 'builds', type: 'build.state_changed', data: event }])
      return { build, moved: true }
    })
    if (moved) this.events.committed()
    if (moved) await this.dashboards.invalidate()
    return { status: 'updated', build_id: build.build_id, new_state: body.state_code }
  }

  async recordFailure(buildId: string, body: NewFailure): Promise<{ status: 'recorded'; build_id: string }> {
    const now = new Date().toISOString()
    const found = await this.db.writeTransaction(async (trx) => {
      const found = await repo.findBuild(trx, buildId)
      if (!found) throw problems.buildNotFound()
      const build = await repo.markFailed(trx, found.id, now)
      if (!build) throw problems.buildNotFound()
      await repo.insertFailure(trx, {
        build_pk: build.id,
        state_code: build.current_state,
        error_message: body.error_message,
        error_code: body.error_code ?? null,
        component: body.component ?? null,
        details: body.details == null ? null : JSON.stringify(body.details),
        recorded_at: now,
      })
      const data = { id: build.id, build_id: found.build_id, error_message: body.error_message }
      const more = { error_code: body.error_code ?? null, component: body.component ?? null }
      const event = { ...data, ...more, state_code: build.current_state, recorded_at: now }
      await this.events.append(trx, [{ topic: 'builds', type: 'build.failed', data: event }])
      return found
    })
    this.events.committed()
    await this.dashboards.invalidate()
    return { status: 'recorded', build_id: found.build_id }
  }

  async currentState(buildId: string): Promise<CurrentState> {
    const build = await this.mustFind(buildId)
    const latest = await repo.latestState(this.db.kysely, build.id)
    if (!latest) throw new Error(`build ${build.build_id} has no state rows`)
    return {
      build_id: build.build_id,
      current_state: latest.state_code,
      state_name: stateName(latest.state_code),
      message: latest.message,
      transitioned_at: latest.transitioned_at,
    }
  }

  async detail(buildId: string): Promise<BuildDetail> {
    const build = await this.mustFind(buildId)
    const [states, failures] = await Promise.all([
      repo.statesOf(this.db.kysely, build.id),
      repo.failuresOf(this.db.kysely, build.id),
    ])
    return {
      ...toSummary(build),
      states: states.map((s) => ({
        state_code: s.state_code,
        state_name: stateName(s.state_code),
        message: s.message,
        transitioned_at: s.transitioned_at,
      })),
      failures: failures.map((f) => ({
        id: Number(f.id),
        state_code: f.state_code,
        error_message: f.error_message,
        error_code: f.error_code,
        component: f.component,
        details: f.details === null ? null : (JSON.parse(f.details) as Record<string, unknown>),
        recorded_at: f.recorded_at,
      })),
    }
  }

  async list(query: BuildListQuery): Promise<BuildList> {
    const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
    // One extra row tells whether another page follows, so the last page says next_cursor: null.
    const rows = await repo.listBuilds(this.db.kysely, {
      ...(query.platform !== undefined ? { platform: query.platform } : {}),
      ...(query.status !== undefined ? { status: query.status } : {}),
      ...(before !== undefined ? { before } : {}),
      limit: query.limit + 1,
    })
    const page = rows.slice(0, query.limit)
    const last = page.at(-1)
    return { builds: page.map(toSummary), next_cursor: rows.length > query.limit && last ? encodeCursor(last) : null }
  }

  private async mustFind(buildId: string): Promise<BuildRow> {
    const build = await repo.findBuild(this.db.kysely, buildId)
    if (!build) throw problems.buildNotFound()
    return build
  }

  // Dashboards (cached per view; every write above invalidates after it commits) ------------------

  summary(): Promise<Cached<DashboardSummary>> {
    return this.cached('summary', async () => {
      const [counts, platforms, recent] = await Promise.all([
        repo.countsByPlatformAndStatus(this.db.kysely),
        repo.listCatalog(this.db.kysely, 'platforms'),
        repo.listBuilds(this.db.kysely, { limit: RECENT_ON_SUMMARY }),
      ])
      const statusCounts: StatusCounts = { completed: 0, failed: 0, in_progress: 0 }
      const byPlatform: DashboardSummary['by_platform'] = {}
      for (const p of platforms) byPlatform[p.id] = { total: 0, completed: 0, failed: 0, in_progress: 0 }
      let total = 0
      for (const { platform, status, count } of counts) {
        const n = Number(count)
        total += n
        statusCounts[status as BuildStatus] += n
        byPlatform[platform] ??= { total: 0, completed: 0, failed: 0, in_progress: 0 }
        const entry = byPlatform[platform]
        entry.total += n
        entry[status as BuildStatus] += n
      }
      return {
        total_builds: total,
        status_counts: statusCounts,
        by_platform: byPlatform,
        success_rate: total === 0 ? 0 : Math.round((statusCounts.completed / total) * 10_000) / 100,
        recent_builds: recent.map(toDashboardRow),
      }
    })
  }

  recent(limit: number): Promise<Cached<{ recent_builds: DashboardBuild[] }>> {
    return this.cached(`recent:${limit}`, async () => ({
      recent_builds: (await repo.listBuilds(this.db.kysely, { limit })).map(toDashboardRow),
    }))
  }

  /** A platform without builds, known or not, has an empty list (SPEC §5.4); only known ones are cached. */
  async platform(platform: string, limit: number): Promise<Cached<PlatformBuilds>> {
    try {
      return await this.cached(`platform:${limit}:${platform}`, async () => {
        // Thrown, not returned, so that names off the catalog never take a cache entry (memory stays bounded).
        if (!(await repo.catalogIdExists(this.db.kysely, 'platforms', platform))) throw new UnknownPlatform()
        return { platform, builds: (await repo.listBuilds(this.db.kysely, { platform, limit })).map(toDashboardRow) }
      })
    } catch (err) {
      if (err instanceof UnknownPlatform) return { value: { platform, builds: [] }, cache: 'bypass' }
      throw err
    }
  }

  private async cached<T>(view: string, compute: () => Promise<T>): Promise<Cached<T>> {
    const { value, outcome } = await this.dashboards.getOrCompute(view, compute)
    return { value, cache: outcome }
  }
}

class UnknownPlatform extends Error {}

const toSummary: (row: BuildRow) => BuildSummary = membersOf(BuildSummary)

function toDashboardRow(row: BuildRow): DashboardBuild {
  return {
    ...toSummary(row),
    platform_id: row.platform,
    os_version_id: row.os_version,
    image_type_id: row.image_type,
    state_code: row.current_state,
  }
}

function encodeCursor(last: repo.BuildPosition): string {
  return Buffer.from(`before:${last.created_at}|${last.id}`).toString('base64url')
}

function decodeCursor(cursor: string): repo.BuildPosition {
  const match = /^before:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\|([0-9a-f-]{1,36})$/.exec(
    Buffer.from(cursor, 'base64url').toString(),
  )
  if (!match) throw problems.badCursor()
  return { created_at: match[1]!, id: match[2]! }
}

/** The service with its dashboard cache, namespaced in Redis by this database's cache scope. */
export async function createBuildService(
  db: Db<BuildTables>,
  options: {
    redis?: Redis
    ttlSeconds: number
    onCacheError?: (err: unknown, operation: string) => void
    events: EventSink
  },
): Promise<BuildService> {
  const scope = await repo.cacheScope(db.kysely)
  const dashboards = new Cache({
    ...(options.redis ? { redis: options.redis } : {}),
    ttlSeconds: options.ttlSeconds,
    prefix: `statehouse:cache:builds:${scope}:`,
    ...(options.onCacheError ? { onError: options.onCacheError } : {}),
  })
  return new BuildService(db, dashboards, options.events)
}
