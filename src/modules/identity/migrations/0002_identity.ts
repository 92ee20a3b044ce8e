import type { Kysely } from 'kysely'
import { neverReusedId } from '../../../platform/db/dialect.js'

/**
 * Identity (SPEC §3): users, one profile per user, issued API tokens. Booleans are 0/1 integers
 * on both engines (SQLite has no boolean type); timestamps are ISO 8601 UTC text like everywhere.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const [idType, idColumn] = neverReusedId(db)
  await db.schema
    .createTable('users')
    .addColumn('id', idType, idColumn)
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('email', 'text', (c) => c.unique())
    .addColumn('password_hash', 'text')
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('employee_id', 'text')
    .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('is_superuser', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('deactivated_at', 'text')
    .execute()
  await db.schema
    .createTable('profiles')
    .addColumn('id', idType, idColumn)
    .addColumn('user_id', 'bigint', (c) => c.notNull().unique().references('users.id').onDelete('cascade'))
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('employee_id', 'text')
    .addColumn('email', 'text')
    .addColumn('start_date', 'text', (c) => c.notNull())
    .addColumn('end_date', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('api_tokens')
    .addColumn('id', idType, idColumn)
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique()) // HMAC-SHA-256 of the token, hex
    .addColumn('scopes', 'text', (c) => c.notNull()) // space-separated
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute()
  await db.schema.createIndex('api_tokens_user_id').on('api_tokens').column('user_id').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('api_tokens').execute()
  await db.schema.dropTable('profiles').execute()
  await db.schema.dropTable('users').execute()
}
