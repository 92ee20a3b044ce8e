/** Wire shapes of the aircraft API (SPEC §6). */
import { type Static, Type } from 'typebox'
import { Nullable, PageQuery, StringEnum } from '../../platform/http/common-schemas.js'
import { ICAO_PATTERN } from './parse/icao.js'

export const IcaoParams = Type.Object({
  icao: Type.String({
    pattern: ICAO_PATTERN,
    description: 'ICAO hex address (or another 1–10 character id), matched in any case',
  }),
})

export const ProcessBody = Type.Object(
  {
    prefix: Type.Optional(
      Type.String({
        maxLength: 512,
        description: 'a sub-prefix inside the configured source (never another source, no .., not absolute)',
      }),
    ),
  },
  { title: 'IngestRequest', examples: [{ prefix: '2024/06/01' }], additionalProperties: false },
)

export const ProcessQuery = Type.Object({
  wait: Type.Optional(
    Type.Boolean({
      description:
        'true (the default): answer when the job is done; false: answer 202 at once, as `Prefer: respond-async` asks. Given, it wins over Prefer',
    }),
  ),
})

/** A file the job could not use, and why. `file` is empty for a job-level error. */
const JobErrorSchema = Type.Object({ file: Type.String(), reason: Type.String() }, { title: 'JobError' })
export type JobError = Static<typeof JobErrorSchema>

export const JobSchema = Type.Object(
  {
    id: Type.String(),
    status: StringEnum(['queued', 'running', 'succeeded', 'failed'] as const),
    files_total: Type.Integer(),
    files_done: Type.Integer(),
    files_skipped: Type.Integer(),
    records: Type.Integer(),
    bytes: Type.Integer(),
    errors: Type.Array(JobErrorSchema),
    started_at: Nullable(Type.String()),
    finished_at: Nullable(Type.String()),
  },
  { title: 'Job' },
)
/** The API shape of a job (`GET /jobs/{id}`). */
export type JobView = Static<typeof JobSchema>

export const JobAccepted = Type.Object({ job_id: Type.String(), status_url: Type.String() }, { title: 'JobAccepted' })

export const JobFinished = Type.Object(
  {
    message: Type.String({ description: '"Data processed successfully", or how many files failed' }),
    job_id: Type.String(),
    status: Type.String(),
    records_processed: Type.Integer(),
    files_processed: Type.Integer(),
    files_skipped: Type.Integer(),
    errors: Type.Array(JobErrorSchema),
  },
  { title: 'JobFinished' },
)

export const JobParams = Type.Object({ id: Type.String({ maxLength: 64 }) })

export const AircraftStats = Type.Object(
  {
    icao: Type.String({
      description: "as the data first wrote it (readsb hex is lower-case; a flat record's A320 stays A320)",
    }),
    registration: Nullable(Type.String()),
    type: Nullable(Type.String()),
    observations: Type.Integer(),
    total_flights: Type.Integer({ description: 'the reference services name for observations' }),
    max_altitude_baro: Nullable(Type.Number()),
    max_ground_speed: Nullable(Type.Number()),
    avg_altitude: Nullable(Type.Number()),
    avg_speed: Nullable(Type.Number()),
    had_emergency: Type.Boolean(),
    first_seen: Nullable(Type.String()),
    last_seen: Nullable(Type.String()),
  },
  { title: 'AircraftStats' },
)
export type AircraftStats = Static<typeof AircraftStats>

export const AircraftPage = Type.Object({
  ...PageQuery,
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
})

export const AircraftListItem = Type.Object(
  {
    icao: Type.String(),
    registration: Nullable(Type.String()),
    type: Nullable(Type.String()),
  },
  { title: 'AircraftSummary' },
)

export const Position = Type.Object(
  { timestamp: Type.String(), lat: Type.Number(), lon: Type.Number() },
  { title: 'Position' },
)
