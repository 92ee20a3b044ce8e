/** The shared-state module (SPEC §2): the counter and message, their audit log, the service index. */
import { tablesOf } from '../../platform/db/index.js'
import type { Module } from '../../platform/module.js'
import * as m0001 from './migrations/0001_state.js'
import { stateRoutes } from './routes.js'
import { StateService } from './service.js'
import type { StateTables } from './tables.js'

export const stateModule: Module = {
  name: 'state',
  migrations: { '0001_state': m0001 },
  async register(app, { config, db, health, endpoints, events }) {
    const state = new StateService(tablesOf<StateTables>(db), events, config.WRITE_DEADLINE_MS)
    // /ready turns 503 while updates miss their commit deadline (a hung or half-open database).
    health.addCheck({
      name: 'writes',
      check: async () => {
        if (state.writesStuck()) throw new Error(`updates are not committing within ${config.WRITE_DEADLINE_MS} ms`)
      },
    })
    await app.register(stateRoutes, { state, health, endpoints })
    // Updates still in the write batcher are committed before the platform closes the database.
    app.addHook('onClose', async () => state.flushed())
  },
}
