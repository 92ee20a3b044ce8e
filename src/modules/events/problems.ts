/** The problems the events module raises on purpose, by name, over the platform's factories. */
import { problems as platform } from '../../platform/errors.js'

const CHALLENGE = 'ApiKey header="X-API-Key", Bearer'

export const problems = {
  ...platform,
  badTicket: () =>
    platform.unauthorized(
      'the ticket is unknown, already used or expired; get a new one from POST /events/tickets',
      CHALLENGE,
    ),
  buildsNeedCredentials: () =>
    platform.unauthorized(
      'the builds topic needs the "read" scope: send X-API-Key, Authorization: Bearer, or ?ticket= from POST /events/tickets',
      CHALLENGE,
    ),
  buildsNeedRead: () => platform.forbidden('the builds topic needs the "read" scope'),
  tooManySubscribers: () =>
    platform.unavailable('this replica holds as many event streams as it may (EVENTS_MAX_SUBSCRIBERS); retry soon'),
  ticketsUnavailable: () => platform.unavailable('tickets cannot be stored right now; retry soon'),
}
