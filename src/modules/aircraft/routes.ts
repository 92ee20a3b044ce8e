/** HTTP surface of the aircraft module (SPEC §6): jobs and public reads. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Db } from '../../platform/db/index.js'
import { membersOf } from '../../platform/http/common-schemas.js'
import { errors } from '../../platform/http/problem-responses.js'
import { type IngestService, summarize } from './ingest.js'
import { icaoKey } from './parse/icao.js'
import { problems } from './problems.js'
import * as repo from './repository.js'
import {
  AircraftListItem,
  AircraftPage,
  AircraftStats,
  IcaoParams,
  JobAccepted,
  JobFinished,
  JobParams,
  JobSchema,
  Position,
  ProcessBody,
  ProcessQuery,
} from './schemas.js'
import { safeSubPrefix } from './sources.js'
import type { AircraftStatsRow, AircraftTables } from './tables.js'

const statsMembers = membersOf(AircraftStats)

/** A stored stats row in the API shape: averages derived from sums and counts. */
function toStats(row: AircraftStatsRow): AircraftStats {
  return statsMembers({
    ...row,
    icao: row.icao_as_written,
    total_flights: row.observations,
    avg_altitude: row.altitude_count > 0 ? row.sum_altitude / row.altitude_count : null,
    avg_speed: row.speed_count > 0 ? row.sum_speed / row.speed_count : null,
    had_emergency: row.had_emergency === 1,
  })
}

/** Whether a `Prefer` header (RFC 7240: comma-separated preferences, each maybe with parameters) asks for respond-async. */
function prefersAsync(prefer: string | string[] | undefined): boolean {
  const values = Array.isArray(prefer) ? prefer : prefer === undefined ? [] : [prefer]
  return values.some((value) =>
    value.split(',').some((pref) => pref.split(';', 1)[0]?.trim().toLowerCase() === 'respond-async'),
  )
}

/** Jobs (`POST /process-s3-data`, `GET /jobs/{id}`) and the public reads of §6. */
export const aircraftRoutes: FastifyPluginAsyncTypebox<{ db: Db<AircraftTables>; ingest: IngestService }> = async (
  app,
  { db, ingest },
) => {
  app.post(
    '/process-s3-data',
    {
      config: { auth: { scope: 'admin' } },
      schema: {
        operationId: 'processS3Data',
        summary:
          'Run an ingest job over the configured source and answer when it is done (200); with Prefer: respond-async or ?wait=false, answer 202 with the job at once',
        tags: ['aircraft'],
        querystring: ProcessQuery,
        body: Type.Optional(ProcessBody),
        response: { 200: JobFinished, 202: JobAccepted, ...errors(401, 403, 409, 422) },
      },
      // The body is optional: no body at all means "the whole source" (validated as `{}`).
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {}
      },
    },
    async (request, reply) => {
      const prefix = safeSubPrefix(request.body?.prefix ?? '')
      if (prefix === null) {
        throw problems.validation([
          {
            path: 'body.prefix',
            message: 'must be a relative sub-prefix of the configured source (no .., no absolute path, no scheme)',
          },
        ])
      }
      // The reference's clients wait for the result; RFC 7240 clients may ask not to. ?wait decides when given.
      const respondAsync = request.query.wait === undefined ? prefersAsync(request.headers.prefer) : !request.query.wait
      const { job, done } = await ingest.start(prefix)
      if (respondAsync) {
        return reply
          .code(202)
          .header('preference-applied', 'respond-async')
          .header('location', `/jobs/${job.id}`)
          .send({ job_id: job.id, status_url: `/jobs/${job.id}` })
      }
      return summarize(await done)
    },
  )

  app.get(
    '/jobs/:id',
    {
      schema: {
        operationId: 'getJob',
        summary: 'An ingest job and its progress',
        tags: ['aircraft'],
        params: JobParams,
        response: { 200: JobSchema, ...errors(404) },
      },
    },
    async (request) => {
      const job = await ingest.job(request.params.id)
      if (!job) throw problems.jobNotFound(request.params.id)
      return job
    },
  )

  const statsRoute = {
    schema: {
      summary: 'Statistics of one aircraft',
      tags: ['aircraft'],
      params: IcaoParams,
      response: { 200: AircraftStats, ...errors(404, 422) },
    },
  }
  const readStats = async (icao: string) => {
    const row = await repo.findStats(db.kysely, icaoKey(icao))
    if (!row) throw problems.aircraftNotFound(icao)
    return toStats(row)
  }
  // One handler under two paths: each is its own operation for client generators.
  app.get(
    '/aircraft-stats/:icao',
    { schema: { ...statsRoute.schema, operationId: 'getAircraftStats' } },
    async (request) => readStats(request.params.icao),
  )
  app.get(
    '/aircraft/:icao/stats',
    { schema: { ...statsRoute.schema, operationId: 'getAircraftStatsByPath' } },
    async (request) => readStats(request.params.icao),
  )

  app.get(
    '/aircraft',
    {
      schema: {
        operationId: 'listAircraft',
        summary: 'Aircraft seen, by ICAO address (each as the data first wrote it)',
        tags: ['aircraft'],
        querystring: AircraftPage,
        response: { 200: Type.Array(AircraftListItem), ...errors(422) },
      },
    },
    async (request) => {
      const { page, limit } = request.query
      return repo.listAircraft(db.kysely, limit, (page - 1) * limit)
    },
  )

  app.get(
    '/aircraft/:icao/positions',
    {
      schema: {
        operationId: 'listAircraftPositions',
        summary: 'Positions of one aircraft, by time',
        tags: ['aircraft'],
        params: IcaoParams,
        querystring: AircraftPage,
        response: { 200: Type.Array(Position), ...errors(404, 422) },
      },
    },
    async (request) => {
      const key = icaoKey(request.params.icao)
      const { page, limit } = request.query
      const rows = await repo.listPositions(db.kysely, key, limit, (page - 1) * limit)
      if (rows.length === 0 && !(await repo.findStats(db.kysely, key)))
        throw problems.aircraftNotFound(request.params.icao)
      return rows
    },
  )
}
