/**
 * The build-state rules (src/modules/builds/rules.ts) are what the API does: for each sequence of
 * states, the API refuses a move exactly where `stateSequenceProblem` names one, and a build's status
 * is `statusOf` its state and failures. The development data, written past the API, is checked with
 * the same function, so this is what keeps it honest.
 */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { stateSequenceProblem, statusOf } from '../../../src/modules/builds/rules.js'
import { buildTestApp } from '../../helpers/app.js'
import { describeOnEachDialect } from '../../helpers/databases.js'
import { get, newBuild, post } from './helpers.js'

const SEQUENCES: { states: number[]; failure?: boolean }[] = [
  { states: [10, 25, 100] },
  { states: [10, 25, 100], failure: true },
  { states: [10, 50, 25] }, // moving back is allowed
  { states: [10, 25], failure: true },
  { states: [10, 12] }, // not a multiple of the step
  { states: [100, 5] }, // nothing after the final state
  { states: [10, 10] }, // a repeat records nothing
  { states: [105] }, // out of bounds
]

describeOnEachDialect('build-state rules', (dialect) => {
  it('the API refuses a move exactly where stateSequenceProblem names one; the status is statusOf', async (t) => {
    const app = await buildTestApp(t, dialect)
    for (const [n, { states, failure }] of SEQUENCES.entries()) {
      const buildId = `rules-${n}`
      assert.equal((await post(app, '/builds', newBuild(buildId))).statusCode, 200)
      const recordedStates = async () => (await get(app, `/builds/${buildId}`)).json().states.length as number
      let refusedAt: number | null = null
      for (const [i, code] of states.entries()) {
        const before = await recordedStates()
        const res = await post(app, `/builds/${buildId}/state`, { state_code: code })
        // A move is recorded: 200 and one more state row (a repeat is answered 200 and records nothing).
        if (res.statusCode !== 200 || (await recordedStates()) !== before + 1) {
          refusedAt = i
          break
        }
      }
      const problem = stateSequenceProblem(states)
      assert.equal(refusedAt === null, problem === null, `${states}: API refused at ${refusedAt}, rule says ${problem}`)
      if (problem !== null) continue
      if (failure) {
        const res = await post(app, `/builds/${buildId}/failure`, { error_message: 'boom' })
        assert.equal(res.statusCode, 200, res.body)
      }
      const build = (await get(app, `/builds/${buildId}`)).json()
      assert.equal(build.status, statusOf(states.at(-1) ?? 0, failure ? 1 : 0), `${states} failure=${failure}`)
    }
  })
})
