/**
 * The problems build state raises on purpose, by name (the way supabase/storage names
 * `ERRORS.NoSuchBucket`), over the platform's factories; the platform's generic ones stay available.
 */
import { problems as platform } from '../../platform/errors.js'
import { FINAL_STATE, STATE_STEP, stateName } from './rules.js'

export const problems = {
  ...platform,
  // SPEC §8: the reference's text, exactly (its clients compare it).
  buildNotFound: () => platform.notFound('Build not found'),
  buildExists: (buildId: string) => platform.conflict(`build "${buildId}" exists already`),
  buildFinished: (buildId: string) =>
    platform.conflict(
      `build "${buildId}" reached state ${FINAL_STATE} (${stateName(FINAL_STATE)}); it takes no further states`,
    ),
  stateCodeOffStep: (code: number) =>
    platform.badRequest(`state_code ${code} is not a multiple of ${STATE_STEP} (see GET /state-codes)`),
  catalogEntryExists: (what: string, id: string) => platform.conflict(`${what} "${id}" exists already`),
  badCursor: () => platform.validation([{ path: 'querystring.cursor', message: 'is not a cursor this API issued' }]),
}
