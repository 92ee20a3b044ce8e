#!/usr/bin/env node
/**
 * `npm run build` step two (after tsc): the server, the CLI and the parser worker bundled by esbuild
 * over tsc's dist/src/{server,cli}.js. Loading ~1,500 small files from node_modules was most of a cold
 * start; a bundle is a handful of files. Code the CLI loads only for some commands (the app, ingest)
 * stays in chunks beside the entries, so `statehouse --help` reads little. The chunks sit in dist/src
 * itself, so `import.meta.url` still finds package.json above and the worker beside the code.
 *
 * External (loaded from node_modules as before): native addons, and packages that read their own
 * files at run time (Swagger UI, ReDoc and @fastify/static serve assets from their package folders),
 * and the AWS SDK (imported only when an S3 source is used).
 * No type check here: tsc does that (and `node scripts/bundle.mjs` alone rebuilds dist from src).
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

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
  bundle: true,
  splitting: true,
  chunkNames: 'chunk-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  external: [
    'better-sqlite3',
    '@node-rs/argon2',
    'pg-native',
    '@fastify/swagger-ui',
    '@fastify/static',
    'redoc',
    '@aws-sdk/*',
    'pino-pretty',
  ],
  // Bundled CommonJS packages call require() for Node's own modules.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
})
