/** The aircraft module (SPEC §6): ingest jobs over position files, per-aircraft statistics. */
import { tablesOf } from '../../platform/db/index.js'
import type { Module } from '../../platform/module.js'
import { IngestService } from './ingest.js'
import { ingestMetrics } from './metrics.js'
import * as m0005 from './migrations/0005_aircraft.js'
import * as m0007 from './migrations/0007_aircraft_icao_case.js'
import { aircraftRoutes } from './routes.js'
import { openSource, sourceUrl } from './sources.js'
import type { AircraftTables } from './tables.js'

export const aircraftModule: Module = {
  name: 'aircraft',
  migrations: { '0005_aircraft': m0005, '0007_aircraft_icao_case': m0007 },
  async register(app, { config, db, metrics, events }) {
    const aircraftDb = tablesOf<AircraftTables>(db)
    const ingest = new IngestService(aircraftDb, openSource(sourceUrl(config), config), {
      leaseMs: config.INGEST_LEASE_SECONDS * 1000,
      workers: config.INGEST_WORKERS,
      onProgress: ingestMetrics(metrics.registry),
      events,
    })
    await app.register(aircraftRoutes, { db: aircraftDb, ingest })
    // Before the server stops waiting for requests: a running job (and a ?wait=true request on it)
    // ends after its current file and releases the lease; onClose then finds it done.
    app.addHook('preClose', async () => ingest.stop())
    app.addHook('onClose', async () => ingest.stop())
  },
}
