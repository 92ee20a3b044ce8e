/** Wires the items API into the app. */
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config.js'
import { itemsRoutes } from './routes.js'
import { ItemsService } from './service.js'

export async function registerItems(app: FastifyInstance, config: Config): Promise<ItemsService> {
  const items = new ItemsService(app.db.kysely)
  await app.register(itemsRoutes, { items, perMinute: config.ITEMS_RATE_LIMIT_PER_MINUTE })
  return items
}
