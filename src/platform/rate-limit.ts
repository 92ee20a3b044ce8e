/**
 * The global per-client limit (RATE_LIMIT_PER_MINUTE; 0 disables), counted in Redis when configured
 * so every replica shares one budget. Routes may set their own stricter `config.rateLimit`.
 * The client is `request.ip`, which honours X-Forwarded-For only when TRUST_PROXY says so.
 */
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import { Problem } from './errors.js'

const EXEMPT = new Set(['/health', '/ready', '/metrics'])

export async function registerRateLimit(app: FastifyInstance, opts: { perMinute: number; redis?: Redis }) {
  await app.register(rateLimit, {
    global: opts.perMinute > 0,
    max: opts.perMinute > 0 ? opts.perMinute : 1_000_000,
    timeWindow: 60_000,
    redis: opts.redis,
    nameSpace: 'statehouse:rl:',
    // Counting in Redis must not take the API down with it: if Redis is away, let requests through.
    skipOnError: true,
    allowList: (request) => EXEMPT.has(request.routeOptions.url ?? ''),
    errorResponseBuilder: (_request, context) =>
      new Problem(429, `rate limit of ${context.max} requests per ${context.after} exceeded; retry in ${Math.ceil(context.ttl / 1000)} s`, {
        type: 'urn:statehouse:problem:rate-limited',
        headers: { 'retry-after': String(Math.ceil(context.ttl / 1000)) },
      }),
  })
}
