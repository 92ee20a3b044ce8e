/**
 * A small read-through cache for computed views (the build dashboards): in Redis when REDIS_URL is
 * set, so every replica shares it, in this process otherwise. Entries live `ttlSeconds` at most.
 *
 * Invalidation is a generation counter that is part of every key (`<prefix><generation>:<view>`):
 * `invalidate()` increments it (one INCR in Redis, so every replica's next read uses the new
 * generation and misses). A reader reads the generation BEFORE it computes, and stores its result
 * under that generation; so a reader that computed from data older than a write can only store under
 * the generation the write has already retired — it can never be served again. Deleting keys instead
 * would race exactly there (a slow reader re-inserting what it read before the write). Retired
 * entries simply expire with their TTL.
 *
 * Redis trouble never fails or stalls a request: each command has REDIS_TIMEOUT_MS, and a read
 * whose command fails computes directly. An invalidation that could not reach Redis is remembered,
 * and this replica bypasses the cache until a retry of it succeeds. `onError` hears of the first
 * failure of a streak only, and not while the client is disconnected (the client reports that
 * itself): a dead Redis must not cost a log line per request.
 */
import type { Redis } from 'ioredis'

/**
 * How long one Redis command may take before the cache gives up on it (a dashboard is computed
 * instead). The client's own command timeout (src/platform/redis.ts) is shorter; this bounds a
 * client configured without one.
 */
const REDIS_TIMEOUT_MS = 500

function withTimeout<T>(operation: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    operation,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not answer within ${REDIS_TIMEOUT_MS} ms`)),
        REDIS_TIMEOUT_MS,
      )
    }),
  ]).finally(() => clearTimeout(timer))
}

export type CacheOutcome = 'hit' | 'miss' | 'bypass'

export interface CacheOptions {
  /** Shared Redis, or undefined for an in-process cache. */
  redis?: Redis
  /** Time to live of an entry; 0 disables caching (every read computes). */
  ttlSeconds: number
  /** Prefix of every Redis key (namespaces one cache from another on a shared Redis). */
  prefix: string
  /** Told about the first Redis error of a streak while connected (a timeout, a bad reply); the request goes on without the cache. */
  onError?: (err: unknown, operation: string) => void
}

export class Cache {
  private readonly redis: Redis | undefined
  private readonly ttlMs: number
  private readonly generationKey: string
  // In-process mode.
  private generation = 0
  private readonly entries = new Map<string, { expiresAt: number; json: string }>()
  // Redis mode: an INCR that failed and must succeed before this replica trusts the cache again.
  private invalidationPending = false
  // Redis mode: the last command failed (an outage is reported once, on its first failure).
  private failing = false

  constructor(private readonly options: CacheOptions) {
    this.redis = options.redis
    this.ttlMs = options.ttlSeconds * 1000
    this.generationKey = `${options.prefix}generation`
  }

  /** The cached value of `view`, or `compute()`'s result (stored for the next read). */
  async getOrCompute<T>(view: string, compute: () => Promise<T>): Promise<{ value: T; outcome: CacheOutcome }> {
    if (this.ttlMs <= 0) return { value: await compute(), outcome: 'bypass' }
    return this.redis ? this.viaRedis(this.redis, view, compute) : this.inProcess(view, compute)
  }

  /** Retires every entry; call it after the write that changes the views has committed. */
  async invalidate(): Promise<void> {
    if (!this.redis) {
      this.generation++
      this.entries.clear()
      return
    }
    try {
      await withTimeout(this.redis.incr(this.generationKey))
      this.invalidationPending = false
      this.failing = false
    } catch (err) {
      this.invalidationPending = true
      this.failed(err, 'invalidate')
    }
  }

  private async inProcess<T>(view: string, compute: () => Promise<T>): Promise<{ value: T; outcome: CacheOutcome }> {
    const generation = this.generation
    const entry = this.entries.get(view)
    if (entry && entry.expiresAt > Date.now()) return { value: JSON.parse(entry.json) as T, outcome: 'hit' }
    const value = await compute()
    // Stored only if no invalidation happened while computing (the value may predate that write).
    if (generation === this.generation)
      this.entries.set(view, { expiresAt: Date.now() + this.ttlMs, json: JSON.stringify(value) })
    return { value, outcome: 'miss' }
  }

  private async viaRedis<T>(
    redis: Redis,
    view: string,
    compute: () => Promise<T>,
  ): Promise<{ value: T; outcome: CacheOutcome }> {
    if (this.invalidationPending) {
      await this.invalidate()
      if (this.invalidationPending) return { value: await compute(), outcome: 'bypass' }
    }
    let key: string
    try {
      const generation = (await withTimeout(redis.get(this.generationKey))) ?? '0'
      key = `${this.options.prefix}${generation}:${view}`
      const cached = await withTimeout(redis.get(key))
      this.failing = false
      if (cached !== null) return { value: JSON.parse(cached) as T, outcome: 'hit' }
    } catch (err) {
      this.failed(err, 'read')
      return { value: await compute(), outcome: 'bypass' }
    }
    const value = await compute()
    try {
      await withTimeout(redis.set(key, JSON.stringify(value), 'PX', Math.max(1, Math.round(this.ttlMs))))
    } catch (err) {
      this.failed(err, 'store')
    }
    return { value, outcome: 'miss' }
  }

  private failed(err: unknown, operation: string) {
    // While the client is disconnected, it has said so itself (src/platform/redis.ts logs the outage).
    if (!this.failing && this.redis?.status === 'ready') this.options.onError?.(err, operation)
    this.failing = true
  }
}
