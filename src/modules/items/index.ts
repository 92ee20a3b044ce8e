/** The items module: wires the items API into the app. */
import type { FastifyInstance } from 'fastify'
import { tablesOf } from '../../platform/db/index.js'
import type { Module, ModuleContext } from '../../platform/module.js'
import * as m0003 from './migrations/0003_items.js'
import { itemsRoutes } from './routes.js'
import { ItemsService } from './service.js'
import type { ItemsTablesWithOwners } from './tables.js'

async function registerItems(app: FastifyInstance, { config, db }: ModuleContext): Promise<void> {
  const items = new ItemsService(tablesOf<ItemsTablesWithOwners>(db).kysely)
  await app.register(itemsRoutes, { items, perMinute: config.ITEMS_RATE_LIMIT_PER_MINUTE })
}

export const itemsModule: Module = {
  name: 'items',
  migrations: { '0003_items': m0003 },
  register: registerItems,
}
