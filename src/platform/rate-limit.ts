/**
 * The global per-client limit (RATE_LIMIT_PER_MINUTE; 0 disables), counted in Redis when configured
 * so every replica shares one budget. Routes may set their own stricter `config.rateLimit`.
 * The client is `request.ip`, which honours X-Forwarded-For only when TRUST_PROXY says so.
 */
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify'
import type { Redis } from 'ioredis'
import { Counter, type Registry } from 'prom-client'
import { Problem } from './errors.js'

const EXEMPT = new Set(['/health', '/ready', '/metrics'])

declare module 'fastify' {
  interface FastifyInstance {
    /** 429s by limiter (`global`, or a {@link perClientLimit} group's name), when metrics are on. */
    rateLimited?: Counter<'limiter'>
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
  await app.register(rateLimit, {
    global: opts.perMinute > 0,
    max: opts.perMinute > 0 ? opts.perMinute : 1_000_000,
    timeWindow: 60_000,
    redis: opts.redis,
    nameSpace: opts.nameSpace ?? 'statehouse:rl:',
    // Counting in Redis must not take the API down with it: if Redis is away, let requests through.
    skipOnError: true,
    allowList: (request) => EXEMPT.has(request.routeOptions.url ?? ''),
    errorResponseBuilder: (_request, context) => {
      rateLimited?.inc({ limiter: 'global' })
      return new Problem(
        429,
        `rate limit of ${context.max} requests per ${context.after} exceeded; retry in ${Math.ceil(context.ttl / 1000)} s`,
        {
          type: 'urn:statehouse:problem:rate-limited',
          headers: { 'retry-after': String(Math.ceil(context.ttl / 1000)) },
        },
      )
    },
  })
}

/**
 * An extra per-client budget for a group of routes (`name`), counted on top of the global limit in
 * the same store (Redis when configured, so replicas share it). Returns an onRequest hook that
 * answers 429 problem+json with `Retry-After` past `perMinute`; undefined when `perMinute` is 0.
 * Every request counts, failed ones too (a failed login is exactly what a login limit is for).
 */
export function perClientLimit(
  app: FastifyInstance,
  name: string,
  perMinute: number,
): onRequestAsyncHookHandler | undefined {
  if (perMinute <= 0) return undefined
  // The key names the group, so each group has its own counter next to the global one.
  const check = app.createRateLimit({
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => `${name}:${request.ip}`,
  })
  return async (request, reply) => {
    const result = await check(request)
    if (result.isAllowed) return
    if (!result.isExceeded) {
      reply.header('x-ratelimit-limit', result.max).header('x-ratelimit-remaining', result.remaining)
      reply.header('x-ratelimit-reset', result.ttlInSeconds)
      return
    }
    app.rateLimited?.inc({ limiter: name })
    const retryAfter = String(Math.max(1, result.ttlInSeconds))
    throw new Problem(
      429,
      `rate limit of ${result.max} requests per minute on ${name} exceeded; retry in ${retryAfter} s`,
      {
        type: 'urn:statehouse:problem:rate-limited',
        headers: {
          'retry-after': retryAfter,
          'x-ratelimit-limit': String(result.max),
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': retryAfter,
        },
      },
    )
  }
}
