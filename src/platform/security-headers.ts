/**
 * Helmet's security headers, computed once at start-up rather than per request. (@fastify/helmet
 * rebuilds the helmet middleware on every request through two async hooks; measured at ~3 % of the
 * CPU of a GET /status, with its hook overhead on top.) A route may widen the Content-Security-Policy
 * with `config: { csp: { directive: [...] } }` (ReDoc needs inline styles and a blob: worker).
 *
 * Pages (docs, ReDoc, the dashboard) get helmet's full set. JSON routes get the subset that means
 * something for an API response (OWASP REST Security Cheat Sheet: nosniff, HSTS, a CSP and frame
 * options that forbid rendering or framing, no referrer, same-origin resources): the other half of
 * helmet's headers only steer how a browser renders an HTML document, and each header costs every
 * response on the hot path.
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

const API_HEADERS = [
  'content-security-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'cross-origin-resource-policy',
]
const PAGE_PREFIXES = ['/docs', '/redoc', '/ui']

/** The headers a JSON response carries: helmet's, narrowed to API_HEADERS, with a CSP that allows nothing. */
export function apiSecurityHeaders(): Record<string, string> {
  const all = helmetHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] } },
    frameguard: { action: 'deny' },
  })
  return Object.fromEntries(API_HEADERS.map((name) => [name, all[name] ?? '']).filter(([, value]) => value !== ''))
}

export function registerSecurityHeaders(app: FastifyInstance) {
  const page = helmetHeaders()
  const api = apiSecurityHeaders()
  // Decided per route at registration; a request only looks its set up.
  const byRoute = new Map<string, Record<string, string>>()
  app.addHook('onRoute', (route) => {
    const csp = route.config?.csp
    if (csp) {
      const directives = { ...helmet.contentSecurityPolicy.getDefaultDirectives(), ...csp }
      byRoute.set(route.url, helmetHeaders({ contentSecurityPolicy: { directives } }))
    } else if (PAGE_PREFIXES.some((prefix) => route.url === prefix || route.url.startsWith(`${prefix}/`))) {
      byRoute.set(route.url, page)
    }
  })
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(byRoute.get(request.routeOptions.url ?? '') ?? api)
    done()
  })
}
