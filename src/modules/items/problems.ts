/** The problems items raises on purpose, by name, over the platform's factories (still all available). */
import { problems as platform } from '../../platform/errors.js'

export const problems = {
  ...platform,
  // The items reference's text, exactly (SPEC §8); which item goes beside it.
  itemNotFound: (id: number) => platform.notFound('Item not found', { item_id: id }),
  notAUser: () => platform.forbidden('items belong to users; log in as one'),
}
