/** The shared-state module (SPEC §2): the counter and message, their audit log, the service index. */
import fs from 'node:fs'
import path from 'node:path'
import { tablesOf } from '../../platform/db/index.js'
import type { Module } from '../../platform/module.js'
import { PACKAGE_ROOT } from '../../platform/paths.js'
import * as m0001 from './migrations/0001_state.js'
import { stateRoutes } from './routes.js'
import { StateService } from './service.js'
import type { StateTables } from './tables.js'

export const stateModule: Module = {
  name: 'state',
  migrations: { '0001_state': m0001 },
  async register(app, { db, health, endpoints }) {
    const state = new StateService(tablesOf<StateTables>(db))
    const hasUi = fs.existsSync(path.join(PACKAGE_ROOT, 'ui', 'dist', 'index.html'))
    await app.register(stateRoutes, { state, health, endpoints, hasUi })
    // Updates still in the write batcher are committed before the platform closes the database.
    app.addHook('onClose', async () => state.flushed())
  },
}
