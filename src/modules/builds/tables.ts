import type { Generated, Selectable } from 'kysely'

export interface PlatformTable {
  id: string
  name: string
  cloud_provider: string
  region: string | null
}

export interface OsVersionTable {
  id: string
  name: string
  version: string
}

export interface ImageTypeTable {
  id: string
  name: string
  description: string | null
}

/** One image build. `current_state` and `status` are kept up to date by every write (derived, SPEC §5.3). */
export interface BuildTable {
  /** A UUIDv7; builds older than string ids keep their integer id as decimal text ("5"). */
  id: string
  build_id: string
  platform: string
  os_version: string
  image_type: string
  pipeline_url: string | null
  commit_hash: string | null
  current_state: number
  status: 'completed' | 'failed' | 'in_progress'
  failure_count: Generated<number>
  created_at: string
  updated_at: string
}

/** Every state a build went through, oldest first by id (state 0 is written with the build). */
export interface BuildStateTable {
  id: Generated<number>
  build_pk: string
  state_code: number
  message: string | null
  transitioned_at: string
}

export interface BuildFailureTable {
  id: Generated<number>
  build_pk: string
  /** The build's state when the failure was reported. */
  state_code: number
  error_message: string
  error_code: string | null
  component: string | null
  /** JSON text of the caller's `details` object. */
  details: string | null
  recorded_at: string
}

/** Names this database's dashboard cache entries in Redis (one row, random, made by the migration). */
export interface BuildCacheScopeTable {
  id: number
  scope: string
}

export interface BuildTables {
  platforms: PlatformTable
  os_versions: OsVersionTable
  image_types: ImageTypeTable
  builds: BuildTable
  build_states: BuildStateTable
  build_failures: BuildFailureTable
  build_cache_scope: BuildCacheScopeTable
}

export type BuildRow = Selectable<BuildTable>
