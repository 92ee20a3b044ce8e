/**
 * Realistic, deterministic readsb-hist snapshots (the ADS-B Exchange "readsb-hist" format) for the
 * shipped sample set, tests and benchmarks. It copies the field set and the quirks of the real
 * excerpt in ../shared/fixtures/aircraft: one aircraft object per line, `"ground"` altitudes,
 * missing `gs`/`alt_baro`/position, `~` hexes (TIS-B) without `r`/`t`, space-padded callsigns,
 * `emergency: "none"` or no key at all, an occasional real emergency, numbers printed with readsb's
 * fixed decimals (`454.0`, `46.577740`), and `lastPosition` objects for stale positions. The same
 * fleet moves plausibly from one snapshot to the next (5 s apart by default).
 *
 * Nothing here reads a clock or `Math.random`: the same options always give the same bytes.
 */

/** Options of {@link generateSnapshots}. */
interface SnapshotOptions {
  /** How many snapshot files. */
  files: number
  /** Fleet size: about this many aircraft per snapshot (a few drop out of each one). */
  aircraft: number
  /** PRNG seed; the same seed gives the same files. Default 1. */
  seed?: number
  /** Nominal time of the first snapshot, epoch seconds. Default 2023-11-01T00:00:00Z. */
  start?: number
  /** Seconds between snapshots. Default 5, like readsb-hist. */
  intervalSeconds?: number
}

/** One generated snapshot: its readsb-hist file name (without `.gz`), its `now`, and its JSON text. */
interface GeneratedSnapshot {
  name: string
  now: number
  body: Buffer
  /** How many aircraft objects the snapshot holds. */
  aircraft: number
}

/** 2023-11-01T00:00:00Z, the day of the real fixture. */
const DEFAULT_START = 1_698_796_800

/** mulberry32: tiny, fast and good enough for test data; deterministic for a seed. */
export function prng(seed: number): () => number {
  let s = seed | 0
  return () => {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `readsb-hist_YYYY-MM-DD_HHMMSSZ.json` for a nominal snapshot time (epoch seconds, UTC). */
export function snapshotFileName(epochSeconds: number): string {
  const iso = new Date(Math.floor(epochSeconds) * 1000).toISOString() // 2023-11-01T00:00:05.000Z
  return `readsb-hist_${iso.slice(0, 10)}_${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z.json`
}

type Source = 'adsb_icao' | 'adsr_icao' | 'adsc' | 'mlat' | 'mode_s' | 'tisb_icao' | 'tisb_trackfile' | 'tisb_other'

interface Aircraft {
  hex: string
  source: Source
  registration: string | null
  typeCode: string | null
  callsign: string | null
  category: string | null
  squawk: string
  /** null: this transponder never reports a pressure altitude (only alt_geom). */
  reportsBaro: boolean
  reportsSpeed: boolean
  /** A few ADS-B airframes also carry Comm-B data (ias, mach, wind…), which makes their lines long. */
  commB: boolean
  military: boolean
  emergency: string | null
  onGround: boolean
  lat: number
  lon: number
  altitude: number
  verticalRate: number
  groundSpeed: number
  track: number
  messages: number
}

const TYPES = [
  'A320',
  'A321',
  'A20N',
  'A21N',
  'A319',
  'A333',
  'A359',
  'B738',
  'B739',
  'B38M',
  'B77W',
  'B789',
  'B752',
  'E75L',
  'CRJ9',
  'DH8D',
  'C172',
  'C208',
  'PC12',
  'BE20',
  'H60',
  'EC35',
]
const AIRLINES = [
  'DAL',
  'AAL',
  'UAL',
  'SWA',
  'ASA',
  'JBU',
  'SKW',
  'RPA',
  'FDX',
  'UPS',
  'BAW',
  'DLH',
  'AFR',
  'KLM',
  'ACA',
  'QTR',
  'UAE',
  'JAL',
]
const EMERGENCIES = ['general', 'minfuel', 'lifeguard', 'nordo', 'unlawful', 'downed']
const NAV_MODES = ['"autopilot"', '"vnav"', '"tcas"', '"althold"', '"approach"', '"lnav"']

/**
 * Yields `files` snapshots of one fleet, one at a time (so 200 files of ~5 MB never sit in memory
 * together). With ~8,000 aircraft a snapshot is ~5 MB of JSON, like a real one.
 */
export function* generateSnapshots(options: SnapshotOptions): Generator<GeneratedSnapshot> {
  const random = prng(options.seed ?? 1)
  const start = options.start ?? DEFAULT_START
  const interval = options.intervalSeconds ?? 5
  const fleet = makeFleet(Math.max(0, Math.floor(options.aircraft)), random)
  let totalMessages = 1_104_951_271 + Math.floor(random() * 1e6)
  for (let i = 0; i < options.files; i++) {
    const nominal = start + i * interval
    // readsb writes `now` a little before the nominal second the file is named after.
    const now = Math.round((nominal - 0.1 - random() * 0.8) * 1000) / 1000
    const lines: string[] = []
    for (let j = 0; j < fleet.length; j++) {
      const a = fleet[j] as Aircraft
      if (i > 0) move(a, interval, random)
      // A few aircraft are out of range in each snapshot; they come back in the next ones.
      if (random() < 0.03) continue
      lines.push(aircraftLine(a, i, j, random))
    }
    totalMessages += 20_000 + Math.floor(random() * 5_000)
    const text = `{ "now" : ${now.toFixed(3)},\n  "messages" : ${totalMessages},\n  "aircraft" : [\n${lines.join(',\n')}\n  ]\n}\n`
    yield { name: snapshotFileName(nominal), now, body: Buffer.from(text), aircraft: lines.length }
  }
}

/**
 * A flat-format file (`[{icao, altitude, speed}]`, the reference service's S3 test format): ids in
 * upper case as that service's clients sent them (`A320`, `A65800`), some with a missing altitude
 * or speed, and one record without an id (skipped by the parser).
 */
export function generateFlatRecords(count: number, seed = 1): Buffer {
  const random = prng(seed ^ 0x5eed)
  const ids = ['A320', 'B738', 'A65800', 'AB5C12', 'C0FFEE', 'E75L']
  const rows: string[] = []
  for (let i = 0; i < count; i++) {
    const id = ids[Math.floor(random() * ids.length)] as string
    const altitude = random() < 0.1 ? 'null' : String(Math.round(random() * 400) * 100)
    const speed = random() < 0.1 ? 'null' : (Math.round(random() * 5000) / 10).toFixed(1)
    rows.push(`{"icao": "${id}", "altitude": ${altitude}, "speed": ${speed}}`)
  }
  if (count > 0) rows.push('{"altitude": 1000, "speed": 100.0}')
  return Buffer.from(`[\n${rows.join(',\n')}\n]\n`)
}

function pick<T>(list: readonly T[], random: () => number): T {
  return list[Math.floor(random() * list.length)] as T
}

function makeFleet(size: number, random: () => number): Aircraft[] {
  const fleet: Aircraft[] = []
  const used = new Set<string>()
  for (let j = 0; j < size; j++) {
    const r = random()
    const source: Source =
      r < 0.62
        ? 'adsb_icao'
        : r < 0.68
          ? 'adsr_icao'
          : r < 0.74
            ? 'adsc'
            : r < 0.83
              ? 'mlat'
              : r < 0.9
                ? 'mode_s'
                : r < 0.92
                  ? 'tisb_icao'
                  : r < 0.97
                    ? 'tisb_trackfile'
                    : 'tisb_other'
    const anonymous = source === 'tisb_trackfile' || source === 'tisb_other'
    let hex: string
    do {
      // US registrations sit in a00000–adf7c7; the rest of the world is spread around.
      const n = random() < 0.55 ? 0xa00000 + Math.floor(random() * 0xdf7c8) : Math.floor(random() * 0xffffff)
      hex = (anonymous ? '~' : '') + n.toString(16).padStart(6, '0')
    } while (used.has(hex))
    used.add(hex)
    const known = !anonymous && random() < 0.92
    const airline = random() < 0.6
    const registration = known
      ? hex.startsWith('a')
        ? `N${100 + Math.floor(random() * 9800)}${pick(['', 'A', 'DN', 'UA', 'Y'], random)}`
        : `${pick(['G-', 'D-', 'F-', 'C-', 'JA', 'VH-'], random)}${Math.floor(random() * 46656)
            .toString(36)
            .toUpperCase()
            .padStart(3, 'X')}`
      : null
    // Airliners fly a flight number; general aviation its registration; some send no callsign at all.
    const flight =
      anonymous || random() < 0.05
        ? null
        : airline
          ? `${pick(AIRLINES, random)}${1 + Math.floor(random() * 2999)}`
          : (registration?.replace('-', '') ?? null)
    const callsign = flight === null ? null : flight.slice(0, 8).padEnd(8, ' ')
    const onGround = random() < 0.07
    const altitude = onGround
      ? 0
      : airline
        ? 24_000 + Math.floor(random() * 17) * 1000
        : 500 + Math.floor(random() * 120) * 100
    fleet.push({
      hex,
      source,
      registration,
      typeCode: known ? pick(TYPES, random) : null,
      callsign,
      category: anonymous ? null : pick(['A1', 'A2', 'A3', 'A5', 'A7'], random),
      squawk: Math.floor(random() * 4096)
        .toString(8)
        .padStart(4, '0'),
      reportsBaro: random() > 0.03,
      reportsSpeed: source !== 'adsc' ? random() > 0.02 : random() > 0.3,
      commB: source === 'adsb_icao' && random() < 0.85,
      military: known && random() < 0.02,
      // Rare, but make sure a small fleet still has one so the sample set shows the flag.
      emergency: random() < 0.004 || (j === 7 && size >= 20) ? pick(EMERGENCIES, random) : null,
      onGround,
      lat: 18 + random() * 52,
      lon: -170 + random() * 110,
      altitude,
      verticalRate: onGround ? 0 : pick([0, 0, 0, 0, 64, -64, 1216, -1344, 2048, -960], random),
      groundSpeed: onGround ? random() * 25 : airline ? 380 + random() * 140 : 90 + random() * 160,
      track: random() * 360,
      messages: Math.floor(random() * 3e7),
    })
  }
  return fleet
}

/** Moves one aircraft `seconds` along its track, nudging heading, speed and altitude a little. */
function move(a: Aircraft, seconds: number, random: () => number) {
  const nm = (a.groundSpeed * seconds) / 3600
  const rad = (a.track * Math.PI) / 180
  a.lat = Math.max(-89.9, Math.min(89.9, a.lat + (nm * Math.cos(rad)) / 60))
  a.lon += (nm * Math.sin(rad)) / 60 / Math.max(0.05, Math.cos((a.lat * Math.PI) / 180))
  if (a.lon > 180) a.lon -= 360
  if (a.lon < -180) a.lon += 360
  a.track = (a.track + (random() - 0.5) * 4 + 360) % 360
  if (!a.onGround) {
    a.altitude = Math.max(100, Math.min(45_000, a.altitude + (a.verticalRate * seconds) / 60))
    if (random() < 0.05) a.verticalRate = pick([0, 0, 64, -64, 1216, -1344], random)
    a.groundSpeed = Math.max(60, a.groundSpeed + (random() - 0.5) * 3)
  }
  a.messages += 5 + Math.floor(random() * 60)
}

/** One aircraft object on one line, in readsb's key order and number formats. */
function aircraftLine(a: Aircraft, fileIndex: number, fleetIndex: number, random: () => number): string {
  const f: string[] = [`"hex":"${a.hex}"`, `"type":"${a.source}"`]
  if (a.callsign !== null) f.push(`"flight":"${a.callsign}"`)
  if (a.registration !== null) f.push(`"r":"${a.registration}"`)
  if (a.typeCode !== null) f.push(`"t":"${a.typeCode}"`)
  if (a.military) f.push('"dbFlags":1')
  const hasBaro = (a.reportsBaro && a.source !== 'tisb_other') || a.onGround
  if (a.onGround) f.push('"alt_baro":"ground"')
  else if (hasBaro) f.push(`"alt_baro":${Math.round(a.altitude / 25) * 25}`)
  if (!a.onGround && a.source !== 'adsc' && a.source !== 'mode_s')
    f.push(`"alt_geom":${Math.round((a.altitude + 300 + (a.lat % 3) * 100) / 25) * 25}`)
  const speedKnown = a.reportsSpeed && a.source !== 'mode_s'
  if (speedKnown) f.push(`"gs":${a.groundSpeed.toFixed(1)}`)
  if (a.commB && !a.onGround) {
    const mach = (a.groundSpeed / 620) * (0.8 + a.altitude / 200_000)
    f.push(
      `"ias":${Math.round(a.groundSpeed * 0.62)}`,
      `"tas":${Math.round(a.groundSpeed * 0.97)}`,
      `"mach":${mach.toFixed(3)}`,
      `"wd":${Math.floor(random() * 360)}`,
      `"ws":${Math.floor(random() * 90)}`,
      `"oat":${-56 + Math.floor(random() * 20)}`,
      `"tat":${-30 + Math.floor(random() * 20)}`,
    )
  }
  if (speedKnown || a.source === 'adsc') f.push(`"track":${a.track.toFixed(2)}`)
  else if (a.source !== 'mode_s') f.push(`"calc_track":${Math.round(a.track)}`)
  if (a.commB && !a.onGround)
    f.push(
      `"track_rate":${((random() - 0.5) * 0.2).toFixed(2)}`,
      `"roll":${((random() - 0.5) * 2).toFixed(2)}`,
      `"mag_heading":${((a.track + 350) % 360).toFixed(2)}`,
      `"true_heading":${a.track.toFixed(2)}`,
    )
  if (hasBaro && !a.onGround) f.push(`"baro_rate":${a.verticalRate}`)
  if (a.source === 'adsb_icao' && !a.onGround) f.push(`"geom_rate":${a.verticalRate + 32}`)
  if (a.source === 'adsb_icao' || a.source === 'adsr_icao' || a.source === 'mode_s') f.push(`"squawk":"${a.squawk}"`)
  // Most ADS-B aircraft say "none"; older transponders and the other sources leave the key out.
  const emergencyNow = a.emergency !== null && (fileIndex + fleetIndex) % 3 === 0
  if (emergencyNow) f.push(`"emergency":"${a.emergency}"`)
  else if ((a.source === 'adsb_icao' || a.source === 'adsr_icao') && fleetIndex % 4 !== 0) f.push('"emergency":"none"')
  if (a.category !== null && a.source !== 'mode_s' && a.source !== 'adsc') f.push(`"category":"${a.category}"`)
  if (a.commB && !a.onGround) {
    const target = Math.round(a.altitude / 1000) * 1000
    f.push(
      '"nav_qnh":1013.6',
      `"nav_altitude_mcp":${target + 16}`,
      `"nav_altitude_fms":${target}`,
      `"nav_heading":${a.track.toFixed(2)}`,
    )
    f.push(`"nav_modes":[${NAV_MODES.slice(0, 1 + (fleetIndex % 4)).join(',')}]`)
  }
  // Position: usually current; sometimes stale (readsb then moves it into `lastPosition`); mode_s has none.
  const seenPos = seenPosition(a.source, random)
  const positionState = a.source === 'mode_s' ? 'none' : random() < 0.06 ? 'stale' : 'current'
  if (positionState === 'current') {
    f.push(
      `"lat":${a.lat.toFixed(6)}`,
      `"lon":${a.lon.toFixed(6)}`,
      `"nic":${a.source === 'adsc' ? 0 : 8}`,
      `"rc":${a.source === 'adsc' ? 0 : 186}`,
      `"seen_pos":${seenPos.toFixed(3)}`,
    )
  }
  if (a.source === 'adsb_icao') {
    f.push(
      '"version":2',
      '"nic_baro":1',
      '"nac_p":10',
      '"nac_v":2',
      '"sil":3',
      '"sil_type":"perhour"',
      '"gva":2',
      '"sda":2',
    )
  } else if (a.source.startsWith('tisb')) {
    f.push('"nac_p":8', '"nac_v":1', '"sil":2', '"sil_type":"unknown"')
  }
  if (a.source !== 'tisb_other') f.push(`"alert":${fleetIndex % 29 === 0 ? 1 : 0}`, '"spi":0')
  f.push(
    a.source === 'mlat'
      ? '"mlat":["gs","track","baro_rate","lat","lon","nic","rc","nac_p","nac_v","sil","sil_type"]'
      : '"mlat":[]',
  )
  f.push(
    a.source.startsWith('tisb')
      ? '"tisb":["altitude","gs","track","lat","lon","nic","rc","nac_p","nac_v","sil","sil_type"]'
      : '"tisb":[]',
  )
  if (positionState === 'stale') {
    f.push(
      `"lastPosition":{"lat":${a.lat.toFixed(6)},"lon":${a.lon.toFixed(6)},"nic":8,"rc":186,"seen_pos":${(60 + seenPos * 20).toFixed(3)}}`,
    )
  }
  f.push(
    `"messages":${a.messages}`,
    `"seen":${(Math.min(seenPos, random() * 2)).toFixed(1)}`,
    `"rssi":${(-3 - random() * 46).toFixed(1)}`,
  )
  return `{${f.join(',')}}`
}

function seenPosition(source: Source, random: () => number): number {
  switch (source) {
    case 'adsc':
      return random() * 900 // satellite reports arrive every few minutes
    case 'mlat':
      return random() * 8
    case 'tisb_trackfile':
    case 'tisb_other':
    case 'tisb_icao':
      return random() * 12
    default:
      return random() * 1.5
  }
}
