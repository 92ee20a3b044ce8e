/**
 * One ingest job across replicas (SPEC §6), with real processes: two app instances on one PostgreSQL
 * database are asked to ingest at the same time; one runs, the other answers 409 naming it. The
 * running one is SIGKILLed mid-job; once its lease runs out, a new job starts on the survivor,
 * skips what the dead one committed, and the stats come out exactly as if nothing had happened.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { describe, it } from 'node:test'
import { expectedStats, makeFiles, writeFolder } from '../../helpers/aircraft-files.js'
import { TEST_API_KEY } from '../../helpers/app.js'
import { postgresql } from '../../helpers/databases.js'
import { type ServerProcess, startServer } from '../../helpers/server-process.js'

const KEY = { 'x-api-key': TEST_API_KEY }

interface Job {
  id: string
  status: string
  files_total: number
  files_done: number
  files_skipped: number
  errors: { file: string; reason: string }[]
}

async function getJob(server: ServerProcess, id: string): Promise<Job> {
  const res = await fetch(`${server.url}/jobs/${id}`)
  assert.equal(res.status, 200)
  return (await res.json()) as Job
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('aircraft ingest across replicas on postgresql', { skip: postgresql.skip }, () => {
  it('two instances asked at once: one job runs, the other gets 409 naming it; after SIGKILL a new job starts once the lease ends', async (t) => {
    const files = makeFiles(800)
    const dir = writeFolder(files)
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const database = await postgresql.create()
    t.after(() => database.drop())
    const env = {
      ENVIRONMENT: 'test',
      DATABASE_URL: database.url,
      API_KEY: TEST_API_KEY,
      LOG_LEVEL: 'silent',
      RATE_LIMIT_PER_MINUTE: '0',
      DATA_DIR: dir,
      AIRCRAFT_SOURCE: `file:${dir}`,
      INGEST_LEASE_SECONDS: '1',
      INGEST_WORKERS: '1',
    }
    const servers = await Promise.all([startServer(env), startServer(env)])
    t.after(() => Promise.all(servers.map((s) => s.stop('SIGKILL'))))

    const answers = await Promise.all(
      servers.map((s) =>
        fetch(`${s.url}/process-s3-data`, { method: 'POST', headers: { ...KEY, prefer: 'respond-async' } }),
      ),
    )
    const statuses = answers.map((r) => r.status).sort()
    assert.deepEqual(statuses, [202, 409], 'exactly one instance starts the job')
    const winner = answers.findIndex((r) => r.status === 202)
    const runner = servers[winner] as ServerProcess
    const survivor = servers[1 - winner] as ServerProcess
    const { job_id: firstJob } = (await (answers[winner] as Response).json()) as { job_id: string }
    const conflict = (await (answers[1 - winner] as Response).json()) as { status: number; detail: string }
    assert.equal(conflict.status, 409)
    assert.ok(conflict.detail.includes(firstJob), `the 409 names the running job ${firstJob}: ${conflict.detail}`)

    // Let the job commit a few files, then kill its process without any chance to clean up.
    let job = await getJob(survivor, firstJob)
    while (job.files_done < 5 && job.status !== 'succeeded' && job.status !== 'failed') {
      await sleep(20)
      job = await getJob(survivor, firstJob)
    }
    assert.equal(job.status, 'running', 'the job is still running when its process is killed')
    await runner.stop('SIGKILL')

    // The survivor refuses while the dead job's lease lasts, then starts a new job (no timing asserted).
    let finished:
      | { status: string; job_id: string; files_processed: number; files_skipped: number; errors: unknown[] }
      | undefined
    let refusals = 0
    for (let i = 0; i < 300 && !finished; i++) {
      const res = await fetch(`${survivor.url}/process-s3-data?wait=true`, { method: 'POST', headers: KEY })
      if (res.status === 409) {
        const body = (await res.json()) as { detail: string }
        assert.ok(body.detail.includes(firstJob), body.detail)
        refusals++
        await sleep(100)
        continue
      }
      assert.equal(res.status, 200, await res.clone().text())
      finished = (await res.json()) as typeof finished
    }
    assert.ok(finished, 'a new job started after the lease ran out')
    t.diagnostic(`409s while the dead job's lease lasted: ${refusals}`)
    assert.equal(finished.status, 'succeeded')
    assert.notEqual(finished.job_id, firstJob)
    assert.deepEqual(finished.errors, [])
    assert.ok(finished.files_skipped >= 5, `the files the killed job committed are skipped (${finished.files_skipped})`)
    assert.equal(finished.files_processed + finished.files_skipped, files.length)

    const dead = await getJob(survivor, firstJob)
    assert.equal(dead.status, 'failed', 'the killed job is marked failed when its lease is taken over')
    assert.match(dead.errors.at(-1)?.reason ?? '', /lease/)

    // Nothing was lost or counted twice across the crash.
    for (const [icao, want] of expectedStats(files)) {
      const res = await fetch(`${survivor.url}/aircraft/${encodeURIComponent(icao)}/stats`)
      assert.equal(res.status, 200, icao)
      const got = (await res.json()) as { observations: number; max_altitude_baro: number | null }
      assert.equal(got.observations, want.observations, `${icao} observations`)
      assert.equal(got.max_altitude_baro, want.max_altitude_baro, `${icao} max_altitude_baro`)
    }
  })
})
