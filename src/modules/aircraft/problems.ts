/** The problems the aircraft module raises on purpose, by name, over the platform's factories (still all available). */
import { problems as platform } from '../../platform/errors.js'

export const problems = {
  ...platform,
  jobNotFound: (id: string) => platform.notFound(`no job ${id}`),
  // Which job holds the lease, and where to watch it, go beside the text.
  jobRunning: (holder: string) =>
    platform.conflict(`ingest job ${holder} is already running; one job runs at a time`, {
      job_id: holder,
      status_url: `/jobs/${holder}`,
    }),
  // SPEC §8: the reference's text, exactly (its clients compare it); the id as asked for goes beside it.
  aircraftNotFound: (icao: string) => platform.notFound('Aircraft not found', { icao }),
}
