/** The optional Redis connection (REDIS_URL): shared rate limits, cache and events across replicas. */
import { Redis } from 'ioredis'

export function createRedis(url: string): Redis {
  const redis = new Redis(url, {
    // Fail commands fast while Redis is away instead of queueing them without bound.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 2000,
    lazyConnect: false,
  })
  // Connection errors are reported by the health probe; an unhandled 'error' event would crash.
  redis.on('error', () => {})
  return redis
}
