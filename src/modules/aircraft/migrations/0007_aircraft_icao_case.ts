import type { Kysely } from 'kysely'

/**
 * Aircraft ids are returned as the data first wrote them (SPEC §6: a flat record's `A320` stays
 * `A320`) and matched case-insensitively. `aircraft_stats.icao` stays the key, lower-cased, so
 * lookups, upserts and the positions table keep using the primary key; the spelling goes beside it.
 * Rows stored before this migration were lower-cased on the way in: their spelling is that key.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('aircraft_stats')
    .addColumn('icao_as_written', 'text', (c) => c.notNull().defaultTo(''))
    .execute()
  await db
    .updateTable('aircraft_stats')
    .set((eb) => ({ icao_as_written: eb.ref('icao') }))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('aircraft_stats').dropColumn('icao_as_written').execute()
}
