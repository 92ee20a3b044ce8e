/** The build-state module (SPEC §5): catalog, builds through numbered states, failures, dashboards. */
import { tablesOf } from '../../platform/db/index.js'
import type { Module } from '../../platform/module.js'
import { loadDevelopmentBuilds } from './dev-data.js'
import * as m0004 from './migrations/0004_builds.js'
import * as m0006 from './migrations/0006_builds_string_ids.js'
import { buildRoutes } from './routes.js'
import { createBuildService } from './service.js'
import type { BuildTables } from './tables.js'

export const buildsModule: Module = {
  name: 'builds',
  migrations: { '0004_builds': m0004, '0006_builds_string_ids': m0006 },
  async register(app, { config, db, redis, events }) {
    const buildsDb = tablesOf<BuildTables>(db)
    if (config.ENVIRONMENT === 'development') await loadDevelopmentBuilds(buildsDb)
    const builds = await createBuildService(buildsDb, {
      ...(redis ? { redis } : {}),
      ttlSeconds: config.CACHE_TTL,
      events,
      onCacheError: (err, operation) =>
        app.log.warn({ err, operation }, 'dashboard cache: Redis unavailable, serving from the database'),
    })
    await app.register(buildRoutes, { builds })
  },
}
