/**
 * `npm run bench:parse [-- --files N --aircraft M --rounds R --write]`: the aircraft parser's two
 * paths on the same generated readsb-hist snapshots, in the same run: the byte scanner
 * (parse/scanner.ts, what the ingest tries first) against the JSON.parse path (parse/json-parse.ts,
 * its fallback and the authority on syntax). Both produce the same columns; the bench checks that.
 *
 * - Files: N snapshots of M aircraft (default 8 × 9,500 ≈ 4.9 MB of JSON each, the size of a real
 *   ADS-B Exchange snapshot), from the project's generator, in memory, plain and gzipped.
 * - "plain" times the parse of JSON bytes; "gzip" times gunzip + parse, as a worker does per file.
 * - One warm-up round, then R rounds; in each, every file is parsed by both paths back to back
 *   (which goes first alternates), so load from other processes (2 shared, noisy cores) falls on
 *   both alike. Reported: the median records/s of each path and the median of the rounds' ratios.
 * - Pinned to one core (`taskset -c 1`, when there is one) so both paths run on the same core.
 * The scanner is kept only if it pays: at least {@link KEEP_RATIO}× JSON.parse's records/s.
 */
import { spawnSync } from 'node:child_process'
import os from 'node:os'
import { isDeepStrictEqual, parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import { generateSnapshots } from '../scripts/aircraft-sample-generator.js'
import type { CompactFile } from '../src/modules/aircraft/parse/accumulator.js'
import { gunzipIfNeeded } from '../src/modules/aircraft/parse/gunzip.js'
import { parseWithJsonParse } from '../src/modules/aircraft/parse/json-parse.js'
import { scanCompact } from '../src/modules/aircraft/parse/scanner.js'
import { writeResultsSection } from './results-file.js'

/** The scanner's keep: ≥ 1.3× JSON.parse on the same data, else delete it and use JSON.parse. */
const KEEP_RATIO = 1.3
const CORE = '1'
const PINNED_ENV = 'BENCH_PARSE_PINNED'

const { values: opts } = parseArgs({
  options: {
    files: { type: 'string', default: '8' },
    aircraft: { type: 'string', default: '9500' },
    rounds: { type: 'string', default: '9' },
    write: { type: 'boolean', default: false },
  },
})
const FILES = Number(opts.files)
const AIRCRAFT = Number(opts.aircraft)
const ROUNDS = Number(opts.rounds)
for (const [name, v] of [
  ['files', FILES],
  ['aircraft', AIRCRAFT],
  ['rounds', ROUNDS],
] as const) {
  if (!Number.isInteger(v) || v < 1 || v > 100_000) throw new Error(`--${name} must be a whole number from 1 to 100000`)
}

// Re-run itself under taskset once (same node, same loader flags), unless already pinned.
if (
  process.env[PINNED_ENV] === undefined &&
  process.platform === 'linux' &&
  spawnSync('taskset', ['-V']).status === 0
) {
  const run = spawnSync(
    'taskset',
    ['-c', CORE, process.execPath, ...process.execArgv, process.argv[1] as string, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: { ...process.env, [PINNED_ENV]: CORE },
    },
  )
  process.exit(run.status ?? 1)
}
const pinned =
  process.env[PINNED_ENV] !== undefined
    ? `pinned to core ${process.env[PINNED_ENV]} (taskset)`
    : 'not pinned (no taskset)'

type Path = 'scanner' | 'JSON.parse'
type Input = 'plain' | 'gzip'
const PATHS: Path[] = ['scanner', 'JSON.parse']
const INPUTS: Input[] = ['plain', 'gzip']

const parsers: Record<Path, (buf: Buffer) => CompactFile> = {
  scanner: (buf) => {
    const file = scanCompact(buf)
    if (file === null) throw new Error('the scanner declined a generated file: it would not be the path taken')
    return file
  },
  'JSON.parse': (buf) => parseWithJsonParse(buf),
}

console.log(`generating ${FILES} snapshots × ${AIRCRAFT} aircraft…`)
const plain = [...generateSnapshots({ files: FILES, aircraft: AIRCRAFT, seed: 1 })].map((s) => s.body)
const gzipped = plain.map((b) => gzipSync(b))
const bytes = { plain: plain.reduce((n, b) => n + b.length, 0), gzip: gzipped.reduce((n, b) => n + b.length, 0) }

// Same data, same answer: the two paths must give identical columns for every file.
let records = 0
for (const buf of plain) {
  const a = parsers.scanner(buf)
  const b = parsers['JSON.parse'](buf)
  if (!isDeepStrictEqual(a, b)) throw new Error('the scanner and JSON.parse disagree on a generated file')
  records += a.records
}

/**
 * One round: every file parsed once by each path, the two back to back on the same file (which goes
 * first alternates), so that load from other processes falls on both alike. Seconds per path.
 */
function round(input: Input, index: number): Record<Path, number> {
  const files = input === 'plain' ? plain : gzipped
  const seconds: Record<Path, number> = { scanner: 0, 'JSON.parse': 0 }
  const seen: Record<Path, number> = { scanner: 0, 'JSON.parse': 0 }
  files.forEach((buf, i) => {
    for (const path of (index + i) % 2 === 0 ? PATHS : [...PATHS].reverse()) {
      const start = process.hrtime.bigint()
      seen[path] += parsers[path](input === 'gzip' ? gunzipIfNeeded(buf) : buf).records // summed: nothing is optimised away
      seconds[path] += Number(process.hrtime.bigint() - start) / 1e9
    }
  })
  for (const path of PATHS)
    if (seen[path] !== records) throw new Error(`${path}/${input}: ${seen[path]} records, expected ${records}`)
  return seconds
}

const rounds: Record<Input, Record<Path, number>[]> = { plain: [], gzip: [] }
const loadBefore = os.loadavg()[0] as number
for (let index = 0; index <= ROUNDS; index++) {
  for (const input of INPUTS) {
    const seconds = round(input, index)
    if (index > 0) rounds[input].push(seconds) // round 0 warms up both paths
  }
  if (index > 0) console.log(`round ${index}/${ROUNDS} done`)
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
/** Median records/s of a path over the rounds. */
const rate = (input: Input, path: Path) => median(rounds[input].map((r) => records / r[path]))
/** Median of the rounds' own ratios: each round's two paths ran interleaved, under the same load. */
const ratios = Object.fromEntries(
  INPUTS.map((input) => [input, median(rounds[input].map((r) => r['JSON.parse'] / r.scanner))]),
) as Record<Input, number>
const keep = INPUTS.every((input) => ratios[input] >= KEEP_RATIO)
const mib = (n: number) => (n / 2 ** 20).toFixed(1)

const table = [
  '| input | scanner records/s | JSON.parse records/s | scanner ÷ JSON.parse | scanner MB/s of JSON | JSON.parse MB/s of JSON |',
  '|---|---:|---:|---:|---:|---:|',
  ...INPUTS.map((input) => {
    const mbps = (path: Path) => ((rate(input, path) / records) * (bytes.plain / 1e6)).toFixed(0)
    const label = input === 'plain' ? 'plain JSON (parse only)' : 'gzipped (gunzip + parse)'
    return `| ${label} | ${fmt(rate(input, 'scanner'))} | ${fmt(rate(input, 'JSON.parse'))} | **${ratios[input].toFixed(2)}×** | ${mbps('scanner')} | ${mbps('JSON.parse')} |`
  }),
].join('\n')

const allRatios = INPUTS.map(
  (input) => `${input} ${rounds[input].map((r) => (r['JSON.parse'] / r.scanner).toFixed(2)).join(', ')}`,
).join('; ')

const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU'
const markdown = `${FILES} generated readsb-hist snapshots × ${AIRCRAFT.toLocaleString('en-US')} aircraft (seed 1): ${mib(bytes.plain / FILES)} MiB of JSON a file (${mib(bytes.gzip / FILES)} MiB gzipped), ${fmt(records)} records in all. Same files, same process, ${ROUNDS} rounds after a warm-up; in each round every file is parsed by both paths back to back (which goes first alternates); medians over the rounds. Node ${process.version}, ${cpu}, ${os.cpus().length} cores, ${pinned}; load average when the run began: ${loadBefore.toFixed(1)}.

${table}

Both paths give identical columns for every file (checked before timing). Each round's ratio — ${allRatios}.

**Decision: ${keep ? `keep the scanner` : `delete the scanner and use JSON.parse`}** (rule: keep it only at ≥ ${KEEP_RATIO}× JSON.parse on the same data, plain and gzipped; measured ${ratios.plain.toFixed(2)}× and ${ratios.gzip.toFixed(2)}×).`

console.log(`\n${table}\n`)
console.log(
  `decision: ${keep ? 'keep the scanner' : 'the scanner does not pay: delete it, use JSON.parse'} (≥ ${KEEP_RATIO}× needed; plain ${ratios.plain.toFixed(2)}×, gzip ${ratios.gzip.toFixed(2)}×)`,
)
if (opts.write) {
  writeResultsSection('Aircraft parse: scanner vs JSON.parse (npm run bench:parse)', markdown)
  console.log('bench/RESULTS.md updated')
}
