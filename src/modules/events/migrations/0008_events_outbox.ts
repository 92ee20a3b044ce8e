import type { Kysely } from 'kysely'
import { neverReusedId, withoutRowIdOnSqlite } from '../../../platform/db/dialect.js'

/** The events outbox (SPEC §2.4), its retention horizon and the stream tickets. */
export async function up(db: Kysely<any>): Promise<void> {
  const [idType, idColumn] = neverReusedId(db)
  await db.schema
    .createTable('events')
    .addColumn('id', idType, idColumn)
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('events_horizon')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('purged_through', 'bigint', (c) => c.notNull())
    .execute()
  await db.insertInto('events_horizon').values({ id: 1, purged_through: 0 }).execute()
  await db.schema
    .createTable('event_tickets')
    .addColumn('ticket_hash', 'text', (c) => c.primaryKey())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .$call(withoutRowIdOnSqlite(db))
    .execute()
  await db.schema.createIndex('event_tickets_expires_at').on('event_tickets').column('expires_at').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('event_tickets').execute()
  await db.schema.dropTable('events_horizon').execute()
  await db.schema.dropTable('events').execute()
}
