/**
 * The database as Kysely sees it: one interface per table, owned by the module that uses it and
 * gathered here so a single `Kysely<Database>` serves every repository.
 */
import type { AircraftTables } from '../../modules/aircraft/tables.js'
import type { BuildTables } from '../../modules/builds/tables.js'
import type { IdentityTables } from '../../modules/identity/tables.js'
import type { ItemsTables } from '../../modules/items/tables.js'
import type { StateTables } from '../../modules/state/tables.js'

export type Database = StateTables & AircraftTables & IdentityTables & ItemsTables & BuildTables
