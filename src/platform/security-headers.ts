/**
 * Helmet's security headers, computed once at start-up rather than per request. (@fastify/helmet
 * rebuilds the helmet middleware on every request through two async hooks; measured at ~3 % of the
 * CPU of a GET /status, with its hook overhead on top.) A route may widen the Content-Security-Policy
 * with `config: { csp: { directive: [...] } }` (ReDoc needs inline styles and a blob: worker).
 */
import type { FastifyInstance } from 'fastify'
import helmet, { type HelmetOptions } from 'helmet'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Extra Content-Security-Policy directives for this route. */
    csp?: Record<string, string[]>
  }
}

/** Runs helmet once against a recording response and returns the headers it would set. */
export function helmetHeaders(options: HelmetOptions = {}): Record<string, string> {
  const headers: Record<string, string> = {}
  const res = {
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
    getHeader: (name: string) => headers[name.toLowerCase()],
  }
  helmet(options)({} as never, res as never, () => {})
  return headers
}

export function registerSecurityHeaders(app: FastifyInstance) {
  const base = helmetHeaders()
  const perRoute = new Map<string, Record<string, string>>()
  app.addHook('onRoute', (route) => {
    const csp = route.config?.csp
    if (csp) {
      const directives = { ...helmet.contentSecurityPolicy.getDefaultDirectives(), ...csp }
      perRoute.set(route.url, helmetHeaders({ contentSecurityPolicy: { directives } }))
    }
  })
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers((request.routeOptions.config.csp && perRoute.get(request.routeOptions.url ?? '')) || base)
    done()
  })
}
