/**
 * Test data for the aircraft ingest: small readsb-hist snapshots and flat record files written by the
 * test itself, an independent reference computation of the expected statistics, and a real S3
 * protocol server (s3rver) on 127.0.0.1.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync, gzipSync } from 'node:zlib'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { prng } from '../../scripts/aircraft-sample-generator.js'
import { tempDir } from './databases.js'
import { REPO_ROOT } from './server-process.js'

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/aircraft')
export const FIXTURES_PRESENT = fs.existsSync(path.join(FIXTURES, 'readsb-hist_2023-11-01_000000Z.excerpt.json'))
if (!FIXTURES_PRESENT) console.warn(`\n*** SKIPPING fixture-based aircraft tests: ${FIXTURES} is absent ***\n`)

export interface TestFile {
  key: string
  body: Buffer
}

/** `count` files over a fleet of `fleet` aircraft: snapshots (plain or gzipped) and some flat files. */
export function makeFiles(count: number, fleet = 40, seed = 7): TestFile[] {
  const random = prng(seed) // deterministic: every run writes the same files
  const files: TestFile[] = []
  for (let i = 0; i < count; i++) {
    const now = 1_698_796_800 + i * 5
    if (i % 10 === 9) {
      const rows = Array.from({ length: 3 }, () => ({
        icao: `F${Math.floor(random() * 5)}`,
        altitude: Math.round(random() * 40_000),
        speed: Math.round(random() * 500),
      }))
      files.push({ key: `flat/records-${String(i).padStart(5, '0')}.json`, body: Buffer.from(JSON.stringify(rows)) })
      continue
    }
    const aircraft = []
    for (let j = 0; j < 6; j++) {
      const n = Math.floor(random() * fleet)
      const hex = n % 13 === 0 ? `~${(0x300000 + n).toString(16)}` : (0xa00000 + n).toString(16)
      const onGround = n % 11 === 0
      const entry: Record<string, unknown> = { hex, type: 'adsb_icao', flight: `TST${n}`.padEnd(8, ' ') }
      if (n % 13 !== 0) Object.assign(entry, { r: `N${n}TS`, t: n % 2 ? 'B738' : 'A320' })
      if (onGround) entry.alt_baro = 'ground'
      else if (n % 7 !== 0) entry.alt_baro = Math.round(random() * 40_000)
      if (n % 5 !== 0) entry.gs = Math.round(random() * 5000) / 10
      entry.emergency = n === 17 && i % 3 === 0 ? 'general' : 'none'
      if (n % 4 !== 0)
        Object.assign(entry, { lat: 40 + random(), lon: -70 - random(), seen_pos: Math.round(random() * 100) / 10 })
      aircraft.push(entry)
    }
    const body = Buffer.from(JSON.stringify({ now, messages: i, aircraft }))
    const day = `day=20231101/${String(i).padStart(5, '0')}Z.json`
    files.push(i % 2 ? { key: `${day}.gz`, body: gzipSync(body) } : { key: day, body })
  }
  return files
}

/** Two files that must fail: a truncated gzip stream and text that is not JSON. */
export function brokenFiles(): TestFile[] {
  const good = gzipSync(Buffer.from(JSON.stringify({ now: 1, aircraft: [{ hex: 'abcdef', alt_baro: 1000 }] })))
  return [
    { key: 'broken/truncated.json.gz', body: good.subarray(0, good.length - 12) },
    { key: 'broken/not-json.json', body: Buffer.from('{"now": 1698796800, "aircraft": [ {"hex": "a1b2c3", ') },
  ]
}

export function writeFolder(files: TestFile[], dir = tempDir('statehouse-aircraft-')): string {
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f.key)), { recursive: true })
    fs.writeFileSync(path.join(dir, f.key), f.body)
  }
  return dir
}

export interface ExpectedStats {
  observations: number
  max_altitude_baro: number | null
  max_ground_speed: number | null
  avg_altitude: number | null
  avg_speed: number | null
  had_emergency: boolean
}

/** The reference computation, written plainly and separately from the service's parser. */
export function expectedStats(files: TestFile[]): Map<string, ExpectedStats> {
  const acc = new Map<
    string,
    { obs: number; maxAlt: number | null; maxGs: number | null; alts: number[]; speeds: number[]; emergency: boolean }
  >()
  const add = (id: string, alt: unknown, gs: unknown, emergency: unknown) => {
    const icao = id.toLowerCase()
    const a = acc.get(icao) ?? { obs: 0, maxAlt: null, maxGs: null, alts: [], speeds: [], emergency: false }
    a.obs += 1
    if (alt === 'ground') a.alts.push(0)
    if (typeof alt === 'number') {
      a.alts.push(alt)
      a.maxAlt = a.maxAlt === null ? alt : Math.max(a.maxAlt, alt)
    }
    if (typeof gs === 'number') {
      a.speeds.push(gs)
      a.maxGs = a.maxGs === null ? gs : Math.max(a.maxGs, gs)
    }
    if (emergency !== undefined && emergency !== 'none') a.emergency = true
    acc.set(icao, a)
  }
  for (const f of files) {
    const text = (f.key.endsWith('.gz') ? gunzipSync(f.body) : f.body).toString()
    const doc = JSON.parse(text)
    if (Array.isArray(doc)) for (const r of doc) add(r.icao, r.altitude, r.speed, undefined)
    else for (const a of doc.aircraft) add(a.hex, a.alt_baro, a.gs, a.emergency)
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null)
  return new Map(
    [...acc].map(([icao, a]) => [
      icao,
      {
        observations: a.obs,
        max_altitude_baro: a.maxAlt,
        max_ground_speed: a.maxGs,
        avg_altitude: mean(a.alts),
        avg_speed: mean(a.speeds),
        had_emergency: a.emergency,
      },
    ]),
  )
}

export interface S3Server {
  endpoint: string
  bucket: string
  put(files: TestFile[]): Promise<void>
  close(): Promise<void>
}

// s3rver signs its ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only offers through
// its legacy provider: without it every listing longer than one page answers 500. So the server
// runs in a child process started with --openssl-legacy-provider (the test process stays as it is).
const S3RVER_CHILD = `
import S3rver from 's3rver'
const [directory, bucket] = process.argv.slice(1)
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] })
const { port } = await server.run()
process.stdout.write(JSON.stringify({ port }) + '\\n')
process.stdin.resume()
process.stdin.on('end', () => server.close().then(() => process.exit(0)))
`

/** A real S3 protocol server (s3rver) on 127.0.0.1 with one bucket; objects are put under `raw/`. */
export async function startS3(bucket = 'aircraft'): Promise<S3Server> {
  const directory = tempDir('statehouse-s3-')
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '--input-type=module', '-e', S3RVER_CHILD, directory, bucket],
    {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  )
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const line = out.split('\n')[0]
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { port: number }).port)
    })
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code} before listening`)))
  })
  const endpoint = `http://127.0.0.1:${port}`
  // s3rver accepts any credentials; the SDK's default chain in the app reads them from the environment.
  process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER'
  process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER'
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  })
  return {
    endpoint,
    bucket,
    async put(files) {
      for (let i = 0; i < files.length; i += 50) {
        await Promise.all(
          files
            .slice(i, i + 50)
            .map((f) => client.send(new PutObjectCommand({ Bucket: bucket, Key: `raw/${f.key}`, Body: f.body }))),
        )
      }
    },
    async close() {
      client.destroy()
      child.stdin.end()
      await exited
      fs.rmSync(directory, { recursive: true, force: true })
    },
  }
}
