/**
 * The dashboard's files (ui/dist, built by ui/build.mjs) under /ui/. The page routes itself with real
 * paths (/ui/builds/<id>), so every path under /ui/ that is not one of its files gets index.html;
 * a path that looks like a file but is not one is a 404, so a stale or mistyped asset URL never
 * receives HTML in place of a script. Files are read from disk on each request (a rebuild, or
 * `build:ui --watch`, is live at once); only plain names are looked up, so nothing outside ui/dist
 * can be named.
 */
import fs from 'node:fs'
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { sendProblem } from '../../platform/errors.js'
import { problems } from './problems.js'

export interface UiRoutesOptions {
  /** The built page: index.html and its assets. */
  dist: string
}

/**
 * The page needs nothing but its own origin: no inline script or style (uPlot styles through the
 * CSSOM, which CSP allows), no data: URLs, no fonts or images from elsewhere. Merged over helmet's
 * defaults by the platform's security headers, this leaves every directive at 'self' or stricter.
 */
const PAGE_CSP: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'"],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'frame-ancestors': ["'none'"],
}

const IMMUTABLE = 'public, max-age=31536000, immutable'
/** esbuild's `[name]-[hash]` names: the content hash makes them safe to keep for a year. */
const HASHED = /^app-[A-Z0-9]+\.(js|css)$/
/** A name ui/dist may hold: no folders, no dot files. */
const PLAIN_NAME = /^[\w-][\w.-]*$/
/** What a request for a file (rather than a route of the page) looks like. */
const ASSET_LIKE = /\.(js|mjs|css|map|svg|png|jpe?g|gif|webp|ico|json|txt|woff2?|ttf|html?|wasm)$/i

export const uiRoutes: FastifyPluginAsync<UiRoutesOptions> = async (app, { dist }) => {
  await app.register(fastifyStatic, { root: dist, serve: false, suppressWarning: true })
  const index = path.join(dist, 'index.html')
  const config = { csp: PAGE_CSP }
  const schema = { hide: true }

  const sendIndex = (request: FastifyRequest, reply: FastifyReply) => {
    // Checked per request, so building the page after the server started needs no restart.
    if (!fs.existsSync(index)) return sendProblem(request, reply, problems.notBuilt())
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false })
  }

  // With ignoreTrailingSlash, '/ui/' also answers '/ui': send that one to the canonical '/ui/', so the
  // page's relative asset URLs resolve under /ui/.
  app.get('/ui/', { config, schema }, async (request, reply) => {
    const [pathname, query] = splitUrl(request.url)
    if (pathname === '/ui') return reply.redirect(`/ui/${query}`, 301)
    return sendIndex(request, reply)
  })

  app.get('/ui/*', { config, schema }, async (request, reply) => {
    const name = (request.params as { '*': string })['*']
    if (PLAIN_NAME.test(name) && name !== 'index.html' && isFile(path.join(dist, name))) {
      const cacheControl = HASHED.test(name) ? IMMUTABLE : 'no-cache'
      return reply.header('cache-control', cacheControl).sendFile(name, { cacheControl: false })
    }
    if (ASSET_LIKE.test(name) && name !== 'index.html') {
      if (!fs.existsSync(index)) return sendProblem(request, reply, problems.notBuilt())
      return sendProblem(request, reply, problems.assetNotFound(name))
    }
    return sendIndex(request, reply)
  })
}

function splitUrl(url: string): [string, string] {
  const at = url.indexOf('?')
  return at === -1 ? [url, ''] : [url.slice(0, at), url.slice(at)]
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile()
  } catch {
    return false
  }
}
