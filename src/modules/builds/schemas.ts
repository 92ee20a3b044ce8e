/** Wire shapes of the build-state API (SPEC §5), declared once; types derive from them. */
import { type Static, Type } from 'typebox'
import { FreeObject, IsoTimestamp, Nullable, StoredText, StringEnum } from '../../platform/http/common-schemas.js'
import { FINAL_STATE, FIRST_STATE, STATE_STEP } from './rules.js'

export const BUILD_STATUSES = ['completed', 'failed', 'in_progress'] as const
export type BuildStatus = (typeof BUILD_STATUSES)[number]

/** Catalog ids: lower-case slugs such as `aws-commercial` or `rhel-9.2`. */
const CatalogId = (description: string) =>
  Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$', minLength: 1, maxLength: 64, description })

/** A pipeline's own build id; it goes into URLs, so only URL-safe characters. */
const BuildId = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:+-]*$',
  minLength: 1,
  maxLength: 200,
  description: "the pipeline's build id (letters, digits, . _ : + -), unique",
})

const Name = (description: string) => StoredText({ minLength: 1, maxLength: 200, description })
const Optional200 = (description: string) => Type.Optional(Nullable(StoredText({ maxLength: 200, description })))

// Catalog ------------------------------------------------------------------------------------------

export const Platform = Type.Object(
  {
    id: CatalogId('slug, e.g. aws-commercial'),
    name: Type.String(),
    cloud_provider: Type.String(),
    region: Nullable(Type.String()),
  },
  { title: 'Platform' },
)
export const NewPlatform = Type.Object(
  {
    id: CatalogId('slug, e.g. aws-commercial'),
    name: Name('display name'),
    cloud_provider: Name('aws, azure, gcp, openstack, …'),
    region: Optional200('default region'),
  },
  {
    title: 'NewPlatform',
    examples: [{ id: 'aws-commercial', name: 'AWS Commercial', cloud_provider: 'aws', region: 'us-east-1' }],
    additionalProperties: false,
  },
)
export type NewPlatform = Static<typeof NewPlatform>

export const OsVersion = Type.Object(
  {
    id: CatalogId('slug, e.g. rhel-9.2'),
    name: Type.String(),
    version: Type.String(),
  },
  { title: 'OsVersion' },
)
export const NewOsVersion = Type.Object(
  { id: CatalogId('slug, e.g. rhel-9.2'), name: Name('operating system'), version: Name('version, e.g. 9.2') },
  { title: 'NewOsVersion', examples: [{ id: 'rhel-9.2', name: 'RHEL', version: '9.2' }], additionalProperties: false },
)
export type NewOsVersion = Static<typeof NewOsVersion>

export const ImageType = Type.Object(
  {
    id: CatalogId('slug, e.g. base'),
    name: Type.String(),
    description: Nullable(Type.String()),
  },
  { title: 'ImageType' },
)
export const NewImageType = Type.Object(
  {
    id: CatalogId('slug, e.g. base'),
    name: Name('display name'),
    description: Type.Optional(Nullable(StoredText({ maxLength: 2000, description: 'what the image is for' }))),
  },
  {
    title: 'NewImageType',
    examples: [{ id: 'base', name: 'Base image', description: 'hardened base' }],
    additionalProperties: false,
  },
)
export type NewImageType = Static<typeof NewImageType>

export const CatalogCreated = Type.Object(
  { id: Type.String(), status: Type.Literal('created') },
  { title: 'CatalogCreated' },
)

export const StateCodesResponse = Type.Object(
  {
    state_codes: Type.Array(Type.Object({ code: Type.Integer(), name: Type.String() })),
  },
  { title: 'StateCodeList' },
)

// Builds -------------------------------------------------------------------------------------------

export const NewBuild = Type.Object(
  {
    platform: CatalogId('a platform id (GET /platforms)'),
    os_version: CatalogId('an OS version id (GET /os-versions)'),
    image_type: CatalogId('an image type id (GET /image-types)'),
    build_id: BuildId,
    pipeline_url: Type.Optional(Nullable(StoredText({ maxLength: 2000, description: 'link to the pipeline run' }))),
    commit_hash: Type.Optional(
      Nullable(StoredText({ maxLength: 100, description: 'commit the image was built from' })),
    ),
  },
  {
    title: 'NewBuild',
    examples: [
      {
        platform: 'aws-commercial',
        os_version: 'rhel-9.2',
        image_type: 'base',
        build_id: 'pipeline-1234',
        commit_hash: 'a1b2c3d',
      },
    ],
    additionalProperties: false,
  },
)
export type NewBuild = Static<typeof NewBuild>

export const BuildCreated = Type.Object(
  {
    id: Type.String({ description: "the build's id (a UUID): name the build by it in /builds/{id}" }),
    build_id: Type.String(),
    status: Type.Literal('created'),
  },
  { title: 'BuildCreated' },
)

export const BuildParams = Type.Object({
  id: Type.String({
    minLength: 1,
    maxLength: 200,
    description: "the build's id (POST /builds answered it); when no build has that id, a build_id",
  }),
})

export const NewState = Type.Object(
  {
    state_code: Type.Integer({
      minimum: FIRST_STATE,
      maximum: FINAL_STATE,
      description: `a multiple of ${STATE_STEP} (GET /state-codes); nothing after ${FINAL_STATE}`,
    }),
    message: Type.Optional(Nullable(StoredText({ maxLength: 2000 }))),
  },
  { title: 'NewBuildState', examples: [{ state_code: 25, message: 'packer finished' }], additionalProperties: false },
)
export type NewState = Static<typeof NewState>

export const StateUpdated = Type.Object(
  {
    status: Type.Literal('updated'),
    build_id: Type.String(),
    new_state: Type.Integer(),
  },
  { title: 'BuildStateUpdated' },
)

export const CurrentState = Type.Object(
  {
    build_id: Type.String(),
    current_state: Type.Integer(),
    state_name: Type.String(),
    message: Nullable(Type.String()),
    transitioned_at: IsoTimestamp(),
  },
  { title: 'BuildState' },
)
export type CurrentState = Static<typeof CurrentState>

export const NewFailure = Type.Object(
  {
    error_message: StoredText({ minLength: 1, maxLength: 10_000 }),
    error_code: Optional200('machine-readable code, e.g. PACKER_TIMEOUT'),
    component: Optional200('what failed, e.g. packer, ansible'),
    details: Type.Optional(Nullable(FreeObject('any JSON object, stored and returned as sent'))),
  },
  {
    title: 'NewBuildFailure',
    examples: [
      { error_message: 'packer timed out', error_code: 'PACKER_TIMEOUT', component: 'packer', details: { attempt: 2 } },
    ],
    additionalProperties: false,
  },
)
export type NewFailure = Static<typeof NewFailure>

export const FailureRecorded = Type.Object(
  { status: Type.Literal('recorded'), build_id: Type.String() },
  { title: 'BuildFailureRecorded' },
)

export const BuildSummary = Type.Object(
  {
    id: Type.String(),
    build_id: Type.String(),
    platform: Type.String(),
    os_version: Type.String(),
    image_type: Type.String(),
    pipeline_url: Nullable(Type.String()),
    commit_hash: Nullable(Type.String()),
    current_state: Type.Integer(),
    status: StringEnum(BUILD_STATUSES, {
      description: `completed if the latest state is ${FINAL_STATE}, else failed if any failure, else in_progress`,
    }),
    created_at: IsoTimestamp(),
    updated_at: IsoTimestamp(),
  },
  { title: 'BuildSummary' },
)
export type BuildSummary = Static<typeof BuildSummary>

const StateEntry = Type.Object(
  {
    state_code: Type.Integer(),
    state_name: Type.String(),
    message: Nullable(Type.String()),
    transitioned_at: IsoTimestamp(),
  },
  { title: 'BuildStateEntry' },
)
const FailureEntry = Type.Object(
  {
    id: Type.Integer(),
    state_code: Type.Integer({ description: "the build's state when the failure was reported" }),
    error_message: Type.String(),
    error_code: Nullable(Type.String()),
    component: Nullable(Type.String()),
    details: Nullable(FreeObject()),
    recorded_at: IsoTimestamp(),
  },
  { title: 'BuildFailure' },
)

export const BuildDetail = Type.Object(
  {
    ...BuildSummary.properties,
    states: Type.Array(StateEntry, { description: 'oldest first' }),
    failures: Type.Array(FailureEntry, { description: 'oldest first' }),
  },
  { title: 'BuildDetail' },
)
export type BuildDetail = Static<typeof BuildDetail>

export const BuildListQuery = Type.Object({
  platform: Type.Optional(CatalogId('only builds on this platform')),
  status: Type.Optional(StringEnum(BUILD_STATUSES, { description: 'only builds with this status' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50, description: 'builds per page (1–100)' }),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor of the previous page' })),
})
export type BuildListQuery = Static<typeof BuildListQuery>

export const BuildList = Type.Object(
  {
    builds: Type.Array(BuildSummary, { description: 'newest first' }),
    next_cursor: Nullable(
      Type.String({ description: 'pass as ?cursor= for the next older builds; null on the last page' }),
    ),
  },
  { title: 'BuildPage' },
)
export type BuildList = Static<typeof BuildList>

// Dashboards ---------------------------------------------------------------------------------------

const StatusCounts = Type.Object({ completed: Type.Integer(), failed: Type.Integer(), in_progress: Type.Integer() })
export type StatusCounts = Static<typeof StatusCounts>

/** A build as the dashboards list it: also under the reference's key names (its CLI prints those). */
export const DashboardBuild = Type.Object(
  {
    ...BuildSummary.properties,
    platform_id: Type.String({ description: 'the same as platform' }),
    os_version_id: Type.String({ description: 'the same as os_version' }),
    image_type_id: Type.String({ description: 'the same as image_type' }),
    state_code: Type.Integer({ description: 'the same as current_state' }),
  },
  { title: 'DashboardBuild' },
)
export type DashboardBuild = Static<typeof DashboardBuild>

export const DashboardSummary = Type.Object(
  {
    total_builds: Type.Integer(),
    status_counts: StatusCounts,
    by_platform: Type.Record(Type.String(), Type.Object({ total: Type.Integer(), ...StatusCounts.properties }), {
      description: 'every catalog platform, with its build counts',
    }),
    success_rate: Type.Number({
      description: 'completed builds as a percentage of all builds (0–100, two decimals; 0 without builds)',
    }),
    recent_builds: Type.Array(DashboardBuild, { description: 'the 10 newest' }),
  },
  { title: 'DashboardSummary' },
)
export type DashboardSummary = Static<typeof DashboardSummary>

export const RecentQuery = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }) })
export const RecentBuilds = Type.Object({ recent_builds: Type.Array(DashboardBuild) }, { title: 'RecentBuilds' })

export const PlatformParams = Type.Object({ platform: Type.String({ minLength: 1, maxLength: 64 }) })
export const PlatformQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50, description: 'newest builds shown' }),
})
export const PlatformBuilds = Type.Object(
  {
    platform: Type.String(),
    builds: Type.Array(DashboardBuild, {
      description: 'newest first; none for a platform without builds, known or not',
    }),
  },
  { title: 'PlatformBuilds' },
)
export type PlatformBuilds = Static<typeof PlatformBuilds>
