/**
 * Development data (SPEC §5.5): a few more catalog entries and 10 builds at various states, 2 of them
 * with failures. Loaded only when ENVIRONMENT=development, once: every row has a fixed id and is
 * inserted with ON CONFLICT DO NOTHING, and a build's states and failures are written only by the
 * start-up that inserted the build itself — so a restart, or replicas starting together, add nothing.
 */
import type { Db } from '../../platform/db/index.js'
import * as repo from './repository.js'
import { stateSequenceProblem, statusOf } from './rules.js'
import type { BuildTables } from './tables.js'

const PLATFORMS = [
  { id: 'oracle-cloud', name: 'Oracle Cloud', cloud_provider: 'oci', region: 'us-ashburn-1' },
  { id: 'vmware', name: 'VMware vSphere', cloud_provider: 'vmware', region: null },
]
const OS_VERSIONS = [
  { id: 'rhel-9.4', name: 'Red Hat Enterprise Linux', version: '9.4' },
  { id: 'ubuntu-24.04', name: 'Ubuntu', version: '24.04' },
  { id: 'sles-15.5', name: 'SUSE Linux Enterprise Server', version: '15 SP5' },
]
const IMAGE_TYPES = [
  { id: 'cis-hardened', name: 'CIS hardened', description: 'base image hardened to the CIS level 2 benchmark' },
]

interface DevBuild {
  build_id: string
  platform: string
  os_version: string
  image_type: string
  states: number[]
  failure?: { error_message: string; error_code: string; component: string; details: Record<string, unknown> }
}

/** aws-commercial ×4, azure ×3, gcp ×2, aws-govcloud ×1: 3 completed, 2 failed, 5 in progress. */
const DEV_BUILDS: DevBuild[] = [
  {
    build_id: 'dev-aws-rhel9-base-001',
    platform: 'aws-commercial',
    os_version: 'rhel-9.2',
    image_type: 'base',
    states: [10, 25, 50, 75, 100],
  },
  {
    build_id: 'dev-aws-rhel8-hana-002',
    platform: 'aws-commercial',
    os_version: 'rhel-8.8',
    image_type: 'hana',
    states: [10, 25, 40],
  },
  {
    build_id: 'dev-aws-ubuntu22-openvpn-003',
    platform: 'aws-commercial',
    os_version: 'ubuntu-22.04',
    image_type: 'openvpn',
    states: [10, 25],
    failure: {
      error_message: 'CIS benchmark scan reported 3 failed controls',
      error_code: 'SECURITY_BASELINE_FAILED',
      component: 'openscap',
      details: { failed_controls: ['1.1.2', '5.2.4', '6.1.10'], profile: 'cis_server_l1' },
    },
  },
  {
    build_id: 'dev-aws-rhel9-sapapp-004',
    platform: 'aws-commercial',
    os_version: 'rhel-9.2',
    image_type: 'sapapp',
    states: [5],
  },
  {
    build_id: 'dev-azure-rhel9-base-005',
    platform: 'azure',
    os_version: 'rhel-9.2',
    image_type: 'base',
    states: [10, 25, 50, 75, 90, 100],
  },
  {
    build_id: 'dev-azure-rhel8-sapapp-006',
    platform: 'azure',
    os_version: 'rhel-8.8',
    image_type: 'sapapp',
    states: [10, 25, 50, 60],
  },
  {
    build_id: 'dev-azure-ubuntu20-base-007',
    platform: 'azure',
    os_version: 'ubuntu-20.04',
    image_type: 'base',
    states: [10, 25, 50, 65, 70],
    failure: {
      error_message: 'integration test suite timed out after 1800 s',
      error_code: 'TEST_TIMEOUT',
      component: 'goss',
      details: { suite: 'integration', timeout_seconds: 1800, passed: 41, pending: 7 },
    },
  },
  {
    build_id: 'dev-gcp-ubuntu22-base-008',
    platform: 'gcp',
    os_version: 'ubuntu-22.04',
    image_type: 'base',
    states: [10, 25, 50, 75, 100],
  },
  { build_id: 'dev-gcp-rhel9-hana-009', platform: 'gcp', os_version: 'rhel-9.2', image_type: 'hana', states: [10, 20] },
  {
    build_id: 'dev-govcloud-rhel8-base-010',
    platform: 'aws-govcloud',
    os_version: 'rhel-8.8',
    image_type: 'base',
    states: [10, 25, 50, 55],
  },
]

/** Loads the development data; safe to call on every start-up. Returns how many builds it added. */
export async function loadDevelopmentBuilds(db: Db<BuildTables>): Promise<number> {
  // Written past the service, so checked against the same rules the API applies.
  for (const build of DEV_BUILDS) {
    const problem = stateSequenceProblem(build.states)
    if (problem) throw new Error(`development build ${build.build_id}: ${problem}`)
  }
  // Spread over the last few days, a few hours apart, so lists and "recent" look like real history.
  const start = Date.now() - DEV_BUILDS.length * 6 * 3_600_000
  return db.writeTransaction(async (trx) => {
    for (const row of PLATFORMS) await repo.insertCatalog(trx, 'platforms', row)
    for (const row of OS_VERSIONS) await repo.insertCatalog(trx, 'os_versions', row)
    for (const row of IMAGE_TYPES) await repo.insertCatalog(trx, 'image_types', row)
    let added = 0
    for (const [index, build] of DEV_BUILDS.entries()) {
      const at = (minutes: number) => new Date(start + index * 6 * 3_600_000 + minutes * 60_000).toISOString()
      const last = build.states.at(-1) ?? 0
      const status = statusOf(last, build.failure ? 1 : 0)
      const pk = await repo.insertBuild(trx, {
        build_id: build.build_id,
        platform: build.platform,
        os_version: build.os_version,
        image_type: build.image_type,
        pipeline_url: `https://ci.example.com/teams/images/pipelines/${build.platform}/jobs/build/builds/${index + 1}`,
        commit_hash: (index + 1).toString(16).padStart(2, '0').repeat(20),
        current_state: last,
        status,
        created_at: at(0),
        updated_at: at(build.states.length * 7),
      })
      if (pk === undefined) continue // loaded by an earlier start-up
      added++
      await repo.insertState(trx, pk, 0, 'Build initialized', at(0))
      for (const [i, code] of build.states.entries()) await repo.insertState(trx, pk, code, null, at((i + 1) * 7))
      if (build.failure) {
        await trx.updateTable('builds').set({ failure_count: 1 }).where('id', '=', pk).execute()
        await repo.insertFailure(trx, {
          build_pk: pk,
          state_code: last,
          error_message: build.failure.error_message,
          error_code: build.failure.error_code,
          component: build.failure.component,
          details: JSON.stringify(build.failure.details),
          recorded_at: at(build.states.length * 7),
        })
      }
    }
    return added
  })
}
