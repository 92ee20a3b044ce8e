/** Wire shapes of the items API (SPEC §4). */
import { type Static, Type } from 'typebox'
import { IsoTimestamp, Nullable, StoredText } from '../../platform/http/common-schemas.js'

const NAME_MAX_LENGTH = 100
const DESCRIPTION_MAX_LENGTH = 2000

const Name = StoredText({ minLength: 1, maxLength: NAME_MAX_LENGTH, description: '1–100 characters' })
const Description = StoredText({ maxLength: DESCRIPTION_MAX_LENGTH, description: 'up to 2,000 characters' })

export const Item = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    description: Nullable(Type.String()),
    owner: Type.String({ description: 'username of the creator' }),
    created_at: IsoTimestamp(),
    updated_at: IsoTimestamp(),
  },
  { title: 'Item' },
)
export type Item = Static<typeof Item>

export const NewItem = Type.Object(
  { name: Name, description: Type.Optional(Nullable(Description)) },
  { title: 'NewItem', examples: [{ name: 'Widget', description: 'a blue one' }], additionalProperties: false },
)
export type NewItem = Static<typeof NewItem>

/** PUT and PATCH alike: an absent or null field stays as it is. */
export const ItemChanges = Type.Object(
  { name: Type.Optional(Nullable(Name)), description: Type.Optional(Nullable(Description)) },
  { title: 'ItemChanges', examples: [{ description: 'a red one' }], additionalProperties: false },
)
export type ItemChanges = Static<typeof ItemChanges>

export const ItemParams = Type.Object({
  id: Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }),
})

export const ItemsQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'items per page (1–1000)' }),
  offset: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0, description: 'items to skip' }),
})
export type ItemsQuery = Static<typeof ItemsQuery>
