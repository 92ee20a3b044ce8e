import type { Generated, Selectable } from 'kysely'

/** A user (SPEC §3). `is_active`/`is_superuser` are 0/1; `password_hash` is argon2id (null: IDM only). */
export interface UsersTable {
  /** A UUIDv7; rows older than string ids keep their integer id as decimal text ("5"). */
  id: string
  username: string
  email: string | null
  password_hash: string | null
  first_name: string | null
  last_name: string | null
  employee_id: string | null
  is_active: number
  is_superuser: number
  created_at: string
  updated_at: string
  deactivated_at: string | null
  /** Bumped by a password change or a deactivation: JWTs of an older generation are refused. */
  token_generation: Generated<number>
}

/** One per user: the HR-style record whose `end_date` is set when the user is deactivated. */
export interface ProfilesTable {
  id: string
  user_id: string
  first_name: string | null
  last_name: string | null
  employee_id: string | null
  email: string | null
  start_date: string
  end_date: string | null
  created_at: string
}

/** An issued API token: only its keyed hash is stored; `scopes` is space-separated. */
export interface ApiTokensTable {
  id: string
  user_id: string
  name: string
  token_hash: string
  scopes: string
  created_at: string
  expires_at: string | null
  revoked_at: string | null
}

export interface IdentityTables {
  users: UsersTable
  profiles: ProfilesTable
  api_tokens: ApiTokensTable
}

export type UserRow = Selectable<UsersTable>
export type ProfileRow = Selectable<ProfilesTable>
export type ApiTokenRow = Selectable<ApiTokensTable>
