/** The problems the aircraft module raises on purpose, by name, over the platform's factories (still all available). */
import { problems as platform } from '../../platform/errors.js'

export const problems = {
  ...platform,
  jobNotFound: (id: string) => platform.notFound(`no job ${id}`),
  jobRunning: (holder: string) => platform.conflict(`ingest job ${holder} is already running; one job runs at a time`),
  statsNotFound: (icao: string) => platform.notFound(`no statistics for aircraft ${icao}`),
  aircraftNotFound: (icao: string) => platform.notFound(`no aircraft ${icao}`),
}
