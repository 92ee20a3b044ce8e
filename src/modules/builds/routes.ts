/** HTTP surface of the build-state API (SPEC §5). Reads need the `read` scope, writes `write`, catalog creates `admin`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errors } from '../../platform/http/problem-responses.js'
import { FINAL_STATE, FIRST_STATE, STATE_CODES, STATE_STEP } from './rules.js'
import {
  BuildCreated,
  BuildDetail,
  BuildList,
  BuildListQuery,
  BuildParams,
  CatalogCreated,
  CurrentState,
  DashboardSummary,
  FailureRecorded,
  ImageType,
  NewBuild,
  NewFailure,
  NewImageType,
  NewOsVersion,
  NewPlatform,
  NewState,
  OsVersion,
  Platform,
  PlatformBuilds,
  PlatformParams,
  PlatformQuery,
  RecentBuilds,
  RecentQuery,
  StateCodesResponse,
  StateUpdated,
} from './schemas.js'
import type { BuildService } from './service.js'

export interface BuildRoutesOptions {
  builds: BuildService
}

const READ = { auth: { scope: 'read' as const } }
const WRITE = { auth: { scope: 'write' as const } }
const ADMIN = { auth: { scope: 'admin' as const } }
const tags = ['builds']
const CACHE_HEADER = 'x-cache'

export const buildRoutes: FastifyPluginAsyncTypebox<BuildRoutesOptions> = async (app, { builds }) => {
  // Catalog ----------------------------------------------------------------------------------------
  app.get(
    '/platforms',
    {
      config: READ,
      schema: {
        operationId: 'listPlatforms',
        summary: 'List platforms',
        tags,
        response: { 200: Type.Object({ platforms: Type.Array(Platform) }), ...errors(401, 403) },
      },
    },
    async () => ({ platforms: await builds.listPlatforms() }),
  )
  app.post(
    '/platforms',
    {
      config: ADMIN,
      schema: {
        operationId: 'createPlatform',
        summary: 'Add a platform (admin)',
        tags,
        body: NewPlatform,
        response: { 200: CatalogCreated, ...errors(400, 401, 403, 409, 415, 422) },
      },
    },
    async (request) => builds.createPlatform(request.body),
  )
  app.get(
    '/os-versions',
    {
      config: READ,
      schema: {
        operationId: 'listOsVersions',
        summary: 'List OS versions',
        tags,
        response: { 200: Type.Object({ os_versions: Type.Array(OsVersion) }), ...errors(401, 403) },
      },
    },
    async () => ({ os_versions: await builds.listOsVersions() }),
  )
  app.post(
    '/os-versions',
    {
      config: ADMIN,
      schema: {
        operationId: 'createOsVersion',
        summary: 'Add an OS version (admin)',
        tags,
        body: NewOsVersion,
        response: { 200: CatalogCreated, ...errors(400, 401, 403, 409, 415, 422) },
      },
    },
    async (request) => builds.createOsVersion(request.body),
  )
  app.get(
    '/image-types',
    {
      config: READ,
      schema: {
        operationId: 'listImageTypes',
        summary: 'List image types',
        tags,
        response: { 200: Type.Object({ image_types: Type.Array(ImageType) }), ...errors(401, 403) },
      },
    },
    async () => ({ image_types: await builds.listImageTypes() }),
  )
  app.post(
    '/image-types',
    {
      config: ADMIN,
      schema: {
        operationId: 'createImageType',
        summary: 'Add an image type (admin)',
        tags,
        body: NewImageType,
        response: { 200: CatalogCreated, ...errors(400, 401, 403, 409, 415, 422) },
      },
    },
    async (request) => builds.createImageType(request.body),
  )
  app.get(
    '/state-codes',
    {
      config: READ,
      schema: {
        operationId: 'listStateCodes',
        summary: `The numbered build states ${FIRST_STATE}–${FINAL_STATE}`,
        tags,
        response: { 200: StateCodesResponse, ...errors(401, 403) },
      },
    },
    async () => ({ state_codes: STATE_CODES }),
  )

  // Builds -----------------------------------------------------------------------------------------
  app.post(
    '/builds',
    {
      config: WRITE,
      schema: {
        operationId: 'createBuild',
        summary: 'Start tracking a build (records state 0)',
        description: 'Unknown catalog ids → 422 naming the field; a build_id in use → 409.',
        tags,
        body: NewBuild,
        response: { 200: BuildCreated, ...errors(400, 401, 403, 409, 415, 422) },
      },
    },
    async (request) => builds.createBuild(request.body),
  )
  app.get(
    '/builds',
    {
      config: READ,
      schema: {
        operationId: 'listBuilds',
        summary: 'List builds, newest first (filters, cursor)',
        tags,
        querystring: BuildListQuery,
        response: { 200: BuildList, ...errors(401, 403, 422) },
      },
    },
    async (request) => builds.list(request.query),
  )
  app.get(
    '/builds/:id',
    {
      config: READ,
      schema: {
        operationId: 'getBuild',
        summary: 'A build with its state history and failures',
        tags,
        params: BuildParams,
        response: { 200: BuildDetail, ...errors(401, 403, 404) },
      },
    },
    async (request) => builds.detail(request.params.id),
  )
  app.post(
    '/builds/:id/state',
    {
      config: WRITE,
      schema: {
        operationId: 'updateBuildState',
        summary: 'Move a build to a state',
        description: `state_code outside ${FIRST_STATE}–${FINAL_STATE} → 422; not a multiple of ${STATE_STEP} → 400; unknown build → 404; after ${FINAL_STATE} → 409.`,
        tags,
        params: BuildParams,
        body: NewState,
        response: { 200: StateUpdated, ...errors(400, 401, 403, 404, 409, 415, 422) },
      },
    },
    async (request) => builds.recordState(request.params.id, request.body),
  )
  app.get(
    '/builds/:id/state',
    {
      config: READ,
      schema: {
        operationId: 'getBuildState',
        summary: "A build's current state",
        tags,
        params: BuildParams,
        response: { 200: CurrentState, ...errors(401, 403, 404) },
      },
    },
    async (request) => builds.currentState(request.params.id),
  )
  app.post(
    '/builds/:id/failure',
    {
      config: WRITE,
      schema: {
        operationId: 'recordBuildFailure',
        summary: 'Record a failure of a build (details: any JSON object)',
        tags,
        params: BuildParams,
        body: NewFailure,
        response: { 200: FailureRecorded, ...errors(400, 401, 403, 404, 415, 422) },
      },
    },
    async (request) => builds.recordFailure(request.params.id, request.body),
  )

  // Dashboards (X-Cache: hit | miss | bypass) ---------------------------------------------------
  app.get(
    '/dashboard/summary',
    {
      config: READ,
      schema: {
        operationId: 'getDashboardSummary',
        summary: 'Build counts by status and platform, success rate, 10 newest',
        tags,
        response: { 200: DashboardSummary, ...errors(401, 403) },
      },
    },
    async (_request, reply) => {
      const { value, cache } = await builds.summary()
      return reply.header(CACHE_HEADER, cache).send(value)
    },
  )
  app.get(
    '/dashboard/recent',
    {
      config: READ,
      schema: {
        operationId: 'getRecentBuilds',
        summary: 'The newest builds',
        tags,
        querystring: RecentQuery,
        response: { 200: RecentBuilds, ...errors(401, 403, 422) },
      },
    },
    async (request, reply) => {
      const { value, cache } = await builds.recent(request.query.limit)
      return reply.header(CACHE_HEADER, cache).send(value)
    },
  )
  app.get(
    '/dashboard/platform/:platform',
    {
      config: READ,
      schema: {
        operationId: 'getPlatformBuilds',
        summary: 'The newest builds on one platform',
        tags,
        params: PlatformParams,
        querystring: PlatformQuery,
        response: { 200: PlatformBuilds, ...errors(401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const { value, cache } = await builds.platform(request.params.platform, request.query.limit)
      return reply.header(CACHE_HEADER, cache).send(value)
    },
  )
}
