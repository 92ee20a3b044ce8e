/** The problems items raises on purpose, by name, over the platform's factories (still all available). */
import { problems as platform } from '../../platform/errors.js'

export const problems = {
  ...platform,
  itemNotFound: (id: number | string) => platform.notFound(`item ${id} does not exist`),
  notAUser: () => platform.forbidden('items belong to users; log in as one'),
}
