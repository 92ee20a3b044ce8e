/**
 * The whole database as one Kysely type, composed here at the entry (never in the platform, which
 * knows no module): for the few places that see every table, `app.db` in tests and tooling. Modules
 * themselves see only their own tables.
 */
import type { AircraftTables } from './modules/aircraft/tables.js'
import type { BuildTables } from './modules/builds/tables.js'
import type { EventsTables } from './modules/events/tables.js'
import type { IdentityTables } from './modules/identity/tables.js'
import type { ItemsTables } from './modules/items/tables.js'
import type { StateTables } from './modules/state/tables.js'

export type Database = StateTables & IdentityTables & ItemsTables & BuildTables & AircraftTables & EventsTables
