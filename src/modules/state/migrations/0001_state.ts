import type { Kysely } from 'kysely'
import { assignedBigIdType as bigId } from '../../../platform/db/dialect.js'

/** Shared state (SPEC §2): the one state row, its audit log and idempotency records. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('state')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('counter', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('message', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db
    .insertInto('state')
    .values({ id: 1, counter: 0, message: '', version: 0, updated_at: new Date().toISOString() })
    .execute()
  await db.schema
    .createTable('state_log')
    .addColumn('id', bigId(db), (c) => c.primaryKey())
    .addColumn('timestamp', 'text', (c) => c.notNull())
    .addColumn('old_counter', 'bigint', (c) => c.notNull())
    .addColumn('new_counter', 'bigint', (c) => c.notNull())
    .addColumn('old_message', 'text', (c) => c.notNull())
    .addColumn('new_message', 'text', (c) => c.notNull())
    .addColumn('update_type', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('response_body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('idempotency_keys_expires_at').on('idempotency_keys').column('expires_at').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute()
  await db.schema.dropTable('state_log').execute()
  await db.schema.dropTable('state').execute()
}
