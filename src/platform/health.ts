/**
 * Health in three speeds: `/health` (liveness, checks nothing), `/ready` (readiness, checks the
 * database and Redis now, 503 when either is down) and a background probe whose last snapshot
 * (≤ 5 s old) feeds `/status` so that route never waits on a dependency.
 */
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { problems, sendProblem } from './errors.js'
import { Nullable } from './http/common-schemas.js'
import { errors } from './http/problem-responses.js'

export type ComponentStatus = 'healthy' | 'degraded' | 'unhealthy'
export interface ComponentHealth {
  name: string
  status: ComponentStatus
  details: Record<string, unknown>
}
export interface HealthSnapshot {
  overall: ComponentStatus
  components: ComponentHealth[]
  checkedAt: number
}

export interface HealthCheck {
  name: string
  check: () => Promise<void>
}

const CHECK_TIMEOUT_MS = 1500

async function runCheck({ name, check }: HealthCheck): Promise<ComponentHealth> {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS)
      }),
    ])
    return { name, status: 'healthy', details: { latency_ms: Math.round((performance.now() - started) * 10) / 10 } }
  } catch (err) {
    return { name, status: 'unhealthy', details: { error: (err as Error).message || 'unreachable' } }
  } finally {
    clearTimeout(timer)
  }
}

export class HealthProbe {
  private current: HealthSnapshot
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined

  constructor(
    private readonly checks: HealthCheck[],
    private readonly intervalMs: number,
  ) {
    this.current = {
      overall: 'healthy',
      components: [
        ...checks.map((c) => ({ name: c.name, status: 'healthy' as const, details: { pending: true } })),
        api(),
      ],
      checkedAt: Date.now(),
    }
  }

  /** Adds a check (a module's own, e.g. "writes commit in time"); /ready needs every check healthy. */
  addCheck(check: HealthCheck) {
    this.checks.push(check)
  }

  snapshot(): HealthSnapshot {
    return this.current
  }

  async refresh(): Promise<HealthSnapshot> {
    this.running ??= (async () => {
      const results = await Promise.all(this.checks.map(runCheck))
      const components = [...results, api()]
      const database = results.find((r) => r.name === 'database')
      const overall: ComponentStatus =
        database?.status === 'unhealthy'
          ? 'unhealthy'
          : results.some((r) => r.status !== 'healthy')
            ? 'degraded'
            : 'healthy'
      this.current = { overall, components, checkedAt: Date.now() }
    })().finally(() => (this.running = undefined))
    await this.running
    return this.current
  }

  start() {
    void this.refresh()
    this.timer = setInterval(() => void this.refresh(), this.intervalMs)
    this.timer.unref()
  }

  stop() {
    clearInterval(this.timer)
  }
}

function api(): ComponentHealth {
  const mem = process.memoryUsage()
  return { name: 'api', status: 'healthy', details: { pid: process.pid, rss_bytes: mem.rss } }
}

const ReadyResponse = Type.Object(
  {
    database: Type.Boolean(),
    redis: Nullable(Type.Boolean({ description: 'null when Redis is not configured' })),
    overall: Type.Boolean(),
    checks: Type.Optional(
      Type.Record(Type.String(), Type.Boolean(), { description: 'every check by name (modules add their own)' }),
    ),
  },
  { title: 'Readiness' },
)

export function registerHealthRoutes(app: FastifyInstance, probe: HealthProbe, hasRedis: boolean) {
  app.get(
    '/health',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'Liveness: the process answers (checks no dependency)',
        tags: ['health'],
        response: { 200: Type.Object({ status: Type.Literal('healthy') }) },
      },
      config: { rateLimit: false },
    },
    async () => ({ status: 'healthy' as const }),
  )
  app.get(
    '/ready',
    {
      schema: {
        operationId: 'getReadiness',
        summary: 'Readiness: database (and Redis, if configured) reachable now',
        tags: ['health'],
        description:
          'Not ready is a 503 problem+json that carries the same members (database, redis, overall, checks).',
        response: { 200: ReadyResponse, ...errors(503) },
      },
      config: { rateLimit: false },
    },
    async (request, reply) => {
      const snapshot = await probe.refresh()
      const ok = (name: string) => snapshot.components.find((c) => c.name === name)?.status === 'healthy'
      const database = ok('database')
      const redis = hasRedis ? ok('redis') : null
      const checks = Object.fromEntries(
        snapshot.components.filter((c) => c.name !== 'api').map((c) => [c.name, c.status === 'healthy']),
      )
      const overall = database && redis !== false && Object.values(checks).every(Boolean)
      if (overall) return { database, redis, overall, checks }
      // An error like every other (problem+json), with the readiness members beside `detail`.
      return sendProblem(
        request,
        reply,
        problems.unavailable('not ready: a dependency is unreachable', { database, redis, overall, checks }),
      )
    },
  )
}
