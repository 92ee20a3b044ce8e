/**
 * The database as Kysely sees it: one interface per table, owned by the module that uses it and
 * gathered here so a single `Kysely<Database>` serves every repository.
 */
import type { StateTables } from '../../modules/state/tables.js'

export type Database = StateTables
