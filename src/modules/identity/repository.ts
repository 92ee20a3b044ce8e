/** SQL of the identity module: users, profiles and issued API tokens. */
import { type Kysely, sql } from 'kysely'
import { uuidv7 } from '../../platform/ids.js'
import type { ApiTokenRow, IdentityTables, ProfileRow, UserRow } from './tables.js'

type Db = Kysely<IdentityTables>

/** What a new user is made of: the row's own fields, its flags as booleans. */
export type NewUser = Pick<
  UserRow,
  'username' | 'email' | 'password_hash' | 'first_name' | 'last_name' | 'employee_id'
> & {
  is_active: boolean
  is_superuser: boolean
}

/** Inserts a user and its profile in one transaction; null when the username or email is taken. */
export async function insertUser(db: Db, user: NewUser, now: string): Promise<UserRow | null> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('users')
      .values({
        id: uuidv7(),
        ...user,
        is_active: user.is_active ? 1 : 0,
        is_superuser: user.is_superuser ? 1 : 0,
        created_at: now,
        updated_at: now,
        deactivated_at: user.is_active ? null : now,
      })
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst()
    if (!row) return null
    await trx
      .insertInto('profiles')
      .values({
        id: uuidv7(),
        user_id: row.id,
        first_name: user.first_name,
        last_name: user.last_name,
        employee_id: user.employee_id,
        email: user.email,
        start_date: now,
        end_date: user.is_active ? null : now,
        created_at: now,
      })
      .execute()
    return row
  })
}

export function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}

export function findUserByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst()
}

/** The per-request check behind every JWT: one primary-key lookup of what may have changed since issue. */
export function findUserStatus(
  db: Db,
  id: string,
): Promise<Pick<UserRow, 'id' | 'username' | 'is_active' | 'is_superuser' | 'token_generation'> | undefined> {
  return db
    .selectFrom('users')
    .select(['id', 'username', 'is_active', 'is_superuser', 'token_generation'])
    .where('id', '=', id)
    .executeTakeFirst()
}

export function emailTakenByOther(db: Db, email: string, userId: string): Promise<{ id: string } | undefined> {
  return db.selectFrom('users').select('id').where('email', '=', email).where('id', '!=', userId).executeTakeFirst()
}

export interface UserChanges {
  email?: string | null
  first_name?: string | null
  last_name?: string | null
  employee_id?: string | null
  password_hash?: string
  is_active?: boolean
  is_superuser?: boolean
  /** Deactivates as of this time (deactivated_at and the profile's end_date). */
  deactivated_at?: string
}

/** Applies changes to a user and mirrors the profile fields (and deactivation) onto its profile. */
export async function updateUser(db: Db, id: string, changes: UserChanges, now: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('users').select(['is_active']).where('id', '=', id).executeTakeFirst()
    if (!current) return false
    const userSet: Record<string, unknown> = { updated_at: now }
    const profileSet: Record<string, unknown> = {}
    for (const key of ['email', 'first_name', 'last_name', 'employee_id'] as const) {
      if (changes[key] !== undefined) userSet[key] = profileSet[key] = changes[key]
    }
    if (changes.password_hash !== undefined) userSet.password_hash = changes.password_hash
    if (changes.is_superuser !== undefined) userSet.is_superuser = changes.is_superuser ? 1 : 0
    if (changes.deactivated_at !== undefined) {
      userSet.is_active = 0
      userSet.deactivated_at = profileSet.end_date = changes.deactivated_at
    } else if (changes.is_active !== undefined && changes.is_active !== (current.is_active === 1)) {
      userSet.is_active = changes.is_active ? 1 : 0
      userSet.deactivated_at = changes.is_active ? null : now
      profileSet.end_date = changes.is_active ? null : now
    }
    if (Object.keys(userSet).length === 1) return true // nothing to change: updated_at stays too
    // A new password or a deactivation ends every JWT issued before it (tokens/principalFromJwt).
    if (userSet.password_hash !== undefined || userSet.is_active === 0) {
      userSet.token_generation = sql`token_generation + 1`
    }
    await trx.updateTable('users').set(userSet).where('id', '=', id).execute()
    if (Object.keys(profileSet).length > 0)
      await trx.updateTable('profiles').set(profileSet).where('user_id', '=', id).execute()
    return true
  })
}

export function findProfile(db: Db, userId: string): Promise<ProfileRow | undefined> {
  return db.selectFrom('profiles').selectAll().where('user_id', '=', userId).executeTakeFirst()
}

export async function insertApiToken(
  db: Db,
  token: { user_id: string; name: string; token_hash: string; scopes: string; expires_at: string | null },
  now: string,
): Promise<ApiTokenRow> {
  return db
    .insertInto('api_tokens')
    .values({ id: uuidv7(), ...token, created_at: now, revoked_at: null })
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** Oldest first: by creation, then id (UUIDv7s made in one millisecond count up). */
export function listApiTokens(db: Db, userId: string): Promise<ApiTokenRow[]> {
  return db
    .selectFrom('api_tokens')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
}

/** Revokes one of a user's tokens; false when the user has no such token. */
export async function revokeApiToken(db: Db, userId: string, tokenId: string, now: string): Promise<boolean> {
  const found = await db
    .selectFrom('api_tokens')
    .select(['id', 'revoked_at'])
    .where('id', '=', tokenId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
  if (!found) return false
  if (found.revoked_at === null)
    await db.updateTable('api_tokens').set({ revoked_at: now }).where('id', '=', tokenId).execute()
  return true
}

/** The token with this hash and its owner's current status, for the per-request check. */
export function findApiTokenByHash(db: Db, tokenHash: string) {
  return db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select([
      'api_tokens.id as id',
      'api_tokens.scopes as scopes',
      'api_tokens.expires_at as expires_at',
      'api_tokens.revoked_at as revoked_at',
      'users.id as user_id',
      'users.username as username',
      'users.is_active as is_active',
      'users.is_superuser as is_superuser',
    ])
    .where('api_tokens.token_hash', '=', tokenHash)
    .executeTakeFirst()
}
