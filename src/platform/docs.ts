/**
 * OpenAPI 3 generated from the route schemas, served three ways, all offline (assets come from
 * node_modules, never a CDN): /openapi.json, Swagger UI at /docs, ReDoc at /redoc.
 */
import fs from 'node:fs'
import { createRequire } from 'node:module'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { PACKAGE_VERSION } from './paths.js'

const require = createRequire(import.meta.url)

/** ReDoc's sidebar footer loads its vendor's logo from a CDN; the bundle is served with a local one. */
const REDOC_CDN_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg'
const REDOC_LOCAL_LOGO = '/redoc/logo-mini.svg'
// A plain mark in the footer's size (the footer reads "API docs by Redocly" beside it).
const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="15" height="15" viewBox="0 0 15 15">' +
  '<rect x="1" y="1" width="13" height="13" rx="3" fill="none" stroke="#32329f" stroke-width="2"/></svg>'

/** The ReDoc bundle with every CDN reference pointed at this server (checked once at start-up). */
export function localRedocBundle(): Buffer {
  const text = fs.readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'), 'utf8')
  const local = text.replaceAll(REDOC_CDN_LOGO, REDOC_LOCAL_LOGO)
  // A ReDoc upgrade that moves the logo elsewhere fails here, not silently in a browser.
  if (/https:\/\/cdn\.redoc\.ly\//.test(local))
    throw new Error('redoc.standalone.js loads another asset from cdn.redoc.ly; serve it locally in docs.ts')
  return Buffer.from(local)
}

export async function registerDocs(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'statehouse',
        version: PACKAGE_VERSION,
        description:
          'Shared state, items, build tracking and aircraft statistics behind one authenticated API. ' +
          'Errors are application/problem+json (RFC 9457).',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
    },
    // Routes that declare `config.auth` are documented as needing a key or a token.
    transform: ({ schema, url, route }) => {
      const auth = route.config?.auth as { schemes?: string[] } | undefined
      if (!auth) return { schema, url }
      const schemes = auth.schemes ?? ['apiKey', 'bearer']
      return { schema: { ...schema, security: schemes.map((s) => ({ [s]: [] })) } as typeof schema, url }
    },
  })
  // No staticCSP: the plugin's own policy always says upgrade-insecure-requests; /docs pages get
  // security-headers.ts's page set instead, which says it only over TLS.
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { url: '/openapi.json', validatorUrl: null } })

  const hidden = { schema: { hide: true }, config: { rateLimit: false } }
  app.get('/openapi.json', hidden, async () => app.swagger())

  const redocBundle = localRedocBundle()
  app.get('/redoc/redoc.standalone.js', hidden, (_request, reply) =>
    reply
      .type('application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .send(redocBundle),
  )
  app.get(REDOC_LOCAL_LOGO, hidden, (_request, reply) =>
    reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(LOGO_SVG),
  )
  app.get(
    '/redoc',
    {
      ...hidden,
      // ReDoc styles itself inline and runs its search in a blob: worker.
      config: {
        rateLimit: false,
        csp: {
          'style-src': ["'self'", "'unsafe-inline'"],
          'worker-src': ["'self'", 'blob:'],
          'img-src': ["'self'", 'data:'],
        },
      },
    },
    (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><html><head><meta charset="utf-8"><title>statehouse API — ReDoc</title>' +
            `<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="${REDOC_LOCAL_LOGO}"></head>` +
            '<body><redoc spec-url="/openapi.json"></redoc><script src="/redoc/redoc.standalone.js"></script></body></html>',
        ),
  )
}
