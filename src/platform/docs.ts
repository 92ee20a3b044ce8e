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
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { url: '/openapi.json' } })

  const hidden = { schema: { hide: true }, config: { rateLimit: false } }
  app.get('/openapi.json', hidden, async () => app.swagger())

  const redocBundle = require.resolve('redoc/bundles/redoc.standalone.js')
  app.get('/redoc/redoc.standalone.js', hidden, (_request, reply) =>
    reply.type('application/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(fs.createReadStream(redocBundle)),
  )
  app.get(
    '/redoc',
    {
      ...hidden,
      // ReDoc styles itself inline and runs its search in a blob: worker.
      config: {
        rateLimit: false,
        csp: { 'style-src': ["'self'", "'unsafe-inline'"], 'worker-src': ["'self'", 'blob:'], 'img-src': ["'self'", 'data:'] },
      },
    },
    (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><html><head><meta charset="utf-8"><title>statehouse API — ReDoc</title>' +
            '<meta name="viewport" content="width=device-width, initial-scale=1"></head>' +
            '<body><redoc spec-url="/openapi.json"></redoc><script src="/redoc/redoc.standalone.js"></script></body></html>',
        ),
  )
}
