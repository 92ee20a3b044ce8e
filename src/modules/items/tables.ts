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
