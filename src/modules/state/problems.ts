/** The problems shared state raises on purpose, by name, over the platform's factories (still all available). */
import { problems as platform } from '../../platform/errors.js'

export const problems = {
  ...platform,
  badCursor: () => platform.validation([{ path: 'querystring.cursor', message: 'is not a cursor this API returned' }]),
  badIfMatch: () =>
    platform.validation([{ path: 'headers.if-match', message: 'must be a version in quotes, e.g. "42"' }]),
  versionMismatch: (named: number, current: number) =>
    platform.preconditionFailed(`If-Match names version ${named}, but the state is at version ${current}`),
  writeDeadline: (ms: number) =>
    platform.unavailable(
      `the update did not commit within ${ms} ms (the database is not answering); it may or may not have been applied: retry with the same Idempotency-Key`,
    ),
}
