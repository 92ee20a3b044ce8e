#!/usr/bin/env node
/**
 * `npm run build` step two (after tsc): the server, the CLI and the parser worker bundled by esbuild
 * over tsc's dist/src/{server,cli}.js. Loading ~1,500 small files from node_modules was most of a cold
 * start; a bundle is a handful of files. Code the CLI loads only for some commands (the app, ingest)
 * stays in chunks beside the entries, so `statehouse --help` reads little. The chunks sit in dist/src
 * itself, so `import.meta.url` still finds package.json above and the worker beside the code.
 * What stays external is in scripts/bundle-options.mjs.
 * No type check here: tsc does that (and `node scripts/bundle.mjs` alone rebuilds dist from src).
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { SERVER_BUNDLE_OPTIONS } from './bundle-options.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const outdir = path.join(root, 'dist/src')
for (const file of fs.readdirSync(outdir, { withFileTypes: true }).filter((f) => f.isFile())) {
  if (/^chunk-.*\.js(\.map)?$/.test(file.name)) fs.rmSync(path.join(outdir, file.name))
}

await build({
  absWorkingDir: root,
  entryPoints: {
    server: 'src/server.ts',
    cli: 'src/cli.ts',
    'parse-worker': 'src/modules/aircraft/parse-worker.ts',
  },
  outdir,
  ...SERVER_BUNDLE_OPTIONS,
  splitting: true,
  chunkNames: 'chunk-[hash]',
  sourcemap: true,
})
