#!/usr/bin/env -S node --max-semi-space-size=2
// The `statehouse` command: the compiled CLI when `npm run build` made one, else the TypeScript
// source through tsx (a dev dependency, resolved from this package), so it works right after
// `npm install`. 2 MiB semi-spaces (set here, before the heap exists, so no command has to start
// Node a second time): `ingest` allocates ~100,000 short-lived values per file and V8 would grow
// its young generation to ~48 MiB, all resident; `serve` would keep ~31 MiB of it from compiling
// the schemas at start. Neither is measurably slower with 2 MiB.
import fs from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const built = `${root}dist/src/cli.js`
if (fs.existsSync(built)) {
  await import(pathToFileURL(built).href)
} else {
  let register
  try {
    ;({ register } = await import('tsx/esm/api'))
  } catch {
    process.stderr.write('statehouse: neither dist/ (npm run build) nor tsx (npm install) is here\n')
    process.exit(1)
  }
  register()
  await import(pathToFileURL(`${root}src/cli.ts`).href)
}
