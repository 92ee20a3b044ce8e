/**
 * The optional Redis connection (REDIS_URL): shared rate limits, cache and events across replicas.
 *
 * This client serves request paths, so Redis trouble must cost a request milliseconds: no offline
 * queue (a command while disconnected fails at once instead of waiting for a reconnect), a short
 * command timeout (a Redis that accepts but hangs), no retry of a command on a new connection.
 * Every caller treats a failed command as "Redis is away" and goes on without it (rate limits
 * let the request through, caches compute). The log says so once when Redis goes and once when it
 * returns, not once per request.
 */
import { Redis } from 'ioredis'

/** How long one command may take before it fails (a request then goes on without Redis). */
const REDIS_COMMAND_TIMEOUT_MS = 200
/** How long one connection attempt may take (a black-holed address, not only a closed port). */
const REDIS_CONNECT_TIMEOUT_MS = 1000
/** Reconnect attempts back off to at most this, so a returning Redis is used again within a second. */
const MAX_RECONNECT_DELAY_MS = 1000

/** Where the two transition lines go (the app's logger). */
export interface RedisLog {
  warn(obj: object, msg: string): void
  info(obj: object, msg: string): void
}

const lastErrors = new WeakMap<Redis, string>()

/** The URL as it may be logged: the password replaced. */
function redactedRedisUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'redis://(unparsable URL)'
  }
}

export function createRedis(url: string, log?: RedisLog): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    lazyConnect: false,
  })
  const where = redactedRedisUrl(url)
  // 'connecting' until the first outcome, so a Redis that is down at start-up is reported too.
  let state: 'connecting' | 'up' | 'down' = 'connecting'
  const wentAway = (reason: string) => {
    lastErrors.set(redis, reason)
    if (state === 'down') return
    state = 'down'
    log?.warn(
      { redis: where, reason },
      'Redis unreachable: rate limits are not counted and caches are bypassed until it returns',
    )
  }
  // Without an 'error' listener, ioredis would crash the process on a failed connection attempt.
  redis.on('error', (err: Error) => wentAway(err.message || 'connection error'))
  // A connection that closes (Redis restarted, network cut) is followed by 'reconnecting'; a
  // deliberate quit() is not, so shutting down logs nothing.
  redis.on('reconnecting', () => wentAway(lastErrors.get(redis) ?? 'connection closed'))
  redis.on('ready', () => {
    lastErrors.delete(redis)
    if (state === 'down') log?.info({ redis: where }, 'Redis reachable again: rate limits and caches use it again')
    state = 'up'
  })
  return redis
}

/**
 * Waits until the first connection is ready, at most `timeoutMs` (never rejects): requests made at
 * once after start-up then find Redis in use instead of skipping it while it connects.
 */
export async function redisReady(redis: Redis, timeoutMs = REDIS_CONNECT_TIMEOUT_MS): Promise<void> {
  if (redis.status === 'ready') return
  let timer: NodeJS.Timeout | undefined
  let onReady: (() => void) | undefined
  let onError: (() => void) | undefined
  await new Promise<void>((resolve) => {
    onReady = resolve
    // One failed attempt is enough to know: a dead Redis must not delay start-up by the timeout.
    onError = resolve
    redis.once('ready', onReady)
    redis.once('error', onError)
    timer = setTimeout(resolve, timeoutMs)
  })
  clearTimeout(timer)
  if (onReady) redis.off('ready', onReady)
  if (onError) redis.off('error', onError)
}

/** The health probe's check: fails at once with the last connection error while disconnected. */
export async function pingRedis(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') throw new Error(lastErrors.get(redis) ?? `not connected (${redis.status})`)
  await redis.ping()
}
