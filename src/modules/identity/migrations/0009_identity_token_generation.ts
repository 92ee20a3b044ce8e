import type { Kysely } from 'kysely'

/**
 * users.token_generation: every JWT carries the generation it was issued under (`gen`); changing the
 * password or deactivating the user bumps it, so every JWT issued before stops working at once.
 * Tokens issued before this migration carry no `gen` and count as generation 0 (still valid).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('token_generation', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('token_generation').execute()
}
