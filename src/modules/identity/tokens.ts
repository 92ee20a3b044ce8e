/**
 * Credentials statehouse issues: HS256 JWTs (SPEC §3 claims) and random API tokens, of which only
 * a keyed hash is stored. A 256-bit random token needs no slow hash: HMAC-SHA-256 with a server key
 * is enough, and it lets a request find its token with one indexed lookup.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto'
import { errors, jwtVerify, SignJWT } from 'jose'
import type { Scope } from '../../platform/auth/index.js'
import { STRING_ID_PATTERN } from '../../platform/ids.js'

const USER_ID = new RegExp(STRING_ID_PATTERN)

export interface AccessClaims {
  /** The user's id (a string, SPEC §3). */
  sub: string
  username: string
  is_superuser: boolean
  scopes: string[]
  iat: number
  exp: number
  jti: string
  /** The user's token generation at issue (absent in tokens older than it: generation 0). */
  gen?: number
}

export interface IssuedJwt {
  access_token: string
  token_type: 'bearer'
  expires_in: number
}

/** Signs and checks statehouse's own JWTs. Only HS256 is accepted: no `none`, no key confusion. */
export class JwtIssuer {
  private readonly key: Uint8Array

  constructor(
    secret: string,
    private readonly lifetimeSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret)
  }

  async issue(
    user: { id: string; username: string; is_superuser: boolean },
    scopes: readonly string[],
    generation = 0,
  ): Promise<IssuedJwt> {
    const now = Math.floor(Date.now() / 1000)
    const token = await new SignJWT({
      username: user.username,
      is_superuser: user.is_superuser,
      scopes: [...scopes],
      gen: generation,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuedAt(now)
      .setExpirationTime(now + this.lifetimeSeconds)
      .setJti(randomUUID())
      .sign(this.key)
    return { access_token: token, token_type: 'bearer', expires_in: this.lifetimeSeconds }
  }

  /** The claims of a valid, unexpired token signed with our key; null for anything else. */
  async verify(token: string): Promise<AccessClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        requiredClaims: ['sub', 'exp', 'iat'],
      })
      if (typeof payload.sub !== 'string' || !USER_ID.test(payload.sub)) return null
      if (typeof payload.username !== 'string' || !Array.isArray(payload.scopes)) return null
      return payload as unknown as AccessClaims
    } catch (err) {
      if (err instanceof errors.JOSEError || err instanceof TypeError) return null
      throw err
    }
  }
}

/** Scopes as the API names them; `build` is the builds API's word for `write`. */
export const TOKEN_SCOPES = ['read', 'write', 'admin', 'build'] as const

/** The platform scopes a list of token scopes grants. */
export function grantedScopes(scopes: readonly string[]): Set<Scope> {
  const out = new Set<Scope>()
  for (const s of scopes) {
    if (s === 'build') out.add('write')
    else if (s === 'read' || s === 'write' || s === 'admin') out.add(s)
  }
  return out
}

const TOKEN_PREFIX = 'sht_'

/** Makes and recognises issued API tokens. */
export class ApiTokenHasher {
  private readonly key: Buffer

  constructor(serverSecret: string) {
    // Its own key, derived from the server secret, so a token hash is useless as a JWT key and vice versa.
    this.key = createHash('sha256').update('statehouse api-token hash key\0').update(serverSecret).digest()
  }

  /** A fresh token: 256 random bits, with a prefix that makes a leaked one easy to recognise. */
  generate(): string {
    return TOKEN_PREFIX + randomBytes(32).toString('base64url')
  }

  hash(token: string): string {
    return createHmac('sha256', this.key).update(token).digest('hex')
  }
}
