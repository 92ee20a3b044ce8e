/**
 * Identity rules (SPEC §3): who may see and change which user, logins, issued tokens, and the
 * per-request checks behind JWTs and API tokens. Rows stay here and in the repository; callers get
 * API shapes, never a password or token hash.
 */
import type { Kysely } from 'kysely'
import { hasScope, type Principal, type Scope } from '../../platform/auth/index.js'
import { Problem } from '../../platform/errors.js'
import { membersOf } from '../../platform/http/common-schemas.js'
import { hashPassword, verifyPassword } from './passwords.js'
import { problems } from './problems.js'
import * as repo from './repository.js'
import {
  type CreateUserBody,
  type ProfileResponse,
  type TokenInfo,
  type UpdateUserBody,
  UserResponse,
} from './schemas.js'
import type { IdentityTables, UserRow } from './tables.js'
import { type ApiTokenHasher, grantedScopes, type IssuedJwt, type JwtIssuer } from './tokens.js'

const BAD_LOGIN = 'Incorrect username or password'
const loginFailed = (detail = BAD_LOGIN) => problems.unauthorized(detail, 'Bearer')

const userMembers = membersOf(UserResponse)

function toUserView(row: UserRow): UserResponse {
  return userMembers({
    ...row,
    first_name: row.first_name ?? '',
    last_name: row.last_name ?? '',
    employee_id: row.employee_id ?? '',
    is_active: row.is_active === 1,
    is_superuser: row.is_superuser === 1,
  })
}

/** Static keys, superusers logged in with a JWT, and a superuser's token carrying `admin` may manage others. */
export function actsAsSuperuser(p: Principal): boolean {
  if (p.kind === 'static-key') return true
  if (p.kind === 'user') return p.isSuperuser
  return p.isSuperuser && p.scopes.has('admin')
}

/** Scopes a user's login JWT carries. */
function loginScopes(isSuperuser: boolean): Scope[] {
  return isSuperuser ? ['read', 'write', 'admin'] : ['read', 'write']
}

/** Creates a user with its profile (password hashed); 409 when the username or email is taken. */
export async function createUser(db: Kysely<IdentityTables>, input: CreateUserBody): Promise<UserResponse> {
  const row = await repo.insertUser(
    db,
    {
      username: input.username,
      email: input.email ?? null,
      password_hash: input.password ? await hashPassword(input.password) : null,
      first_name: input.first_name ?? null,
      last_name: input.last_name ?? null,
      employee_id: input.employee_id ?? null,
      is_active: input.is_active ?? true,
      is_superuser: input.is_superuser ?? false,
    },
    new Date().toISOString(),
  )
  if (!row) throw problems.userExists(input.username)
  return toUserView(row)
}

export class IdentityService {
  constructor(
    private readonly db: Kysely<IdentityTables>,
    readonly jwt: JwtIssuer,
    private readonly tokens: ApiTokenHasher,
  ) {}

  /** Creates a user with its profile; 409 when the username or email is taken. */
  createUser(input: CreateUserBody): Promise<UserResponse> {
    return createUser(this.db, input)
  }

  /** Creates the user unless one with that username exists (bootstrap and demo data; safe to repeat). */
  async ensureUser(input: CreateUserBody): Promise<boolean> {
    if (await repo.findUserByUsername(this.db, input.username)) return false
    try {
      await this.createUser(input)
      return true
    } catch (err) {
      if (err instanceof Problem && err.status === 409) return false // another replica made it first
      throw err
    }
  }

  /** 403 unless the caller is this user or acts as a superuser. */
  assertSelfOrSuperuser(caller: Principal, userId: string) {
    if (caller.userId === userId || actsAsSuperuser(caller)) return
    throw problems.notSelfOrSuperuser()
  }

  async getUser(caller: Principal, id: string): Promise<UserResponse> {
    this.assertSelfOrSuperuser(caller, id)
    const row = await repo.findUserById(this.db, id)
    if (!row) throw problems.userNotFound()
    return toUserView(row)
  }

  async updateUser(caller: Principal, id: string, input: UpdateUserBody): Promise<void> {
    this.assertSelfOrSuperuser(caller, id)
    // null means "unchanged", like absent: drop both before anything looks at the changes.
    const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined)) as {
      [K in keyof UpdateUserBody]?: NonNullable<UpdateUserBody[K]>
    }
    if (changes.is_superuser !== undefined && !actsAsSuperuser(caller)) {
      throw problems.forbidden('only a superuser may change is_superuser')
    }
    if (changes.deactivated_at !== undefined && changes.is_active === true) {
      throw problems.validation([
        { path: 'body.deactivated_at', message: 'deactivates the user; it cannot go with is_active: true' },
      ])
    }
    if ((changes.password !== undefined || changes.email !== undefined) && !actsAsSuperuser(caller)) {
      await this.assertCurrentPassword(caller, id, input.current_password)
    }
    if (changes.email && (await repo.emailTakenByOther(this.db, changes.email, id))) {
      throw problems.emailTaken()
    }
    const { password, deactivated_at, current_password: _current, ...rest } = changes
    const stored: repo.UserChanges = {
      ...rest,
      ...(password !== undefined ? { password_hash: await hashPassword(password) } : {}),
      ...(deactivated_at !== undefined ? { deactivated_at: new Date(deactivated_at).toISOString() } : {}),
    }
    if (!(await repo.updateUser(this.db, id, stored, new Date().toISOString()))) throw problems.userNotFound()
  }

  /**
   * A password or email change by anyone but a superuser needs that user's own login (a JWT, not an
   * API token) and the current password: a stolen token or session alone cannot take the account.
   */
  private async assertCurrentPassword(caller: Principal, id: string, current: string | null | undefined) {
    if (caller.kind !== 'user' || caller.userId !== id) {
      throw problems.forbidden('changing the password or email needs a login (JWT) of this user, or a superuser')
    }
    const row = await repo.findUserById(this.db, id)
    if (typeof current !== 'string' || !(await verifyPassword(row?.password_hash, current))) {
      throw problems.forbidden('changing the password or email needs the current password in current_password')
    }
  }

  async getProfile(caller: Principal, id: string): Promise<ProfileResponse> {
    this.assertSelfOrSuperuser(caller, id)
    const [user, profile] = await Promise.all([repo.findUserById(this.db, id), repo.findProfile(this.db, id)])
    if (!user || !profile) throw problems.userNotFound()
    return {
      ...profile,
      first_name: profile.first_name ?? '',
      last_name: profile.last_name ?? '',
      employee_id: profile.employee_id ?? '',
      is_active: user.is_active === 1,
      deactivated_at: user.deactivated_at,
    }
  }

  /** Username + password → a JWT; 401 (the same answer for an unknown user and a wrong password). */
  async passwordLogin(username: string, password: string): Promise<{ token: IssuedJwt; user: UserResponse }> {
    const row = await repo.findUserByUsername(this.db, username)
    const ok = await verifyPassword(row?.password_hash, password)
    if (!row || !ok) throw loginFailed()
    if (row.is_active !== 1) throw loginFailed('this user is deactivated')
    return this.issueFor(row)
  }

  /** A login whose identity was proven elsewhere (IDM): the user must exist and be active. */
  async trustedLogin(username: string): Promise<{ token: IssuedJwt; user: UserResponse }> {
    const row = await repo.findUserByUsername(this.db, username)
    if (!row || row.is_active !== 1) throw loginFailed('no active user with that username')
    return this.issueFor(row)
  }

  private async issueFor(row: UserRow) {
    const user = toUserView(row)
    return { token: await this.jwt.issue(user, loginScopes(user.is_superuser), row.token_generation), user }
  }

  async createToken(
    caller: Principal,
    userId: string,
    input: { name: string; scopes: string[]; expires_at?: string | null },
  ): Promise<{ id: string; token: string; name: string; scopes: string[]; expires_at: string | null }> {
    this.assertSelfOrSuperuser(caller, userId)
    const user = await repo.findUserById(this.db, userId)
    if (!user) throw problems.userNotFound()
    const scopes = [...new Set(input.scopes)]
    // A token can never do more than the credential creating it (a write-only token mints no admin)…
    const beyond = scopes.filter((s) => [...grantedScopes([s])].some((granted) => !hasScope(caller, granted)))
    if (beyond.length > 0) {
      throw problems.forbidden(
        `this credential cannot grant ${beyond.join(', ')}: a token gets at most its creator's scopes`,
      )
    }
    // …nor more than its owner: only a superuser's token may carry admin.
    if (scopes.includes('admin') && user.is_superuser !== 1) {
      throw problems.forbidden('only a superuser may hold a token with the admin scope')
    }
    const expiresAt = input.expires_at ? new Date(input.expires_at) : null
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw problems.validation([{ path: 'body.expires_at', message: 'must be in the future' }])
    }
    const token = this.tokens.generate()
    const row = await repo.insertApiToken(
      this.db,
      {
        user_id: userId,
        name: input.name,
        token_hash: this.tokens.hash(token),
        scopes: scopes.join(' '),
        expires_at: expiresAt?.toISOString() ?? null,
      },
      new Date().toISOString(),
    )
    return { id: row.id, token, name: row.name, scopes, expires_at: row.expires_at }
  }

  async listTokens(caller: Principal, userId: string): Promise<TokenInfo[]> {
    this.assertSelfOrSuperuser(caller, userId)
    if (!(await repo.findUserById(this.db, userId))) throw problems.userNotFound()
    const now = Date.now()
    return (await repo.listApiTokens(this.db, userId)).map((t) => ({
      id: t.id,
      user_id: t.user_id,
      name: t.name,
      scopes: t.scopes.split(' ').filter(Boolean),
      created_at: t.created_at,
      expires_at: t.expires_at,
      revoked_at: t.revoked_at,
      is_active: t.revoked_at === null && (t.expires_at === null || Date.parse(t.expires_at) > now),
    }))
  }

  async revokeToken(caller: Principal, userId: string, tokenId: string): Promise<void> {
    this.assertSelfOrSuperuser(caller, userId)
    if (!(await repo.revokeApiToken(this.db, userId, tokenId, new Date().toISOString()))) {
      throw problems.tokenNotFound(userId, tokenId)
    }
  }

  /**
   * Bearer verifier: a valid statehouse JWT whose user is active right now (looked up on every
   * request, so deactivation takes effect at once). Superuser powers come from the current row too.
   */
  async principalFromJwt(token: string): Promise<Principal | null> {
    const claims = await this.jwt.verify(token)
    if (!claims) return null
    const user = await repo.findUserStatus(this.db, claims.sub)
    if (!user || user.is_active !== 1) return null
    // Issued before the last password change or deactivation: revoked.
    if ((claims.gen ?? 0) !== user.token_generation) return null
    const isSuperuser = user.is_superuser === 1
    const scopes = grantedScopes(claims.scopes)
    if (!isSuperuser) scopes.delete('admin')
    return { kind: 'user', subject: user.username, scopes, userId: user.id, username: user.username, isSuperuser }
  }

  /** X-API-Key verifier for issued tokens: not revoked, not expired, owner active. */
  async principalFromApiToken(token: string): Promise<Principal | null> {
    if (!token.startsWith('sht_') || token.length > 200) return null
    const row = await repo.findApiTokenByHash(this.db, this.tokens.hash(token))
    if (!row || row.revoked_at !== null || row.is_active !== 1) return null
    if (row.expires_at !== null && Date.parse(row.expires_at) <= Date.now()) return null
    const scopes = grantedScopes(row.scopes.split(' '))
    if (row.is_superuser !== 1) scopes.delete('admin')
    return {
      kind: 'api-token',
      subject: `token#${row.id}`,
      scopes,
      userId: row.user_id,
      username: row.username,
      isSuperuser: row.is_superuser === 1,
    }
  }
}
