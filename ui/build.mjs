#!/usr/bin/env node
// Builds the dashboard (SPEC §7) into ui/dist: index.html, one JS bundle, one CSS file and the icon,
// all served from /ui/ by the server itself (no CDN). Asset names carry a content hash so they can be
// cached for good; index.html names them. Prints the bundle's size, raw and gzipped.
//
//   node ui/build.mjs             build once
//   node ui/build.mjs --watch     rebuild on every change (development)
//   node ui/build.mjs --optional  build if esbuild is installed, else say so and exit 0
//                                 (npm's `prepare` runs on `npm ci --omit=dev` too, where the
//                                 dashboard already came built from the build stage)
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import zlib from 'node:zlib'

const UI = path.dirname(fileURLToPath(import.meta.url))
const SRC = path.join(UI, 'src')
const DIST = path.join(UI, 'dist')
const args = new Set(process.argv.slice(2))

let esbuild
try {
  esbuild = await import('esbuild')
} catch (err) {
  if (args.has('--optional') && err?.code === 'ERR_MODULE_NOT_FOUND') {
    console.log(
      `ui: esbuild is not installed (production install?): dashboard not rebuilt; ui/dist ${fs.existsSync(path.join(DIST, 'index.html')) ? 'is there' : 'is missing'}`,
    )
    process.exit(0)
  }
  throw err
}

const options = {
  entryPoints: { app: path.join(SRC, 'main.tsx') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  outdir: DIST,
  write: false,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
}

/** Writes a file through a temporary name and a rename, so a server reading ui/dist never sees half of it. */
function writeAtomic(file, contents) {
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, contents)
  fs.renameSync(tmp, file)
}

function emit(result) {
  fs.mkdirSync(DIST, { recursive: true })
  const names = { js: '', css: '' }
  const sizes = []
  for (const file of result.outputFiles) {
    const ext = path.extname(file.path).slice(1)
    if (ext !== 'js' && ext !== 'css') continue
    names[ext] = path.basename(file.path)
    writeAtomic(file.path, file.contents)
    sizes.push({ name: names[ext], raw: file.contents.length, gzip: zlib.gzipSync(file.contents, { level: 9 }).length })
  }
  const icon = fs.readFileSync(path.join(SRC, 'favicon.svg'))
  writeAtomic(path.join(DIST, 'favicon.svg'), icon)
  const html = fs
    .readFileSync(path.join(SRC, 'index.html'), 'utf8')
    .replace('%APP_JS%', `/ui/${names.js}`)
    .replace('%APP_CSS%', `/ui/${names.css}`)
  writeAtomic(path.join(DIST, 'index.html'), html)
  sizes.push({ name: 'index.html', raw: Buffer.byteLength(html), gzip: zlib.gzipSync(html, { level: 9 }).length })
  // Hashed assets of earlier builds go once index.html names the new ones.
  const keep = new Set(['index.html', 'favicon.svg', names.js, names.css])
  for (const name of fs.readdirSync(DIST)) {
    if (!keep.has(name) && /^app-[A-Z0-9]+\.(js|css)$/.test(name)) fs.rmSync(path.join(DIST, name), { force: true })
  }
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`
  const total = sizes.reduce((t, s) => ({ raw: t.raw + s.raw, gzip: t.gzip + s.gzip }), { raw: 0, gzip: 0 })
  for (const s of sizes)
    console.log(`ui: ${s.name.padEnd(22)} ${kib(s.raw).padStart(10)}  gzip ${kib(s.gzip).padStart(9)}`)
  console.log(
    `ui: ${'total'.padEnd(22)} ${kib(total.raw).padStart(10)}  gzip ${kib(total.gzip).padStart(9)}  → ${path.relative(process.cwd(), DIST) || DIST}`,
  )
}

if (args.has('--watch')) {
  const ctx = await esbuild.context({
    ...options,
    plugins: [{ name: 'emit', setup: (b) => b.onEnd((result) => result.errors.length === 0 && emit(result)) }],
  })
  await ctx.watch()
  console.log('ui: watching ui/src (Ctrl-C to stop)')
} else {
  emit(await esbuild.build(options))
}
