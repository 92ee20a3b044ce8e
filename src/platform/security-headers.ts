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
 *
 * HSTS and the CSP's `upgrade-insecure-requests` are sent only where they are true: on a request that
 * came over TLS (Fastify's `request.protocol`, which honours X-Forwarded-Proto from a trusted proxy),
 * or everywhere when HSTS=true says TLS ends somewhere this process cannot see. Sent over plain HTTP
 * they make a browser rewrite every asset of /docs to https, and the page renders blank.
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
function helmetHeaders(options: HelmetOptions = {}): Record<string, string> {
  const headers: Record<string, string> = {}
  const res = {
    setHeader: (name: string, value: string) => {
      headers[name.toLowerCase()] = String(value)
    },
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
function apiSecurityHeaders(tls = true): Record<string, string> {
  const all = helmetHeaders({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] },
    },
    frameguard: { action: 'deny' },
    strictTransportSecurity: tls,
  })
  return Object.fromEntries(API_HEADERS.map((name) => [name, all[name] ?? '']).filter(([, value]) => value !== ''))
}

/** A page's headers: helmet's defaults, its CSP widened by `csp`; without HSTS and upgrade-insecure-requests unless `tls`. */
function pageSecurityHeaders(tls: boolean, csp: Record<string, string[]> = {}): Record<string, string> {
  const directives: Record<string, unknown> = { ...helmet.contentSecurityPolicy.getDefaultDirectives(), ...csp }
  if (!tls) directives['upgrade-insecure-requests'] = null
  // Browsers ignore (and complain of) Cross-Origin-Opener-Policy at an origin without TLS.
  return helmetHeaders({
    contentSecurityPolicy: { directives: directives as never },
    strictTransportSecurity: tls,
    crossOriginOpenerPolicy: tls,
  })
}

interface HeaderSets {
  tls: Record<string, string>
  plain: Record<string, string>
}

export interface SecurityHeaderOptions {
  /** HSTS and upgrade-insecure-requests on every response, whatever the request's protocol. */
  hsts?: boolean
}

export function registerSecurityHeaders(app: FastifyInstance, options: SecurityHeaderOptions = {}) {
  const page: HeaderSets = { tls: pageSecurityHeaders(true), plain: pageSecurityHeaders(false) }
  const api: HeaderSets = { tls: apiSecurityHeaders(true), plain: apiSecurityHeaders(false) }
  // Decided per route at registration; a request only looks its set up.
  const byRoute = new Map<string, HeaderSets>()
  app.addHook('onRoute', (route) => {
    const csp = route.config?.csp
    if (csp) {
      byRoute.set(route.url, { tls: pageSecurityHeaders(true, csp), plain: pageSecurityHeaders(false, csp) })
    } else if (PAGE_PREFIXES.some((prefix) => route.url === prefix || route.url.startsWith(`${prefix}/`))) {
      byRoute.set(route.url, page)
    }
  })
  const always = options.hsts === true
  app.addHook('onRequest', (request, reply, done) => {
    const sets = byRoute.get(request.routeOptions.url ?? '') ?? api
    reply.headers(always || request.protocol === 'https' ? sets.tls : sets.plain)
    done()
  })
}
