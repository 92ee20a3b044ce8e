/**
 * Per-client rate limits: the global one (RATE_LIMIT_PER_MINUTE; 0 disables) and named budgets for
 * groups of routes ({@link perClientLimit}: logins, items). Counted in Redis when configured, so every
 * replica shares one budget; in process otherwise.
 *
 * The global limit is an app-wide onRequest hook, so it runs before authentication and before the
 * router's 404: wrong credentials and unknown routes are counted like any request.
 *
 * Redis trouble never holds a request and never turns a limit off: a counter call that fails or has
 * no answer within {@link REDIS_COUNT_TIMEOUT_MS} opens a circuit breaker, and until it closes again
 * every count is kept in process (per replica). After {@link BREAKER_COOLDOWN_MS} one request tries
 * Redis again; when that works, counting is shared again.
 *
 * The client is `request.ip`, which honours X-Forwarded-For only as far as TRUST_PROXY says.
 */
import type { FastifyInstance, FastifyReply, onRequestAsyncHookHandler } from 'fastify'
import type { Redis } from 'ioredis'
import { Counter, type Registry } from 'prom-client'
import { Problem } from './errors.js'

const EXEMPT = new Set(['/health', '/ready', '/metrics'])
const WINDOW_MS = 60_000
/** Longest a request waits for Redis to count it (the command timeout is 200 ms; this is shorter). */
const REDIS_COUNT_TIMEOUT_MS = 100
/** How long counting stays in process after Redis failed, before one request tries it again. */
const BREAKER_COOLDOWN_MS = 1000
/** Clients tracked in process at most (a flood of addresses evicts the oldest windows, not memory). */
const MAX_LOCAL_WINDOWS = 100_000

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: not counted by the global limit (health routes, docs). */
    rateLimit?: false
  }
  interface FastifyInstance {
    /** 429s by limiter (`global`, or a {@link perClientLimit} group's name), when metrics are on. */
    rateLimited?: Counter<'limiter'>
    /** Where every limit counts (Redis with an in-process fallback, or in process). */
    rateWindows: RateWindows
  }
}

/** A count in a fixed window: how many hits so far, and milliseconds until the window ends. */
export interface WindowCount {
  count: number
  resetMs: number
}

export interface RateWindows {
  hit(key: string, windowMs: number): Promise<WindowCount> | WindowCount
}

/** Fixed windows in process, bounded in size. */
class LocalWindows implements RateWindows {
  private readonly windows = new Map<string, { count: number; endsAt: number }>()

  constructor(private readonly maxKeys = MAX_LOCAL_WINDOWS) {}

  hit(key: string, windowMs: number, now = Date.now()): WindowCount {
    let window = this.windows.get(key)
    if (!window || window.endsAt <= now) {
      this.windows.delete(key)
      if (this.windows.size >= this.maxKeys) this.evict(now)
      window = { count: 0, endsAt: now + windowMs }
      this.windows.set(key, window)
    }
    window.count++
    return { count: window.count, resetMs: window.endsAt - now }
  }

  private evict(now: number) {
    for (const [key, w] of this.windows) if (w.endsAt <= now) this.windows.delete(key)
    // Still full: the oldest tenth goes (Map order is insertion order).
    let drop = this.windows.size >= this.maxKeys ? Math.ceil(this.maxKeys / 10) : 0
    for (const key of this.windows.keys()) {
      if (drop-- <= 0) break
      this.windows.delete(key)
    }
  }
}

// INCR, and set the window on its first hit (or if the expiry got lost); returns {count, ms left}.
const COUNT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`

type RedisWithCount = Redis & { statehouseCount(key: string, windowMs: number): Promise<[number, number]> }

/** Windows in Redis (shared by replicas) behind a circuit breaker that falls back to {@link LocalWindows}. */
class SharedWindows implements RateWindows {
  private openUntil = 0
  private readonly redis: RedisWithCount

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly local = new LocalWindows(),
  ) {
    if (!('statehouseCount' in redis)) redis.defineCommand('statehouseCount', { numberOfKeys: 1, lua: COUNT_SCRIPT })
    this.redis = redis as RedisWithCount
  }

  /** Whether counts go to Redis now (the breaker is closed, or about to try it). */
  get shared(): boolean {
    return this.redis.status === 'ready' && Date.now() >= this.openUntil
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    if (!this.shared) return this.local.hit(key, windowMs)
    let timer: NodeJS.Timeout | undefined
    try {
      const [count, ttl] = await Promise.race([
        this.redis.statehouseCount(this.prefix + key, windowMs),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer')), REDIS_COUNT_TIMEOUT_MS)
        }),
      ])
      return { count: Number(count), resetMs: Math.max(0, Number(ttl)) }
    } catch {
      this.openUntil = Date.now() + BREAKER_COOLDOWN_MS
      return this.local.hit(key, windowMs)
    } finally {
      clearTimeout(timer)
    }
  }
}

export async function registerRateLimit(
  app: FastifyInstance,
  opts: { perMinute: number; redis?: Redis; nameSpace?: string; registry?: Registry },
) {
  // Limiter names come from code (route groups), never from a request: the label stays bounded.
  const rateLimited = opts.registry
    ? new Counter({
        name: 'statehouse_rate_limited_total',
        help: 'Requests refused with 429, by rate limiter',
        labelNames: ['limiter'] as const,
        registers: [opts.registry],
      })
    : undefined
  app.decorate('rateLimited', rateLimited)
  const windows: RateWindows = opts.redis
    ? new SharedWindows(opts.redis, opts.nameSpace ?? 'statehouse:rl:')
    : new LocalWindows()
  app.decorate('rateWindows', windows)
  if (opts.perMinute <= 0) return
  // App-wide, so ahead of every route's own hooks (authentication included) and of the 404 handler.
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config?.rateLimit === false || EXEMPT.has(request.routeOptions.url ?? '')) return
    await enforce(app, reply, 'global', `global:${request.ip}`, opts.perMinute)
  })
}

/** Counts one request against `key`; sets the X-RateLimit headers, or throws the 429. */
async function enforce(app: FastifyInstance, reply: FastifyReply, name: string, key: string, max: number) {
  const { count, resetMs } = await app.rateWindows.hit(key, WINDOW_MS)
  const reset = String(Math.max(1, Math.ceil(resetMs / 1000)))
  if (count <= max) {
    reply.header('x-ratelimit-limit', max).header('x-ratelimit-remaining', max - count)
    reply.header('x-ratelimit-reset', reset)
    return
  }
  app.rateLimited?.inc({ limiter: name })
  const what = name === 'global' ? '' : ` on ${name}`
  throw new Problem(429, `rate limit of ${max} requests per minute${what} exceeded; retry in ${reset} s`, {
    type: 'urn:statehouse:problem:rate-limited',
    headers: {
      'retry-after': reset,
      'x-ratelimit-limit': String(max),
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': reset,
    },
  })
}

/**
 * An extra per-client budget for a group of routes (`name`), counted on top of the global limit in
 * the same store (Redis when configured, so replicas share it; in process while Redis is away).
 * Returns an onRequest hook that answers 429 problem+json with `Retry-After` past `perMinute`;
 * undefined when `perMinute` is 0. Every request counts, failed ones too (a failed login is exactly
 * what a login limit is for). Routes that give one hook the same `name` share one budget.
 */
export function perClientLimit(
  app: FastifyInstance,
  name: string,
  perMinute: number,
): onRequestAsyncHookHandler | undefined {
  if (perMinute <= 0) return undefined
  return async (request, reply) => enforce(app, reply, name, `${name}:${request.ip}`, perMinute)
}
