import type { Generated, Insertable, Selectable, Updateable } from 'kysely'

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
/** A new item's row (the id is generated). */
export type NewItemRow = Insertable<ItemsTable>
/** The columns a change may set. */
export type ItemRowChanges = Updateable<Omit<ItemsTable, 'id' | 'owner_id' | 'created_at'>>

/** The columns of identity's `users` that items reads (an owner's name); identity owns and migrates that table. */
export interface ItemOwnersTable {
  id: string
  username: string
}

/** What the items repository may query: its own table, joined to its owners' names. */
export interface ItemsTablesWithOwners extends ItemsTables {
  users: ItemOwnersTable
}
