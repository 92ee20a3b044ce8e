/** SQL of the items module. Every query takes the owner filter, so another user's item is simply absent. */
import type { Kysely } from 'kysely'
import type { ItemRow, ItemRowChanges, ItemsTablesWithOwners, NewItemRow } from './tables.js'

type ItemsDb = Kysely<ItemsTablesWithOwners>

/** Whose items a query may see: one user's, or everyone's (a superuser). */
export type Visibility = { ownerId: string } | 'all'

const columns = [
  'items.id as id',
  'items.name as name',
  'items.description as description',
  'users.username as owner',
  'items.created_at as created_at',
  'items.updated_at as updated_at',
] as const

function visible(db: ItemsDb, who: Visibility) {
  const base = db.selectFrom('items').innerJoin('users', 'users.id', 'items.owner_id')
  return who === 'all' ? base : base.where('items.owner_id', '=', who.ownerId)
}

export async function insertItem(db: ItemsDb, row: NewItemRow): Promise<ItemRow['id']> {
  const { id } = await db.insertInto('items').values(row).returning('id').executeTakeFirstOrThrow()
  return id
}

export function findItem(db: ItemsDb, who: Visibility, id: number) {
  return visible(db, who).select(columns).where('items.id', '=', id).executeTakeFirst()
}

export function listItems(db: ItemsDb, who: Visibility, limit: number, offset: number) {
  return visible(db, who).select(columns).orderBy('items.id', 'desc').limit(limit).offset(offset).execute()
}

export async function countItems(db: ItemsDb, who: Visibility): Promise<number> {
  const row = await visible(db, who)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Changes the given fields of a visible item; false when there is none. */
export async function updateItem(db: ItemsDb, who: Visibility, id: number, set: ItemRowChanges) {
  let query = db.updateTable('items').set(set).where('id', '=', id)
  if (who !== 'all') query = query.where('owner_id', '=', who.ownerId)
  const result = await query.executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export async function deleteItem(db: ItemsDb, who: Visibility, id: number): Promise<boolean> {
  let query = db.deleteFrom('items').where('id', '=', id)
  if (who !== 'all') query = query.where('owner_id', '=', who.ownerId)
  const result = await query.executeTakeFirst()
  return result.numDeletedRows > 0n
}
