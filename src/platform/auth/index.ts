/**
 * Authentication as a route option. A route declares `config: { auth: { scope: 'write' } }`; one
 * onRequest hook — which runs before the body is read — finds the caller from `X-API-Key` or
 * `Authorization: Bearer`, answers 401 when there is none or it is wrong, 403 when the scope is
 * missing, and leaves the caller on `request.principal`. Modules add verifiers (issued tokens, JWTs)
 * to the registry; the platform ships the static keys from the environment.
 */
import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { problems } from '../errors.js'

export type Scope = 'read' | 'write' | 'admin'
export const ALL_SCOPES: readonly Scope[] = ['read', 'write', 'admin']

export interface Principal {
  kind: 'static-key' | 'api-token' | 'user'
  /** Who it is, for logs: a key fingerprint, a token id or a username. Never a secret. */
  subject: string
  scopes: ReadonlySet<Scope>
  userId?: string
  username?: string
  isSuperuser: boolean
}

export interface AuthRequirement {
  /** Which credentials the route takes; default both. */
  schemes?: ('apiKey' | 'bearer')[]
  /** Scope the caller needs; default none beyond being authenticated. */
  scope?: Scope
}

export type Verifier = (credential: string, request: FastifyRequest) => Promise<Principal | null>

export interface AuthRegistry {
  apiKey: Verifier[]
  bearer: Verifier[]
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthRequirement
  }
  interface FastifyRequest {
    principal: Principal | null
  }
  interface FastifyInstance {
    auth: AuthRegistry
  }
}

/** SPEC §8: the shared-state reference's `detail` for a wrong or missing key. */
const INVALID_API_KEY = 'Invalid API Key'

/**
 * Checks a presented key against every static key, in constant time for a key of the same length and
 * with no early exit on a match (only a key's length is observable). The bytes are compared directly:
 * hashing the presented key first cost a SHA-256 on every authenticated request.
 */
function staticKeyVerifier(keys: string[]): Verifier {
  const stored = keys.map((key) => Buffer.from(key))
  const allScopes = new Set<Scope>(ALL_SCOPES)
  return async (credential) => {
    const presented = Buffer.from(credential)
    let index = -1
    for (const [i, key] of stored.entries()) {
      if (key.length === presented.length && timingSafeEqual(key, presented) && index < 0) index = i
    }
    if (index < 0) return null
    return { kind: 'static-key', subject: `static-key#${index + 1}`, scopes: allScopes, isSuperuser: true }
  }
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return (
    principal.scopes.has(scope) || principal.scopes.has('admin') || (principal.kind === 'user' && principal.isSuperuser)
  )
}

export function registerAuth(app: FastifyInstance, staticKeys: string[]) {
  app.decorate('auth', { apiKey: [staticKeyVerifier(staticKeys)], bearer: [] } satisfies AuthRegistry)
  app.decorateRequest('principal', null)
  // The check is attached to each route that asks for it, ahead of the route's own hooks (a
  // route-level rate limit counts only callers who got in); public routes pay nothing for it.
  app.addHook('onRoute', (route) => {
    const requirement = route.config?.auth
    if (!requirement) return
    const check = async (request: FastifyRequest) => {
      const principal = await authenticate(app.auth, request, requirement)
      if (requirement.scope && !hasScope(principal, requirement.scope)) {
        throw problems.forbidden(`this needs the "${requirement.scope}" scope`)
      }
      request.principal = principal
    }
    route.onRequest = [check, ...(route.onRequest ? [route.onRequest].flat() : [])] as typeof route.onRequest
  })
}

export async function authenticate(
  registry: AuthRegistry,
  request: FastifyRequest,
  req: AuthRequirement,
): Promise<Principal> {
  const schemes = req.schemes ?? ['apiKey', 'bearer']
  const challenge =
    schemes.includes('bearer') && !schemes.includes('apiKey') ? 'Bearer' : 'ApiKey header="X-API-Key", Bearer'
  const apiKey = request.headers['x-api-key']
  const authorization = request.headers.authorization
  if (schemes.includes('apiKey') && typeof apiKey === 'string' && apiKey !== '') {
    for (const verify of registry.apiKey) {
      const principal = await verify(apiKey, request)
      if (principal) return principal
    }
    // The reference services' text, exactly (their clients compare it); the why goes beside it.
    throw problems.unauthorized(INVALID_API_KEY, challenge, { reason: 'the X-API-Key header holds no valid key' })
  }
  if (schemes.includes('bearer') && typeof authorization === 'string' && /^bearer\s+/i.test(authorization)) {
    const token = authorization.replace(/^bearer\s+/i, '').trim()
    for (const verify of registry.bearer) {
      const principal = await verify(token, request)
      if (principal) return principal
    }
    throw problems.unauthorized('Could not validate credentials', challenge)
  }
  if (schemes.includes('apiKey')) {
    const how = schemes.includes('bearer')
      ? 'send a key in the X-API-Key header or a token in Authorization: Bearer'
      : 'send a key in the X-API-Key header'
    throw problems.unauthorized(INVALID_API_KEY, challenge, { reason: `no credentials: ${how}` })
  }
  throw problems.unauthorized('Not authenticated', challenge)
}
