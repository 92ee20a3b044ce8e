/** The problems identity raises on purpose, by name, over the platform's factories (still all available). */
import { problems as platform } from '../../platform/errors.js'

export const problems = {
  ...platform,
  // SPEC §8: the reference's text, exactly (its clients compare it).
  userNotFound: () => platform.notFound('User not found'),
  // Ids are typed loosely on purpose: the message is the same whatever form an id takes.
  tokenNotFound: (userId: number | string, tokenId: number | string) =>
    platform.notFound(`user ${userId} has no token ${tokenId}`),
  userExists: (username: string) =>
    platform.conflict(`a user with username ${JSON.stringify(username)} or that email already exists`),
  emailTaken: () => platform.conflict('another user already has that email'),
  notSelfOrSuperuser: () => platform.forbidden('only the user itself or a superuser may do this'),
}
