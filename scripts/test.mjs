#!/usr/bin/env node
// `npm test`: node's test runner over every test/**/*.test.ts (Node 20's --test takes no globs).
// Extra arguments narrow the run: `npm test -- test/modules/state`.
import { spawnSync } from 'node:child_process'
import { globSync } from 'glob'

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'))
const patterns = roots.length
  ? roots.map((r) => (r.endsWith('.ts') ? r : `${r.replace(/\/$/, '')}/**/*.test.ts`))
  : ['test/**/*.test.ts']
const files = globSync(patterns, { ignore: ['**/node_modules/**', 'test/deployed/**'] }).sort()
if (files.length === 0) {
  console.error(`no test files match ${patterns.join(' ')}`)
  process.exit(1)
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...flags, ...files], {
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'test' },
})
process.exit(result.status ?? 1)
