/** The events series on /metrics: streams, fan-out counts, slow consumers, how far behind the outbox. */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { EventHub, OutboxReader } from '../../platform/events/hub.js'

export function eventMetrics(registry: Registry, hub: EventHub, reader: OutboxReader): void {
  const stats = hub.stats
  new Gauge({
    name: 'statehouse_events_subscribers',
    help: 'Event streams open on this process',
    registers: [registry],
    collect() {
      this.set(hub.subscribers)
    },
  })
  // Counters read from the hub's running totals at scrape time (the hub stays free of prom-client).
  const counter = (name: string, help: string, read: () => number) => {
    let reported = 0
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const now = read()
        this.inc(now - reported)
        reported = now
      },
    })
  }
  counter(
    'statehouse_events_published_total',
    'Events this process read from the outbox and fanned out',
    () => stats.published,
  )
  counter('statehouse_events_delivered_total', 'Event messages written to streams', () => stats.delivered)
  counter(
    'statehouse_events_slow_consumers_dropped_total',
    'Streams disconnected for holding more unsent bytes than EVENTS_MAX_BUFFER_BYTES',
    () => stats.slowDropped,
  )
  new Gauge({
    name: 'statehouse_events_buffer_peak_bytes',
    help: 'Most unsent bytes any stream held (bounded by EVENTS_MAX_BUFFER_BYTES plus one 64 KiB write)',
    registers: [registry],
    collect() {
      this.set(stats.peakBufferedBytes)
    },
  })
  new Gauge({
    name: 'statehouse_events_outbox_lag',
    help: 'Events committed to the outbox that this process has not yet fanned out (newest id - last delivered id)',
    registers: [registry],
    async collect() {
      try {
        this.set(Math.max(0, (await reader.bounds()).newest - hub.lastId))
      } catch {
        // the database is away: the gauge keeps its last value
      }
    },
  })
}
