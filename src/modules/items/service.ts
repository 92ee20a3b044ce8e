/**
 * Items rules (SPEC §4): an item belongs to its creator; a user sees only their own (another
 * user's id is 404, exactly as if it did not exist: object-level authorization), a superuser all.
 */
import type { Kysely } from 'kysely'
import type { Principal } from '../../platform/auth/index.js'
import { problems } from './problems.js'
import * as repo from './repository.js'
import type { Item, ItemChanges, NewItem } from './schemas.js'
import type { ItemRowChanges, ItemsTablesWithOwners } from './tables.js'

const notFound = problems.itemNotFound

export class ItemsService {
  constructor(private readonly db: Kysely<ItemsTablesWithOwners>) {}

  private visibility(caller: Principal): repo.Visibility {
    if (caller.kind === 'user' && caller.isSuperuser) return 'all'
    if (caller.userId === undefined) throw problems.notAUser()
    return { ownerId: caller.userId }
  }

  async create(caller: Principal, input: NewItem): Promise<Item> {
    if (caller.userId === undefined) throw problems.notAUser()
    const now = new Date().toISOString()
    const id = await repo.insertItem(this.db, {
      owner_id: caller.userId,
      name: input.name,
      description: input.description ?? null,
      created_at: now,
      updated_at: now,
    })
    return this.get(caller, id)
  }

  async get(caller: Principal, id: number): Promise<Item> {
    const item = await repo.findItem(this.db, this.visibility(caller), id)
    if (!item) throw notFound(id)
    return item
  }

  async list(caller: Principal, limit: number, offset: number): Promise<{ items: Item[]; total: number }> {
    const who = this.visibility(caller)
    const [items, total] = await Promise.all([
      repo.listItems(this.db, who, limit, offset),
      repo.countItems(this.db, who),
    ])
    return { items, total }
  }

  async update(caller: Principal, id: number, changes: ItemChanges): Promise<Item> {
    const set: ItemRowChanges = { updated_at: new Date().toISOString() }
    if (changes.name != null) set.name = changes.name
    if (changes.description != null) set.description = changes.description
    if (!(await repo.updateItem(this.db, this.visibility(caller), id, set))) throw notFound(id)
    return this.get(caller, id)
  }

  async delete(caller: Principal, id: number): Promise<void> {
    if (!(await repo.deleteItem(this.db, this.visibility(caller), id))) throw notFound(id)
  }
}
