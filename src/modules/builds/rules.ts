/**
 * The build-state rules (SPEC §5.2), in one place: the numbered states (0–100 in steps of 5, with
 * their names), the final state after which a build takes no more, and the status a build's state
 * and failures give it. The service, the SQL, the schemas' bounds, the route descriptions and the
 * development data all read them from here.
 */
import type { BuildStatus } from './schemas.js'

export const FIRST_STATE = 0
export const FINAL_STATE = 100
export const STATE_STEP = 5

const STATE_NAMES: Readonly<Record<number, string>> = {
  0: 'Initial',
  5: 'Kickstart',
  10: 'Green image',
  15: 'Base config',
  20: 'Cloud-specific config',
  25: 'Security baseline applied',
  30: 'Monitoring',
  35: 'Runtimes',
  40: 'Network',
  45: 'Storage',
  50: 'Users/auth',
  55: 'Services',
  60: 'Application deploy',
  65: 'Configuration management',
  70: 'Integration tests',
  75: 'Performance tests',
  80: 'Backup',
  85: 'Documentation/metadata',
  90: 'Final validation',
  95: 'Sealing',
  100: 'Delivered',
}

export const STATE_CODES = Object.keys(STATE_NAMES)
  .map(Number)
  .sort((a, b) => a - b)
  .map((code) => ({ code, name: STATE_NAMES[code]! }))

export function stateName(code: number): string {
  return STATE_NAMES[code] ?? `State ${code}`
}

/** Whether `code` is one of the numbered states (bounds are the schema's; the step is checked here). */
export const isStateStep = (code: number) => code % STATE_STEP === 0

/** A build's status: completed at the final state (failures or not), else failed after any failure. */
export function statusOf(currentState: number, failureCount: number): BuildStatus {
  return currentState === FINAL_STATE ? 'completed' : failureCount > 0 ? 'failed' : 'in_progress'
}

/**
 * Why a build that starts at {@link FIRST_STATE} could not be moved through `states` in this order by
 * the API (a number that is no state code, a move after the final state, a repeat that would record
 * nothing), or null when it could: what the API refuses, a data set must not contain either.
 */
export function stateSequenceProblem(states: readonly number[]): string | null {
  let current = FIRST_STATE
  for (const code of states) {
    if (code < FIRST_STATE || code > FINAL_STATE || !isStateStep(code)) return `${code} is not a state code`
    if (current === FINAL_STATE) return `${code} comes after the final state ${FINAL_STATE}`
    if (code === current) return `${code} repeats the state before it`
    current = code
  }
  return null
}
