import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import { rowIdType } from '../../../platform/db/dialect.js'

/** Catalog ids every installation starts with (SPEC §5.1). */
export const SEED_PLATFORMS = [
  { id: 'aws-commercial', name: 'AWS Commercial', cloud_provider: 'aws', region: 'us-east-1' },
  { id: 'aws-govcloud', name: 'AWS GovCloud', cloud_provider: 'aws', region: 'us-gov-west-1' },
  { id: 'azure', name: 'Microsoft Azure', cloud_provider: 'azure', region: 'eastus' },
  { id: 'gcp', name: 'Google Cloud', cloud_provider: 'gcp', region: 'us-central1' },
  { id: 'openstack', name: 'OpenStack', cloud_provider: 'openstack', region: null },
]
export const SEED_OS_VERSIONS = [
  { id: 'rhel-8.8', name: 'Red Hat Enterprise Linux', version: '8.8' },
  { id: 'rhel-9.2', name: 'Red Hat Enterprise Linux', version: '9.2' },
  { id: 'ubuntu-20.04', name: 'Ubuntu', version: '20.04' },
  { id: 'ubuntu-22.04', name: 'Ubuntu', version: '22.04' },
]
export const SEED_IMAGE_TYPES = [
  { id: 'base', name: 'Base', description: 'hardened base image' },
  { id: 'hana', name: 'SAP HANA', description: 'SAP HANA database host' },
  { id: 'sapapp', name: 'SAP Application', description: 'SAP application server' },
  { id: 'openvpn', name: 'OpenVPN', description: 'OpenVPN access server' },
]

/**
 * Build state (SPEC §5): the catalog (seeded), builds with their derived status kept in a column
 * (so filters and dashboard counts are index scans and GROUP BYs), the state history and failures.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // SQLite's rowid alias must be spelled INTEGER PRIMARY KEY; PostgreSQL gets an identity column.
  const idType = rowIdType(db)
  await db.schema
    .createTable('platforms')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('cloud_provider', 'text', (c) => c.notNull())
    .addColumn('region', 'text')
    .execute()
  await db.schema
    .createTable('os_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('image_types')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .execute()
  await db.insertInto('platforms').values(SEED_PLATFORMS).execute()
  await db.insertInto('os_versions').values(SEED_OS_VERSIONS).execute()
  await db.insertInto('image_types').values(SEED_IMAGE_TYPES).execute()

  await db.schema
    .createTable('builds')
    .addColumn('id', idType, (c) => c.primaryKey())
    .addColumn('build_id', 'text', (c) => c.notNull().unique())
    .addColumn('platform', 'text', (c) => c.notNull().references('platforms.id'))
    .addColumn('os_version', 'text', (c) => c.notNull().references('os_versions.id'))
    .addColumn('image_type', 'text', (c) => c.notNull().references('image_types.id'))
    .addColumn('pipeline_url', 'text')
    .addColumn('commit_hash', 'text')
    .addColumn('current_state', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('failure_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  // Lists and dashboards read newest first (by id), optionally within a platform and/or status.
  await db.schema.createIndex('builds_platform_id').on('builds').columns(['platform', 'id']).execute()
  await db.schema.createIndex('builds_status_id').on('builds').columns(['status', 'id']).execute()
  await db.schema.createIndex('builds_platform_status_id').on('builds').columns(['platform', 'status', 'id']).execute()

  await db.schema
    .createTable('build_states')
    .addColumn('id', idType, (c) => c.primaryKey())
    .addColumn('build_pk', 'bigint', (c) => c.notNull().references('builds.id'))
    .addColumn('state_code', 'integer', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('transitioned_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('build_states_build_pk_id').on('build_states').columns(['build_pk', 'id']).execute()

  await db.schema
    .createTable('build_failures')
    .addColumn('id', idType, (c) => c.primaryKey())
    .addColumn('build_pk', 'bigint', (c) => c.notNull().references('builds.id'))
    .addColumn('state_code', 'integer', (c) => c.notNull())
    .addColumn('error_message', 'text', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('component', 'text')
    .addColumn('details', 'text')
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('build_failures_build_pk_id').on('build_failures').columns(['build_pk', 'id']).execute()

  // A random name for this database's dashboard cache in Redis: every replica on the database shares
  // it, while another database using the same Redis (staging, a test) can never read these entries.
  await db.schema
    .createTable('build_cache_scope')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('scope', 'text', (c) => c.notNull())
    .execute()
  await db
    .insertInto('build_cache_scope')
    .values({ id: 1, scope: randomBytes(8).toString('hex') })
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'build_cache_scope',
    'build_failures',
    'build_states',
    'builds',
    'image_types',
    'os_versions',
    'platforms',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
