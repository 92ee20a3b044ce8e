/**
 * Runs the test/deployed smoke suite as `npm run test:deployed` does — a child node test runner
 * with the deployment's variables — and reads its TAP summary, for the process-level tests that
 * stand a deployment up here (the nginx cluster, the image's runtime stage).
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from '../helpers/server-process.js'

export interface SuiteRun {
  code: number | null
  output: string
  counts: Record<'tests' | 'pass' | 'fail' | 'skipped' | 'cancelled' | 'todo', number>
  /** How many `it(` the smoke files declare: every one must have run. */
  declared: number
  /** The `# SKIP` lines of the run. */
  skips: string[]
}

/** The smoke suite against `env.API_URL` (+ API_KEY, API_USERNAME, API_PASSWORD). */
export async function runDeployedSuite(env: Record<string, string>): Promise<SuiteRun> {
  const files = fs
    .readdirSync(path.join(REPO_ROOT, 'test/deployed'))
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => path.join('test/deployed', f))
  assert.ok(files.length >= 4, `only ${files.length} smoke files`)
  // NODE_TEST_CONTEXT would make the child report to this runner instead of printing TAP.
  const { NODE_TEST_CONTEXT: _context, ...parentEnv } = process.env
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=tap', ...files],
    {
      cwd: REPO_ROOT,
      env: { ...parentEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  // A hung smoke run (a socket left open, a job never finishing) fails instead of stalling npm test.
  const timer = setTimeout(() => {
    output += '\n*** the smoke run took over 5 minutes: killed ***\n'
    child.kill('SIGKILL')
  }, 300_000)
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  clearTimeout(timer)
  const count = (name: string) => {
    const m = new RegExp(`^# ${name} (\\d+)$`, 'm').exec(output)
    assert.ok(m, `the smoke run printed no "# ${name}" line:\n${output}`)
    return Number(m[1])
  }
  const declared = files.reduce(
    (n, f) => n + (fs.readFileSync(path.join(REPO_ROOT, f), 'utf8').match(/^\s*it\(/gm) ?? []).length,
    0,
  )
  return {
    code,
    output,
    declared,
    skips: output.split('\n').filter((l) => /# SKIP/.test(l)),
    counts: {
      tests: count('tests'),
      pass: count('pass'),
      fail: count('fail'),
      skipped: count('skipped'),
      cancelled: count('cancelled'),
      todo: count('todo'),
    },
  }
}

/** Every smoke test the files declare ran and passed; none skipped, failed or was cancelled. */
export function assertWholeSuitePassed(run: SuiteRun, context: () => string = () => ''): void {
  assert.equal(run.counts.fail, 0, `smoke tests failed:\n${run.output}\n${context()}`)
  assert.equal(run.code, 0, run.output)
  // Every variable and every module is there, so every smoke test must have run: a skip here is
  // a route this build lost or a smoke test that no longer finds its target.
  assert.deepEqual(run.skips, [], 'smoke tests skipped')
  assert.equal(run.counts.skipped, 0, run.output)
  assert.equal(run.counts.cancelled, 0, run.output)
  assert.equal(run.counts.todo, 0, run.output)
  assert.equal(
    run.counts.tests,
    run.declared,
    `the smoke files declare ${run.declared} tests, ${run.counts.tests} ran:\n${run.output}`,
  )
  assert.equal(run.counts.pass, run.counts.tests, run.output)
}
