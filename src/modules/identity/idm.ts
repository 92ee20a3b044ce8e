/**
 * IDM login (SPEC §3): an OIDC ID token from the identity provider, verified against its JWKS
 * (`IDM_JWKS_URL`), issuer and audience. Only asymmetric algorithms are accepted, so a token can
 * never be "signed" with a public key used as an HMAC secret.
 */
import { createRemoteJWKSet, errors, jwtVerify } from 'jose'
import { problems } from './problems.js'

export interface IdmSettings {
  jwksUrl: string
  issuer: string
  audience: string
}

export class IdmVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>

  constructor(private readonly settings: IdmSettings) {
    this.jwks = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 5000 })
  }

  /**
   * The usernames an ID token vouches for (`sub` and `preferred_username`). Throws 401 for a token
   * that is not valid, 503 when the provider's keys cannot be fetched.
   */
  async verify(idToken: string): Promise<string[]> {
    try {
      const { payload } = await jwtVerify(idToken, this.jwks, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ['RS256', 'ES256'],
        requiredClaims: ['exp'],
      })
      return [payload.sub, payload.preferred_username].filter((v): v is string => typeof v === 'string')
    } catch (err) {
      if (err instanceof errors.JWKSTimeout || (err instanceof TypeError && /fetch/i.test(err.message))) {
        throw problems.unavailable('the identity provider cannot be reached; retry shortly')
      }
      if (err instanceof errors.JOSEError || err instanceof TypeError) {
        throw problems.unauthorized(`IDM token rejected: ${describe(err)}`, 'Bearer')
      }
      throw err
    }
  }
}

function describe(err: Error): string {
  if (err instanceof errors.JWTExpired) return 'expired'
  if (err instanceof errors.JWKSNoMatchingKey) return 'signed with an unknown key'
  if (err instanceof errors.JWTClaimValidationFailed) return `claim ${err.claim} is not what this server expects`
  return 'invalid token'
}
