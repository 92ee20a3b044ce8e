/**
 * The one shape every domain module has: each module folder's `index.ts` exports one. The platform
 * defines it and knows no module: `app.ts` lists the modules, the migration provider gathers their
 * migrations, and each module's `register` wires its routes, hooks and services on the app the
 * platform built.
 */
import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Migration } from 'kysely'
import type { Config } from '../config.js'
import type { Db } from './db/index.js'
import type { EventSinkSlot } from './events/sink.js'
import type { HealthProbe } from './health.js'
import type { Metrics } from './observability.js'

/** What the platform hands every module when it registers. */
export interface ModuleContext {
  config: Config
  /** The shared handle; a module takes a typed view of its own tables with `tablesOf<ItsTables>(db)`. */
  db: Db
  /** Present when REDIS_URL is set (shared state across replicas); otherwise modules keep it in-process. */
  redis: Redis | undefined
  health: HealthProbe
  /** The Prometheus registry behind GET /metrics, for a module's own metrics. */
  metrics: Metrics
  /** Route → summary of every visible route, filled in as routes register (read it at request time). */
  endpoints: ReadonlyMap<string, string>
  /** Where a module records its events, inside the transaction of the change (the events module installs the outbox). */
  events: EventSinkSlot
}

export interface Module {
  /** Short and unique: names the module in errors (a duplicate migration name names both modules). */
  name: string
  /**
   * The module's own migrations by name. Names are recorded in kysely_migration and run in name
   * order across all modules, so they are never renamed once released and never reused.
   */
  migrations: Readonly<Record<string, Migration>>
  /**
   * Wires the module on the app, after the platform (errors, auth registry, rate limits, docs) and
   * after the modules listed before it. Hooks it adds (`onClose`, `preClose`) run before the
   * platform closes the database and Redis.
   */
  register(app: FastifyInstance, ctx: ModuleContext): Promise<void>
}
