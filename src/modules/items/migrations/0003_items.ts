import type { Kysely } from 'kysely'
import { neverReusedId } from '../../../platform/db/dialect.js'

/** Items (SPEC §4): each belongs to the user who created it. */
export async function up(db: Kysely<any>): Promise<void> {
  const [idType, idColumn] = neverReusedId(db)
  await db.schema
    .createTable('items')
    .addColumn('id', idType, idColumn)
    .addColumn('owner_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  // A user's own list, newest first, is an index range.
  await db.schema.createIndex('items_owner_id_id').on('items').columns(['owner_id', 'id']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('items').execute()
}
