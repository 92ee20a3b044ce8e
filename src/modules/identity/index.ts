/**
 * The identity module. Wires identity into the app: the JWT key, the verifiers behind `X-API-Key` (issued tokens) and
 * `Authorization: Bearer` (JWTs) in the platform's registry, the bootstrap and development users,
 * and the routes. Any module's `config: { auth: … }` route then accepts these credentials.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { type Config, ConfigError } from '../../config.js'
import { type Db, tablesOf } from '../../platform/db/index.js'
import type { Module, ModuleContext } from '../../platform/module.js'
import { ensureGeneratedSecret } from '../../platform/secrets.js'
import { IdmVerifier } from './idm.js'
import * as m0002 from './migrations/0002_identity.js'
import * as m0006 from './migrations/0006_identity_string_ids.js'
import * as m0009 from './migrations/0009_identity_token_generation.js'
import { identityRoutes } from './routes.js'
import type { CreateUserBody } from './schemas.js'
import { IdentityService } from './service.js'
import type { IdentityTables } from './tables.js'
import { ApiTokenHasher, JwtIssuer } from './tokens.js'

/** SPEC §3/§5.5 demo users, loaded only with ENVIRONMENT=development. */
const DEVELOPMENT_USERS: readonly (CreateUserBody & { password: string })[] = [
  {
    username: 'admin',
    password: 'admin123',
    email: 'admin@example.com',
    first_name: 'Admin',
    last_name: 'User',
    is_superuser: true,
  },
  { username: 'testuser', password: 'testpass', email: 'testuser@example.com', first_name: 'Test', last_name: 'User' },
  { username: 'demo', password: 'password123', email: 'demo@example.com', first_name: 'Demo', last_name: 'User' },
  {
    username: 'alice',
    password: 'alicepass',
    email: 'alice@example.com',
    first_name: 'Alice',
    last_name: 'Anders',
    employee_id: 'E1001',
  },
  {
    username: 'bob',
    password: 'bobpass',
    email: 'bob@example.com',
    first_name: 'Bob',
    last_name: 'Berg',
    employee_id: 'E1002',
  },
  {
    username: 'charlie',
    password: 'charliepass',
    email: 'charlie@example.com',
    first_name: 'Charlie',
    last_name: 'Chen',
    employee_id: 'E1003',
  },
  {
    username: 'diana',
    password: 'dianapass',
    email: 'diana@example.com',
    first_name: 'Diana',
    last_name: 'Diaz',
    employee_id: 'E1004',
    is_active: false,
  },
]

/**
 * The HS256 key: JWT_SECRET (or an alias) when set; required in production; generated once and
 * kept in the data folder in development; a fresh random key per process in tests.
 */
function resolveJwtSecret(config: Config): { secret: string; notice?: string } {
  if (config.JWT_SECRET) return { secret: config.JWT_SECRET }
  if (config.ENVIRONMENT === 'production') {
    throw new ConfigError([
      'JWT_SECRET: required when ENVIRONMENT=production (at least 32 bytes; aliases JWT_SECRET_KEY, SECRET_KEY)',
    ])
  }
  if (config.ENVIRONMENT === 'test') return { secret: randomBytes(32).toString('base64url') }
  const generated = ensureGeneratedSecret(config.DATA_DIR, 'jwt-secret')
  return {
    secret: generated.value,
    notice: generated.created
      ? `generated a JWT secret for development (kept in ${config.DATA_DIR}/secrets/jwt-secret)`
      : `using the development JWT secret in ${config.DATA_DIR}/secrets/jwt-secret`,
  }
}

function createIdentityService(app: FastifyInstance, config: Config, db: Db<IdentityTables>): IdentityService {
  const { secret, notice } = resolveJwtSecret(config)
  if (notice) app.log.warn(notice)
  return new IdentityService(
    db.kysely,
    new JwtIssuer(secret, config.JWT_ACCESS_TOKEN_EXPIRE_MINUTES * 60),
    new ApiTokenHasher(secret),
  )
}

/** Creates the ADMIN_USERNAME superuser and (in development only) the demo users, each only if absent. */
async function bootstrapUsers(app: FastifyInstance, identity: IdentityService, config: Config) {
  if (config.ADMIN_USERNAME && config.ADMIN_PASSWORD) {
    if (
      await identity.ensureUser({
        username: config.ADMIN_USERNAME,
        password: config.ADMIN_PASSWORD,
        is_superuser: true,
      })
    ) {
      app.log.info({ username: config.ADMIN_USERNAME }, 'created the bootstrap superuser')
    }
  }
  if (config.ENVIRONMENT !== 'development') return
  const created: string[] = []
  for (const user of DEVELOPMENT_USERS) if (await identity.ensureUser(user)) created.push(user.username)
  if (created.length > 0) app.log.info({ users: created }, 'loaded the development users')
}

function idmJwksUrl(value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new ConfigError([`IDM_JWKS_URL: must be an http(s) URL (got ${JSON.stringify(value)})`])
  }
  return value
}

async function registerIdentity(app: FastifyInstance, { config, db }: ModuleContext): Promise<void> {
  const identity = createIdentityService(app, config, tablesOf<IdentityTables>(db))
  app.auth.apiKey.push((credential) => identity.principalFromApiToken(credential))
  app.auth.bearer.push((credential) => identity.principalFromJwt(credential))
  await bootstrapUsers(app, identity, config)
  const idm =
    config.IDM_JWKS_URL && config.IDM_ISSUER && config.IDM_AUDIENCE
      ? new IdmVerifier({
          jwksUrl: idmJwksUrl(config.IDM_JWKS_URL),
          issuer: config.IDM_ISSUER,
          audience: config.IDM_AUDIENCE,
        })
      : undefined
  await app.register(identityRoutes, { identity, idm, loginsPerMinute: config.LOGIN_RATE_LIMIT_PER_MINUTE })
}

export const identityModule: Module = {
  name: 'identity',
  migrations: {
    '0002_identity': m0002,
    '0006_identity_string_ids': m0006,
    '0009_identity_token_generation': m0009,
  },
  register: registerIdentity,
}
