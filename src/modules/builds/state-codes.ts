/** The numbered build states (SPEC §5.2): 0–100 in steps of 5. */
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

export const FINAL_STATE = 100

export const STATE_CODES = Object.keys(STATE_NAMES)
  .map(Number)
  .sort((a, b) => a - b)
  .map((code) => ({ code, name: STATE_NAMES[code]! }))

export function stateName(code: number): string {
  return STATE_NAMES[code] ?? `State ${code}`
}
