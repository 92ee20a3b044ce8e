import type { Generated, Selectable } from 'kysely'

/** An item (SPEC §4), owned by the user who created it. */
export interface ItemsTable {
  id: Generated<number>
  owner_id: string // the user's id
  name: string
  description: string | null
  created_at: string
  updated_at: string
}

export interface ItemsTables {
  items: ItemsTable
}

export type ItemRow = Selectable<ItemsTable>

/** The columns of identity's `users` that items reads (an owner's name); identity owns and migrates that table. */
export interface ItemOwnersTable {
  id: string
  username: string
}

/** What the items repository may query: its own table, joined to its owners' names. */
export interface ItemsTablesWithOwners extends ItemsTables {
  users: ItemOwnersTable
}
