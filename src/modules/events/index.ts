/**
 * The events module (SPEC §2.4): the outbox every other module writes its events into (through
 * `ModuleContext.events`), the process's one outbox reader and fan-out ({@link EventHub}), and
 * GET /events (Server-Sent Events) with POST /events/tickets.
 */
import { tablesOf } from '../../platform/db/index.js'
import { createWakeBus } from '../../platform/events/bus.js'
import { EventHub } from '../../platform/events/hub.js'
import type { Module } from '../../platform/module.js'
import { eventMetrics } from './metrics.js'
import * as m0008 from './migrations/0008_events_outbox.js'
import { outboxSink } from './outbox-sink.js'
import { outboxReader, purgeEvents } from './repository.js'
import { eventRoutes } from './routes.js'
import type { EventsTables } from './tables.js'
import { ticketStore } from './tickets.js'

/** "24h", "90m", "30s", "2d" or a number of seconds → seconds. */
function retentionSeconds(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/.exec(value.trim())
  if (!match) throw new Error(`EVENTS_RETENTION: "${value}" is not a duration such as 24h, 90m or 3600`)
  return Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd']
}

export const eventsModule: Module = {
  name: 'events',
  migrations: { '0008_events_outbox': m0008 },
  async register(app, { config, db, redis, metrics, events }) {
    const eventsDb = tablesOf<EventsTables>(db)
    const bus = createWakeBus({
      redis,
      postgresUrl: config.database.engine === 'postgresql' ? config.database.url : undefined,
      channel: config.EVENTS_CHANNEL,
      onLinkChange: (up, reason) =>
        up
          ? app.log.info({}, 'events: the cross-replica wake-up link is up')
          : app.log.warn({ reason }, 'events: the cross-replica wake-up link is down; the outbox poll delivers'),
    })
    events.install(outboxSink(eventsDb, bus))
    const hub = new EventHub(
      outboxReader(eventsDb),
      bus,
      {
        heartbeatMs: config.EVENTS_HEARTBEAT_MS,
        pollMs: config.EVENTS_POLL_MS,
        maxSubscribers: config.EVENTS_MAX_SUBSCRIBERS,
        maxBufferBytes: config.EVENTS_MAX_BUFFER_BYTES,
        retryMs: config.EVENTS_RETRY_MS,
      },
      app.log,
    )
    // Started when the app is ready, not here: a start-up that fails in a later module must not
    // leave the LISTEN connection (or the retention timer) of this one open.
    app.addHook('onReady', async () => hub.start())
    const tickets = ticketStore(eventsDb, redis)
    eventMetrics(metrics.registry, hub, outboxReader(eventsDb))
    await app.register(eventRoutes, { hub, tickets })

    // Retention: events older than the window go (chunked), and with them expired tickets. Every
    // replica runs it; concurrent runs delete the same rows once.
    const retentionMs = retentionSeconds(config.EVENTS_RETENTION) * 1000
    let purge: NodeJS.Timeout | undefined
    const startPurge = () =>
      setInterval(
        () => {
          const cutoff = new Date(Date.now() - retentionMs).toISOString()
          Promise.all([purgeEvents(eventsDb, cutoff), tickets.sweep()]).catch((err) =>
            app.log.warn({ err }, 'events: retention could not run; it tries again'),
          )
        },
        Math.min(60_000, Math.max(250, retentionMs / 4)),
      )
    app.addHook('onReady', async () => {
      purge = startPurge()
      purge.unref()
    })
    // Streams end before the server waits for open requests: otherwise every stream would hold
    // the close for SHUTDOWN_TIMEOUT_MS. Their clients reconnect (to another replica) by id.
    app.addHook('preClose', async () => hub.close())
    app.addHook('onClose', async () => {
      clearInterval(purge)
      await hub.close()
    })
  },
}
