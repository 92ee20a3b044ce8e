#!/usr/bin/env -S npx tsx
/**
 * Writes realistic readsb-hist snapshot files (see scripts/aircraft-sample-generator.ts).
 *
 *   npm run gen:aircraft -- --files N --aircraft M --out DIR [--gzip | --gzip-every K] [--seed S]
 *                           [--flat R] [--start 2023-11-01T00:00:00Z]
 *
 * --gzip writes every file as .json.gz, --gzip-every K every K-th one (2: half); --flat R also writes
 * flat-records.json with R flat records. The shipped sample set data/sample-aircraft/ is
 *   npm run gen:aircraft -- --files 12 --aircraft 60 --gzip-every 2 --flat 40 --seed 1 --out data/sample-aircraft
 * About 8,000 aircraft make a ~4 MB snapshot; 9,500 make ~5 MB.
 */
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import { generateFlatRecords, generateSnapshots } from './aircraft-sample-generator.js'

function fail(message: string): never {
  console.error(`gen-aircraft: ${message}`)
  process.exit(2)
}

function count(value: string | undefined, flag: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) fail(`--${flag} is required`)
    return fallback
  }
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) fail(`--${flag} must be a whole number, not ${JSON.stringify(value)}`)
  return n
}

let args: ReturnType<typeof parse>
function parse() {
  return parseArgs({
    options: {
      files: { type: 'string' },
      aircraft: { type: 'string' },
      out: { type: 'string' },
      gzip: { type: 'boolean', default: false },
      'gzip-every': { type: 'string' },
      seed: { type: 'string' },
      flat: { type: 'string' },
      start: { type: 'string' },
    },
    strict: true,
  }).values
}
try {
  args = parse()
} catch (err) {
  fail((err as Error).message)
}

const files = count(args.files, 'files')
const aircraft = count(args.aircraft, 'aircraft')
const seed = count(args.seed, 'seed', 1)
const flat = count(args.flat, 'flat', 0)
const gzipEvery = args.gzip ? 1 : count(args['gzip-every'], 'gzip-every', 0)
if (!args.out) fail('--out DIR is required')
let start: number | undefined
if (args.start !== undefined) {
  const ms = Date.parse(args.start)
  if (Number.isNaN(ms)) fail(`--start must be an ISO date, not ${JSON.stringify(args.start)}`)
  start = ms / 1000
}

const out = path.resolve(args.out)
fs.mkdirSync(out, { recursive: true })
let bytes = 0
let records = 0
let index = 0
for (const snapshot of generateSnapshots({ files, aircraft, seed, ...(start === undefined ? {} : { start }) })) {
  // Every K-th file gzipped, starting with the second, so a half-gzipped set begins with a plain file.
  const gzip = gzipEvery > 0 && (index + 1) % gzipEvery === 0
  const body = gzip ? gzipSync(snapshot.body) : snapshot.body
  fs.writeFileSync(path.join(out, gzip ? `${snapshot.name}.gz` : snapshot.name), body)
  bytes += body.length
  records += snapshot.aircraft
  index++
}
if (flat > 0) {
  const body = generateFlatRecords(flat, seed)
  fs.writeFileSync(path.join(out, 'flat-records.json'), body)
  bytes += body.length
}
console.log(
  `gen-aircraft: ${files} snapshot(s), ${records} aircraft records${flat > 0 ? ` + flat-records.json (${flat})` : ''}, ${(bytes / 1e6).toFixed(2)} MB in ${out}`,
)
