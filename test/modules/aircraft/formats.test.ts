/**
 * The database-free core of the aircraft ingest: format detection and parsing (byte scanner and its
 * JSON.parse reference), the merge law of aggregates, the sample generator, and the worker pool.
 * Expected values are computed here from the files themselves, by simple independent code.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { gunzipSync, gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { generateFlatRecords, generateSnapshots, snapshotFileName } from '../../../scripts/aircraft-sample-generator.js'
import { gunzipIfNeeded } from '../../../src/modules/aircraft/parse/gunzip.js'
import { ICAO_PATTERN, icaoKey, readIcao } from '../../../src/modules/aircraft/parse/icao.js'
import { parseWithJsonParse } from '../../../src/modules/aircraft/parse/json-parse.js'
import { MalformedFileError } from '../../../src/modules/aircraft/parse/malformed-file-error.js'
import { parseAircraftFile, parseAircraftFileCompact } from '../../../src/modules/aircraft/parse/parse-file.js'
import {
  type AircraftAggregate,
  expandCompact,
  type ParsedFile,
} from '../../../src/modules/aircraft/parse/parsed-file.js'
import { scanCompact } from '../../../src/modules/aircraft/parse/scanner.js'
import { defaultPoolSize, ParserPool } from '../../../src/modules/aircraft/parser-pool.js'
import { type AggregateStats, aggregateStats, emptyAggregate, mergeAggregates } from '../../helpers/aircraft-fold.js'

const FIXTURES = new URL('../../../../shared/fixtures/aircraft/', import.meta.url)
const SNAPSHOT = new URL('readsb-hist_2023-11-01_000000Z.excerpt.json', FIXTURES)
const SNAPSHOT_GZ = new URL('000000Z.excerpt.json.gz', FIXTURES)
const FLAT = new URL('s3-flat-records.test.json', FIXTURES)
const fixturesAbsent = fs.existsSync(fileURLToPath(SNAPSHOT))
  ? false
  : `the shared fixtures folder ${fileURLToPath(FIXTURES)} is absent`
if (fixturesAbsent) console.warn(`\n*** SKIPPING the real-fixture aircraft tests: ${fixturesAbsent} ***\n`)

const SAMPLE_SET = new URL('../../../data/sample-aircraft/', import.meta.url)

const read = (url: URL) => fs.readFileSync(url)
/** Stats by key (the lower-cased id); each carries its id as first written. */
const byIcao = (file: ParsedFile) => new Map(file.aggregates.map((a) => [icaoKey(a.icao), aggregateStats(a)]))
const isNum = (v: unknown): v is number => typeof v === 'number'

/**
 * The reference computation: a plain loop over JSON.parse'd records, written from the spec, sharing
 * no code with the parser.
 */
function expectedStats(
  records: { id: unknown; alt: unknown; gs: unknown; emergency?: unknown; r?: unknown; t?: unknown; time?: string }[],
) {
  const out = new Map<string, AggregateStats>()
  const sums = new Map<string, { alt: number; altN: number; gs: number; gsN: number }>()
  for (const rec of records) {
    if (typeof rec.id !== 'string' || !/^~?[A-Za-z0-9]{1,10}$/.test(rec.id)) continue
    const icao = rec.id.toLowerCase() // the key; the stats keep the first spelling
    const s = out.get(icao) ?? {
      icao: rec.id,
      registration: null,
      type: null,
      observations: 0,
      max_altitude_baro: null,
      max_ground_speed: null,
      avg_altitude: null,
      avg_speed: null,
      had_emergency: false,
      first_seen: null,
      last_seen: null,
    }
    const sum = sums.get(icao) ?? { alt: 0, altN: 0, gs: 0, gsN: 0 }
    s.observations++
    if (rec.alt === 'ground') sum.altN++
    else if (isNum(rec.alt)) {
      sum.alt += rec.alt
      sum.altN++
      s.max_altitude_baro = s.max_altitude_baro === null ? rec.alt : Math.max(s.max_altitude_baro, rec.alt)
    }
    if (isNum(rec.gs)) {
      sum.gs += rec.gs
      sum.gsN++
      s.max_ground_speed = s.max_ground_speed === null ? rec.gs : Math.max(s.max_ground_speed, rec.gs)
    }
    if (typeof rec.emergency === 'string' && rec.emergency !== 'none' && rec.emergency !== '') s.had_emergency = true
    if (typeof rec.r === 'string' && rec.r.trim()) s.registration = rec.r.trim()
    if (typeof rec.t === 'string' && rec.t.trim()) s.type = rec.t.trim()
    if (rec.time) {
      if (s.first_seen === null || rec.time < s.first_seen) s.first_seen = rec.time
      if (s.last_seen === null || rec.time > s.last_seen) s.last_seen = rec.time
    }
    s.avg_altitude = sum.altN ? sum.alt / sum.altN : null
    s.avg_speed = sum.gsN ? sum.gs / sum.gsN : null
    out.set(icao, s)
    sums.set(icao, sum)
  }
  return out
}

/** Records of a readsb-hist document for expectedStats; time = now - seen_pos (or now), to the ms. */
function snapshotRecords(doc: { now: number; aircraft: Record<string, unknown>[] }) {
  return doc.aircraft.map((a) => ({
    id: a.hex,
    alt: a.alt_baro,
    gs: a.gs,
    emergency: a.emergency,
    r: a.r,
    t: a.t,
    time: new Date(Math.round((doc.now - (isNum(a.seen_pos) ? a.seen_pos : 0)) * 1000)).toISOString(),
  }))
}

function expectedPositions(doc: { now: number; aircraft: Record<string, unknown>[] }) {
  return doc.aircraft
    .filter((a) => isNum(a.lat) && isNum(a.lon) && isNum(a.seen_pos))
    .map((a) => ({
      icao: String(a.hex),
      timestamp: new Date(Math.round((doc.now - (a.seen_pos as number)) * 1000)).toISOString(),
      lat: a.lat,
      lon: a.lon,
    }))
}

function assertStatsEqual(actual: Map<string, AggregateStats>, expected: Map<string, AggregateStats>) {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort())
  for (const [icao, want] of expected) {
    const got = actual.get(icao) as AggregateStats
    for (const key of ['avg_altitude', 'avg_speed'] as const) {
      const a = got[key]
      const e = want[key]
      assert.ok(a === e || (a !== null && e !== null && Math.abs(a - e) < 1e-9), `${icao} ${key}: ${a} ≠ ${e}`)
    }
    assert.deepEqual({ ...got, avg_altitude: 0, avg_speed: 0 }, { ...want, avg_altitude: 0, avg_speed: 0 }, icao)
  }
}

describe('the real readsb-hist fixture', { skip: fixturesAbsent }, () => {
  it('gives, for every aircraft, the statistics computed independently from the file', () => {
    const doc = JSON.parse(read(SNAPSHOT).toString('utf8'))
    const file = parseAircraftFile(read(SNAPSHOT), 'excerpt')
    assert.equal(file.format, 'readsb-hist')
    assert.equal(file.records, doc.aircraft.length)
    assert.equal(file.recordsSkipped, 0)
    assertStatsEqual(byIcao(file), expectedStats(snapshotRecords(doc)))
    assert.deepEqual(file.positions, expectedPositions(doc))
  })

  it('has the values SOURCE.md describes', () => {
    const stats = byIcao(parseAircraftFile(read(SNAPSHOT)))
    const a65800 = stats.get('a65800')
    assert.equal(a65800?.max_altitude_baro, 39996)
    assert.equal(a65800?.max_ground_speed, 454)
    assert.equal(a65800?.registration, 'N508DN')
    assert.equal(a65800?.type, 'A359')
    // now 1698796799.300 - seen_pos 190.091 = 1698796609.209 s, 190.791 s before midnight.
    assert.equal(a65800?.first_seen, '2023-10-31T23:56:49.209Z')
    assert.equal(a65800?.last_seen, '2023-10-31T23:56:49.209Z')
    for (const ground of ['~300fe8', '~300de6']) {
      assert.equal(stats.get(ground)?.max_altitude_baro, null, `${ground}: "ground" is no maximum`)
      assert.equal(stats.get(ground)?.avg_altitude, 0, `${ground}: "ground" is 0 in the average`)
    }
    assert.equal(stats.get('~300fe8')?.max_ground_speed, 0)
    assert.deepEqual({ r: stats.get('~284ede')?.registration, t: stats.get('~284ede')?.type }, { r: null, t: null })
    assert.equal(stats.get('~284ede')?.max_altitude_baro, 2000)
    assert.equal(stats.get('a47439')?.max_altitude_baro, null, 'only alt_geom')
    assert.equal(stats.get('a47439')?.avg_altitude, null)
    assert.equal(stats.get('86e84c')?.max_ground_speed, null, 'no gs')
    assert.equal(stats.get('86e84c')?.avg_speed, null)
    assert.equal(stats.get('a38398')?.max_ground_speed, null, 'calc_track but no gs')
    assert.ok(
      [...stats.values()].every((s) => s.had_emergency === false),
      '"none" or absent is no emergency',
    )
  })

  it('reads the .json.gz the same as the .json', () => {
    const gz = read(SNAPSHOT_GZ)
    assert.equal(gz[0], 0x1f, 'the fixture is gzip')
    assert.deepEqual(parseAircraftFile(gunzipIfNeeded(gz, 'gz')), parseAircraftFile(read(SNAPSHOT)))
  })

  it('takes the fast path (the scanner does not decline the real format)', () => {
    assert.notEqual(scanCompact(read(SNAPSHOT)), null)
  })

  it('reads the flat-records fixture: A320 → icao "A320" as written (key "a320"), altitude 30000, speed 500', () => {
    const file = parseAircraftFile(read(FLAT), 'flat')
    assert.equal(file.format, 'flat')
    assert.equal(file.records, 1)
    assert.deepEqual(file.positions, [])
    assert.deepEqual(parseAircraftFileCompact(read(FLAT)).icaos, ['a320'])
    assert.deepEqual(aggregateStats(file.aggregates[0] as AircraftAggregate), {
      icao: 'A320',
      registration: null,
      type: null,
      observations: 1,
      max_altitude_baro: 30000,
      max_ground_speed: 500,
      avg_altitude: 30000,
      avg_speed: 500,
      had_emergency: false,
      first_seen: null,
      last_seen: null,
    })
  })

  it('refuses the fixture cut short, at any of a spread of lengths', () => {
    const bytes = read(SNAPSHOT)
    for (let len = 0; len < bytes.length - 2; len += 97) {
      assert.throws(() => parseAircraftFile(bytes.subarray(0, len), 'cut'), MalformedFileError, `cut at ${len}`)
    }
  })
})

describe('formats', () => {
  const snapshot = (aircraft: unknown[], now: unknown = 1_698_796_800) =>
    Buffer.from(JSON.stringify({ now, messages: 1, aircraft }))

  it('ICAO_PATTERN and readIcao: 1–10 letters or digits, optional ~, kept as written; icaoKey lower-cases', () => {
    for (const [input, want] of [
      ['a65800', 'a65800'],
      ['A65800', 'A65800'],
      ['~284EDE', '~284EDE'],
      ['A320', 'A320'],
      ['x', 'x'],
      ['abcdefghij', 'abcdefghij'],
      ['abcdefghijk', null],
      ['', null],
      ['~', null],
      ['~~a1', null],
      ['a-1', null],
      [' a1', null],
      ['a1\n', null],
      ['é1', null],
      [123, null],
      [null, null],
    ] as const) {
      assert.equal(readIcao(input), want, JSON.stringify(input))
      if (typeof input === 'string')
        assert.equal(new RegExp(ICAO_PATTERN).test(input), want !== null, JSON.stringify(input))
    }
    assert.deepEqual(['A65800', '~284EDE', 'A320', 'a320'].map(icaoKey), ['a65800', '~284ede', 'a320', 'a320'])
  })

  it('an id keeps its first spelling and is one aircraft in any case, on both parse paths', () => {
    const cases: [string, string[], string[]][] = [
      // readsb hex (the scanner's hex table), upper-case first, then lower-case, then escaped
      [
        '{"now":1,"aircraft":[{"hex":"ABC123","gs":1},{"hex":"abc123","gs":3},{"hex":"\\u0061bc123","gs":5}]}',
        ['abc123'],
        ['ABC123'],
      ],
      // escaped first: its decoded spelling is the one kept
      ['{"now":1,"aircraft":[{"hex":"\\u0041bC123"},{"hex":"ABC123"}]}', ['abc123'], ['AbC123']],
      // non-hex ids (the scanner's Map): a flat record's A320 stays A320, a320 later joins it
      [
        '[{"icao":"A320","altitude":1},{"icao":"a320","altitude":3},{"icao":"~F1"},{"icao":"~f1"}]',
        ['a320', '~f1'],
        ['A320', '~F1'],
      ],
      [
        '{"now":1,"aircraft":[{"hex":"~2ABCDE"},{"hex":"~2abcde"},{"hex":"Tisb1"}]}',
        ['~2abcde', 'tisb1'],
        ['~2ABCDE', 'Tisb1'],
      ],
    ]
    for (const [text, keys, written] of cases) {
      const buf = Buffer.from(text)
      const fast = scanCompact(buf)
      assert.ok(fast, `the scanner takes ${text}`)
      for (const [how, file] of [
        ['scanner', fast],
        ['JSON.parse', parseWithJsonParse(buf)],
      ] as const) {
        assert.deepEqual(file.icaos, keys, `${how}: keys of ${text}`)
        assert.deepEqual(file.writtenIcaos, written, `${how}: spellings of ${text}`)
        assert.deepEqual(
          expandCompact(file).aggregates.map((a) => a.icao),
          written,
          `${how}: aggregates of ${text}`,
        )
      }
    }
    const merged = mergeAggregates(
      { ...emptyAggregate('A320'), observations: 1 },
      { ...emptyAggregate('a320'), observations: 2 },
    )
    assert.deepEqual([merged.icao, merged.observations], ['A320', 3], 'the earlier file’s spelling wins')
  })

  it('skips and counts entries without a valid id, in both formats', () => {
    const file = parseAircraftFile(
      snapshot([
        { hex: 'abc123', alt_baro: 100 },
        { alt_baro: 5 },
        { hex: '' },
        { hex: 'way-too-long-id' },
        { hex: 7 },
        null,
        'x',
        [],
        {},
      ]),
    )
    assert.equal(file.records, 1)
    assert.equal(file.recordsSkipped, 8)
    const flat = parseAircraftFile(
      Buffer.from(JSON.stringify([{ icao: 'A1', altitude: 1 }, { icao: 'A 1' }, { altitude: 3 }, 5, {}])),
    )
    assert.deepEqual([flat.records, flat.recordsSkipped], [1, 4])
  })

  it('emergency: anything other than absent, null, "" or "none" counts', () => {
    const stats = byIcao(
      parseAircraftFile(
        snapshot([
          { hex: 'a00001', emergency: 'none' },
          { hex: 'a00002' },
          { hex: 'a00003', emergency: 'general' },
          { hex: 'a00004', emergency: 'none' },
          { hex: 'a00004', emergency: 'minfuel' },
          { hex: 'a00005', emergency: null },
          { hex: 'a00006', emergency: '' },
        ]),
      ),
    )
    assert.deepEqual(
      [...stats.values()].map((s) => [s.icao, s.had_emergency]),
      [
        ['a00001', false],
        ['a00002', false],
        ['a00003', true],
        ['a00004', true],
        ['a00005', false],
        ['a00006', false],
      ],
    )
  })

  it('the same aircraft twice in a file: observations add, one position per timestamp, latest registration', () => {
    const file = parseAircraftFile(
      snapshot([
        { hex: 'ABC123', r: 'N1', alt_baro: 1000, gs: 100, lat: 1, lon: 2, seen_pos: 1 },
        { hex: 'abc123', r: 'N2', alt_baro: 'ground', gs: 50, lat: 1, lon: 2, seen_pos: 1 },
        { hex: 'abc123', alt_baro: 3000, lat: 3, lon: 4, seen_pos: 0.5 },
      ]),
    )
    assert.equal(file.aggregates.length, 1)
    assert.deepEqual(aggregateStats(file.aggregates[0] as AircraftAggregate), {
      icao: 'ABC123',
      registration: 'N2',
      type: null,
      observations: 3,
      max_altitude_baro: 3000,
      max_ground_speed: 100,
      avg_altitude: (1000 + 0 + 3000) / 3,
      avg_speed: 75,
      had_emergency: false,
      first_seen: '2023-10-31T23:59:59.000Z',
      last_seen: '2023-10-31T23:59:59.500Z',
    })
    assert.deepEqual(
      file.positions.map((p) => [p.timestamp, p.lat]),
      [
        ['2023-10-31T23:59:59.000Z', 1],
        ['2023-10-31T23:59:59.500Z', 3],
      ],
    )
  })

  it('timestamps: now - seen_pos to the ms, now when seen_pos is missing; positions only with lat, lon and seen_pos', () => {
    const file = parseAircraftFile(
      snapshot(
        [
          { hex: 'a00001', lat: 1, lon: 2 },
          { hex: 'a00002', lat: 1, seen_pos: 2 },
          { hex: 'a00003', lat: 1.5, lon: -2.25, seen_pos: 0.3 },
          { hex: 'a00004', lastPosition: { lat: 1, lon: 2, seen_pos: 100 } },
        ],
        1_698_796_800.1,
      ),
    )
    const stats = byIcao(file)
    assert.equal(stats.get('a00001')?.first_seen, '2023-11-01T00:00:00.100Z')
    assert.equal(stats.get('a00002')?.first_seen, '2023-10-31T23:59:58.100Z')
    assert.equal(stats.get('a00004')?.first_seen, '2023-11-01T00:00:00.100Z', 'a nested seen_pos is not the aircraft’s')
    assert.deepEqual(file.positions, [{ icao: 'a00003', timestamp: '2023-10-31T23:59:59.800Z', lat: 1.5, lon: -2.25 }])
  })

  it('times at the ends of the ISO range are exact; beyond it `now` is malformed', () => {
    for (const ms of [-62_167_219_200_000, -1, 0, 999, 1_698_796_799_300, 253_402_300_799_999]) {
      const file = parseAircraftFile(snapshot([{ hex: 'a1', lat: 0, lon: 0, seen_pos: 0 }], ms / 1000))
      assert.equal(file.positions[0]?.timestamp, new Date(ms).toISOString())
    }
    for (const now of [253_402_300_800, -62_167_219_201, '1698796800', null]) {
      assert.throws(() => parseAircraftFile(snapshot([], now)), /"now"/, String(now))
    }
  })

  it('malformed, truncated or wrongly shaped files are MalformedFileError with a reason', () => {
    const cases: [string, string | Buffer, RegExp][] = [
      ['empty', '', /truncated JSON/],
      ['not JSON', '# hello', /invalid JSON/],
      ['truncated', '{"now": 1, "aircraft": [{"hex": "a1"', /truncated JSON/],
      ['trailing garbage', '[] []', /invalid JSON/],
      ['a number', '42', /neither a readsb-hist snapshot .* nor an array/],
      ['a string', '"aircraft"', /neither/],
      ['null', 'null', /neither/],
      ['no aircraft', '{"now": 1, "messages": 2}', /without an "aircraft" array/],
      ['aircraft not an array', '{"now": 1, "aircraft": {"hex": "a1"}}', /without an "aircraft" array/],
      ['no now', '{"aircraft": []}', /"now"/],
      ['a byte-order mark', '\ufeff[]', /invalid JSON/],
      ['truncated gzip', gzipSync(Buffer.from('[{"icao": "a1"}]')).subarray(0, 20), /gzip/],
    ]
    for (const [what, body, reason] of cases) {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body
      assert.throws(
        () => parseAircraftFile(gunzipIfNeeded(bytes, `f-${what}`), `f-${what}`),
        (err: unknown) =>
          err instanceof MalformedFileError && reason.test(err.reason) && err.message.startsWith(`f-${what}: `),
        what,
      )
    }
  })

  it('accepts what is valid but unusual: empty sets, escapes, extra fields, any key order', () => {
    assert.deepEqual(parseAircraftFile(Buffer.from('[]')).aggregates, [])
    assert.equal(parseAircraftFile(Buffer.from(' {"aircraft": [], "now": 5} ')).records, 0)
    const escaped = Buffer.from(
      '{"now":1698796800,"aircraft":[{"h\\u0065x":"\\u0041BC123","alt_baro":"gr\\u006fund","r":"N\\u00e91","emergency":"n\\u006fne"}]}',
    )
    assert.equal(scanCompact(escaped), null, 'an escaped key is left to JSON.parse')
    const stats = byIcao(parseAircraftFile(escaped)).get('abc123')
    assert.deepEqual([stats?.avg_altitude, stats?.registration, stats?.had_emergency], [0, 'Né1', false])
    const spelledTwice = Buffer.from(
      '{"now":1,"aircraft":[{"hex":"abc123","gs":1},{"hex":"\\u0061BC123","gs":3},{"hex":"ABC123","gs":5}]}',
    )
    assert.deepEqual(
      parseAircraftFile(spelledTwice).aggregates.map((a) => [a.icao, a.observations, a.maxGroundSpeed]),
      [['abc123', 3, 5]],
    )
    const late = Buffer.from('{"aircraft":[{"hex":"a1","seen_pos":1,"lat":0,"lon":0}],"now":1698796800}')
    assert.equal(
      parseAircraftFile(late).positions[0]?.timestamp,
      '2023-10-31T23:59:59.000Z',
      '"now" after the aircraft',
    )
  })

  it('registration/type: trimmed; empty, NUL or lone surrogates are null (PostgreSQL cannot store them)', () => {
    const stats = byIcao(
      parseAircraftFile(
        Buffer.from(
          JSON.stringify({
            now: 1,
            aircraft: [
              { hex: 'a1', r: ' N1 ', t: '' },
              { hex: 'a2', r: 'N\u0000', t: '\ud800' },
              { hex: 'a3', r: 5 },
            ],
          }),
        ),
      ),
    )
    assert.deepEqual(
      [...stats.values()].map((s) => [s.registration, s.type]),
      [
        ['N1', null],
        [null, null],
        [null, null],
      ],
    )
  })

  it('the scanner accepts exactly what JSON.parse accepts, and then agrees with it (property)', () => {
    const ws = fc.constantFrom('', '', ' ', '\n', '\r\n  ', '\t')
    const digits = (min: number, max: number) =>
      fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''))
    const numberText = fc
      .tuple(
        fc.boolean(),
        fc.oneof(
          fc.constant('0'),
          fc.tuple(fc.constantFrom(...'123456789'), digits(0, 17)).map(([a, b]) => a + b),
        ),
        fc.option(digits(1, 20)),
        fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 3))),
      )
      .map(
        ([neg, int, frac, exp]) =>
          `${neg ? '-' : ''}${int}${frac === null ? '' : `.${frac}`}${exp === null ? '' : exp.join('')}`,
      )
    const stringText = fc.oneof(
      fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
      fc.string({ unit: 'grapheme', maxLength: 4 }).map((s) => JSON.stringify(s)),
      fc.constantFrom(
        '"ground"',
        '"none"',
        '"general"',
        '""',
        '"gr\\u006fund"',
        '"a65800"',
        '"A65800"',
        '"~284ede"',
        '"A320"',
        '"abcdefghijk"',
        '"\\ud800"',
        '"N\\u00e91"',
        '"é"',
        '"\\u0061bc123"',
        '"abc123"',
        '"~ABC123"',
      ),
    )
    const key = fc.constantFrom(
      'hex',
      'r',
      't',
      'alt_baro',
      'gs',
      'emergency',
      'lat',
      'lon',
      'seen_pos',
      'icao',
      'altitude',
      'speed',
      'now',
      'aircraft',
      'flight',
      'alt_geom',
      'mlat',
      'x',
      '',
    )
    const keyText = key.map((k) => JSON.stringify(k))
    const { value } = fc.letrec<{ value: string }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        numberText,
        stringText,
        fc.constantFrom('true', 'false', 'null'),
        fc.tuple(ws, fc.array(tie('value'), { maxLength: 3 })).map(([w, items]) => `[${w}${items.join(`${w},`)}]`),
        fc
          .tuple(ws, fc.array(fc.tuple(keyText, tie('value')), { maxLength: 4 }))
          .map(([w, members]) => `{${members.map(([k, v]) => `${w}${k}${w}:${w}${v}`).join(',')}${w}}`),
      ),
    }))
    const record = fc
      .tuple(ws, fc.array(fc.tuple(keyText, value), { maxLength: 10 }))
      .map(([w, members]) => `{${members.map(([k, v]) => `${k}:${w}${v}`).join(`,${w}`)}}`)
    const recordsText = fc
      .tuple(
        ws,
        fc.array(fc.oneof({ weight: 5, arbitrary: record }, { weight: 1, arbitrary: value }), { maxLength: 6 }),
      )
      .map(([w, rs]) => `[${w}${rs.join(`,\n${w}`)}${w}]`)
    const nowText = fc.oneof(
      { weight: 4, arbitrary: fc.constant('1698796799.300') },
      { weight: 2, arbitrary: numberText },
      { weight: 1, arbitrary: value },
    )
    const snapshotText = fc
      .tuple(ws, nowText, recordsText, fc.array(fc.tuple(keyText, value), { maxLength: 2 }), fc.boolean())
      .map(([w, now, aircraft, extra, nowFirst]) => {
        const members = [`"now"${w}:${w}${now}`, `"messages":${w}7`, ...extra.map(([k, v]) => `${k}:${v}`)]
        members.splice(nowFirst ? members.length : 0, 0, `"aircraft"${w}:${w}${aircraft}`)
        return `${w}{${w}${members.join(`,${w}`)}${w}}${w}`
      })
    const document = fc
      .tuple(
        fc.oneof(
          { weight: 4, arbitrary: snapshotText },
          { weight: 2, arbitrary: recordsText },
          { weight: 1, arbitrary: value },
        ),
        fc.nat(9),
      )
      .map(([text, n]) => (n === 0 ? text.replace('"hex"', '"h\\u0065x"') : text)) // an escaped key now and then
    // Broken (or still valid) variants: cut short, a byte dropped, a byte put in anywhere, or put in
    // where the grammar is strict: a comma before a closing bracket, a zero or minus before a digit,
    // a control character, backslash or dot next to a quote or digit.
    const edits: [RegExp, string[]][] = [
      [/(?=[\]}])/g, [',', ' ,']],
      [/[:,[]\s*(?=-?[0-9])/g, ['0', '-', '00', '+', '.']],
      [/[0-9](?![0-9])/g, ['e', '.', 'e+', '0', ' 1']],
      [/"/g, ['\u0001', '\t', '\\', '\\u00', '\\x']],
    ]
    const mutated = fc
      .tuple(document, fc.nat(), fc.nat(), fc.nat(9), fc.constantFrom(...'{}[]",:-.0e \\u\u0001'))
      .map(([text, at, pick, how, ch]) => {
        const i = text.length === 0 ? 0 : at % (text.length + 1)
        if (how === 0) return text.slice(0, i)
        if (how === 1) return text.slice(0, i) + text.slice(i + 1)
        if (how === 2) return text.slice(0, i) + ch + text.slice(i)
        const [pattern, inserts] = edits[how % edits.length] as [RegExp, string[]]
        const spots = [...text.matchAll(pattern)].map((m) => (m.index as number) + m[0].length)
        if (spots.length === 0) return text
        const spot = spots[at % spots.length] as number
        return text.slice(0, spot) + (inserts[pick % inserts.length] as string) + text.slice(spot)
      })
    let scanned = 0
    fc.assert(
      fc.property(fc.oneof(document, mutated), (text) => {
        const buf = Buffer.from(text)
        let reference: ReturnType<typeof parseWithJsonParse> | MalformedFileError
        try {
          reference = parseWithJsonParse(buf)
        } catch (err) {
          assert.ok(err instanceof MalformedFileError, String(err))
          reference = err
        }
        const fast = scanCompact(buf)
        if (fast !== null) {
          scanned++
          assert.ok(
            !(reference instanceof MalformedFileError),
            `the scanner accepted what JSON.parse rejects: ${reference instanceof Error ? reference.reason : ''}`,
          )
          assert.deepStrictEqual(expandCompact(fast), expandCompact(reference))
          assert.deepStrictEqual(fast.icaos, reference.icaos, 'the same keys')
        }
        if (reference instanceof MalformedFileError)
          assert.throws(() => parseAircraftFileCompact(buf), MalformedFileError)
        else assert.deepStrictEqual(expandCompact(parseAircraftFileCompact(buf)), expandCompact(reference))
      }),
      { numRuns: 1500 },
    )
    assert.ok(scanned > 300, `the scanner took only ${scanned} of 1500 documents: the property barely tested it`)
  })

  it('the scanner declines every grammar error JSON.parse rejects, in fields it reads and fields it skips', () => {
    const numbers = {
      bad: [
        '01',
        '00',
        '-',
        '--1',
        '+1',
        '1.',
        '.5',
        '1.e5',
        '1e',
        '1e+',
        '0x10',
        'NaN',
        'Infinity',
        '-Infinity',
        '1_0',
        '1 2',
      ],
      good: [
        '0',
        '-0',
        '0.0',
        '454.0',
        '1E5',
        '1e-5',
        '-1.5E+3',
        '46.577740',
        '123456789012345678901234567890',
        '1e400',
        '0.1e-400',
      ],
    }
    const strings = {
      bad: ['"\\u00g0"', '"\\x41"', '"\u0001"', '"\\u12"', '"abc', '"a\\"', "'a'", '"\\U0041"'],
      good: ['"\\u0041\\u00e9"', '"\\"\\\\\\/\\b\\f\\n\\r\\t"', '"é✈"', '"\\ud800"', '""'],
    }
    const literals = {
      bad: [
        'tru',
        'nul',
        'True',
        'undefined',
        'falsey',
        'flase',
        'nulL',
        'trUe',
        'fals',
        '[1,]',
        '{"a":1,}',
        '{,}',
        '[,1]',
        '{"a" 1}',
        '{"a":}',
        '{1:2}',
        "{'a':1}",
        '[1 2]',
        '{"a":1 "b":2}',
        '[',
        '{"a":1',
      ],
      good: ['true', 'false', 'null', '[]', '{}', '[ 1 , [ ] , { } ]', '{"a":{"b":[null]}}'],
    }
    const contexts = [
      (x: string) => `{"now": ${x}, "aircraft": []}`,
      (x: string) => `{"now": 1, "aircraft": [{"hex": "a1", "gs": ${x}, "lat": ${x}, "seen_pos": ${x}}]}`,
      (x: string) => `{"now": 1, "aircraft": [{"hex": "a1", "alt_baro": ${x}, "r": ${x}, "emergency": ${x}}]}`,
      (x: string) => `{"now": 1, "aircraft": [{"hex": ${x}}]}`,
      (x: string) =>
        `{"now": 1, "aircraft": [{"hex": "a1", "track": ${x}, "lastPosition": {"lat": ${x}}, "mlat": [${x}]}]}`,
      (x: string) => `{"now": 1, "messages": ${x}, "aircraft": [${x}]}`,
      (x: string) => `[{"icao": "a1", "altitude": ${x}, "speed": ${x}}, ${x}]`,
    ]
    for (const [what, { bad, good }] of Object.entries({ numbers, strings, literals })) {
      for (const context of contexts) {
        for (const x of bad) {
          const text = context(x)
          assert.throws(() => JSON.parse(text), SyntaxError, `${what}: JSON.parse should reject ${text}`)
          assert.equal(scanCompact(Buffer.from(text)), null, `${what}: the scanner accepted ${text}`)
          assert.throws(() => parseAircraftFile(Buffer.from(text)), MalformedFileError, text)
        }
        for (const x of good) {
          const text = context(x)
          let reference: ReturnType<typeof parseWithJsonParse> | null = null
          try {
            reference = parseWithJsonParse(Buffer.from(text))
          } catch (err) {
            assert.ok(err instanceof MalformedFileError && !/invalid|truncated/.test(err.reason), `${text}: ${err}`) // e.g. a "now" that is not a number
          }
          const fast = scanCompact(Buffer.from(text))
          if (reference === null) assert.equal(fast, null, text)
          else
            assert.deepStrictEqual(
              expandCompact(fast ?? assert.fail(`the scanner declined ${text}`)),
              expandCompact(reference),
              text,
            )
        }
      }
    }
  })

  it('parses numbers to exactly the doubles JSON.parse gives (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.integer(),
          fc.integer({ min: -1e6, max: 1e6 }).map((n) => n / 1000),
        ),
        fc.nat({ max: 3 }),
        (x, pad) => {
          // Also with readsb's trailing zeros (454.0, 46.577740), which JSON.stringify never writes.
          const text = Number.isInteger(x) || /e/.test(String(x)) ? JSON.stringify(x) : `${String(x)}${'0'.repeat(pad)}`
          const file = scanCompact(Buffer.from(`[{"icao":"a1","altitude":${text},"speed":${text}}]`))
          assert.ok(file)
          const agg = expandCompact(file).aggregates[0] as AircraftAggregate
          assert.ok(
            Object.is(agg.sumAltitude, 0 + JSON.parse(text)),
            `${text}: ${agg.sumAltitude} vs ${JSON.parse(text)}`,
          )
          assert.ok(Object.is(agg.maxGroundSpeed, JSON.parse(text)), text)
        },
      ),
      { numRuns: 2000 },
    )
  })
})

describe('mergeAggregates and aggregateStats', () => {
  const int = fc.integer({ min: -50_000, max: 50_000 })
  const iso = fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }).map((ms) => new Date(ms).toISOString())
  const aggregate = fc.record({
    icao: fc.constant('abc123'),
    registration: fc.option(fc.constantFrom('N1', 'N2', 'G-ABCD')),
    type: fc.option(fc.constantFrom('A320', 'B738')),
    observations: fc.nat(100),
    maxAltitudeBaro: fc.option(int),
    sumAltitude: int,
    altitudeCount: fc.nat(100),
    maxGroundSpeed: fc.option(int),
    sumSpeed: int,
    speedCount: fc.nat(100),
    hadEmergency: fc.boolean(),
    firstSeen: fc.option(iso),
    lastSeen: fc.option(iso),
  })
  const numeric = (a: AircraftAggregate) => ({ ...aggregateStats(a), registration: null, type: null })

  it('is associative (every field) and commutative (all but the latest-wins registration/type)', () => {
    fc.assert(
      fc.property(aggregate, aggregate, aggregate, (a, b, c) => {
        assert.deepEqual(mergeAggregates(mergeAggregates(a, b), c), mergeAggregates(a, mergeAggregates(b, c)))
        assert.deepEqual(numeric(mergeAggregates(a, b)), numeric(mergeAggregates(b, a)))
      }),
    )
  })

  it('has the empty aggregate as identity, and the later non-null registration/type wins', () => {
    fc.assert(
      fc.property(aggregate, (a) => {
        assert.deepEqual(mergeAggregates(emptyAggregate(a.icao), a), { ...a })
        assert.deepEqual(mergeAggregates(a, emptyAggregate(a.icao)), { ...a })
      }),
    )
    const older = { ...emptyAggregate('a1'), registration: 'N1', type: 'A320' }
    const newer = { ...emptyAggregate('a1'), registration: 'N2' }
    assert.deepEqual([mergeAggregates(older, newer).registration, mergeAggregates(older, newer).type], ['N2', 'A320'])
  })

  it('aggregateStats: averages are sum/count, null when nothing was counted', () => {
    const agg = {
      ...emptyAggregate('a1'),
      observations: 4,
      sumAltitude: 300,
      altitudeCount: 4,
      sumSpeed: 0,
      speedCount: 0,
    }
    assert.deepEqual([aggregateStats(agg).avg_altitude, aggregateStats(agg).avg_speed], [75, null])
  })

  it('folding parsed files in any order gives the stats of one file holding every record (property)', () => {
    const rec = fc.record(
      {
        hex: fc.constantFrom('a00001', 'A00001', 'b00002', '~c00003', 'd4'),
        alt_baro: fc.oneof(int, fc.constant('ground')),
        gs: fc.nat(600),
        emergency: fc.constantFrom('none', 'none', 'general'),
        lat: fc.integer({ min: -90, max: 90 }),
        lon: fc.integer({ min: -180, max: 180 }),
        seen_pos: fc.nat(100),
      },
      { requiredKeys: ['hex'] },
    )
    const files = fc.array(
      fc.tuple(fc.integer({ min: 1_698_796_800, max: 1_698_800_000 }), fc.array(rec, { maxLength: 6 })),
      { minLength: 1, maxLength: 6 },
    )
    fc.assert(
      fc.property(files, fc.func(fc.integer()), (list, order) => {
        const withReg = (a: Record<string, unknown>): Record<string, unknown> => ({
          ...a,
          r: `R-${String(a.hex).toLowerCase()}`,
        }) // constant per aircraft
        const parsed = list.map(([now, aircraft]) =>
          parseAircraftFile(Buffer.from(JSON.stringify({ now, aircraft: aircraft.map(withReg) }))),
        )
        // By key; the spelling is the first folded one (order-dependent, like the latest registration),
        // so it is compared apart, and the stats with the key in its place.
        const fold = (fs: ParsedFile[]) => {
          const m = new Map<string, AircraftAggregate>()
          for (const f of fs)
            for (const a of f.aggregates)
              m.set(icaoKey(a.icao), mergeAggregates(m.get(icaoKey(a.icao)) ?? emptyAggregate(a.icao), a))
          return new Map([...m].map(([k, v]) => [k, aggregateStats(v)]))
        }
        const keyed = (m: Map<string, AggregateStats>) => new Map([...m].map(([k, v]) => [k, { ...v, icao: k }]))
        const firstSpelling = new Map<string, string>()
        for (const [, aircraft] of list)
          for (const a of aircraft)
            if (!firstSpelling.has(a.hex.toLowerCase())) firstSpelling.set(a.hex.toLowerCase(), a.hex)
        for (const [k, v] of fold(parsed)) assert.equal(v.icao, firstSpelling.get(k), `${k}: the first spelling wins`)
        const shuffled = [...parsed].sort((x, y) => order(parsed.indexOf(x)) - order(parsed.indexOf(y)))
        // One file with every record: each record's own now - seen_pos becomes its seen_pos against one now.
        const all = list.flatMap(([now, aircraft]) =>
          aircraft.map((a) => withReg({ ...a, seen_pos: 1_698_800_000 - now + (a.seen_pos ?? 0) })),
        )
        const single = parseAircraftFile(Buffer.from(JSON.stringify({ now: 1_698_800_000, aircraft: all })))
        const expected = keyed(byIcao(single))
        for (const a of all) if (a.seen_pos === undefined) expected.delete(String(a.hex).toLowerCase()) // "now" differs per file
        const folded = keyed(fold(shuffled))
        assert.deepEqual(keyed(fold(parsed)), folded)
        for (const [icao, stats] of expected) assert.deepEqual(folded.get(icao), stats, icao)
      }),
      { numRuns: 150 },
    )
  })
})

describe('sample generator', () => {
  const take = (options: Parameters<typeof generateSnapshots>[0]) => [...generateSnapshots(options)]

  it('is deterministic for a seed and differs between seeds', () => {
    const a = take({ files: 3, aircraft: 80, seed: 5 })
    const b = take({ files: 3, aircraft: 80, seed: 5 })
    assert.deepEqual(
      a.map((s) => s.body),
      b.map((s) => s.body),
    )
    assert.notDeepEqual(
      take({ files: 3, aircraft: 80, seed: 6 }).map((s) => s.body),
      a.map((s) => s.body),
    )
  })

  it('names files readsb-hist_YYYY-MM-DD_HHMMSSZ.json 5 s apart, with `now` just before the name’s second', () => {
    const files = take({ files: 3, aircraft: 5, start: Date.parse('2024-02-29T23:59:55Z') / 1000 })
    assert.deepEqual(
      files.map((f) => f.name),
      [
        'readsb-hist_2024-02-29_235955Z.json',
        'readsb-hist_2024-03-01_000000Z.json',
        'readsb-hist_2024-03-01_000005Z.json',
      ],
    )
    for (const [i, f] of files.entries())
      assert.ok(f.now > 1_709_251_195 + 5 * i - 1 && f.now < 1_709_251_195 + 5 * i, String(f.now))
    assert.equal(snapshotFileName(1_698_796_805.9), 'readsb-hist_2023-11-01_000005Z.json')
  })

  it('writes what the parser reads, on the fast path, one aircraft object per line', () => {
    for (const s of take({ files: 2, aircraft: 300, seed: 2 })) {
      const doc = JSON.parse(s.body.toString())
      assert.equal(doc.aircraft.length, s.aircraft)
      const lines = s.body.toString().split('\n')
      assert.equal(lines.filter((l) => l.startsWith('{"hex":')).length, s.aircraft)
      const fast = scanCompact(s.body)
      assert.ok(fast, 'the scanner declined a generated file')
      const file = expandCompact(fast)
      assert.deepEqual([file.records, file.recordsSkipped], [s.aircraft, 0])
      assertStatsEqual(byIcao(file), expectedStats(snapshotRecords(doc)))
      assert.deepEqual(file.positions, expectedPositions(doc))
    }
  })

  it('has the quirks of the real files', () => {
    const docs = take({ files: 3, aircraft: 600, seed: 3 }).map(
      (s) => JSON.parse(s.body.toString()) as { now: number; aircraft: Record<string, unknown>[] },
    )
    const all = docs.flatMap((d) => d.aircraft)
    const some = (what: string, test: (a: Record<string, unknown>) => boolean) =>
      assert.ok(all.some(test), `no aircraft with ${what}`)
    some('"ground"', (a) => a.alt_baro === 'ground')
    some('no alt_baro', (a) => !('alt_baro' in a))
    some('no gs', (a) => !('gs' in a))
    some('no lat/lon', (a) => !('lat' in a))
    some('a lastPosition', (a) => typeof a.lastPosition === 'object')
    some('a ~ hex without r/t', (a) => String(a.hex).startsWith('~') && !('r' in a) && !('t' in a))
    some('an emergency', (a) => typeof a.emergency === 'string' && a.emergency !== 'none')
    some('emergency "none"', (a) => a.emergency === 'none')
    some('no emergency key', (a) => !('emergency' in a))
    some(
      'a space-padded callsign',
      (a) => typeof a.flight === 'string' && a.flight.length === 8 && a.flight.endsWith(' '),
    )
    for (const type of ['adsb_icao', 'adsc', 'mlat', 'tisb_trackfile']) some(`type ${type}`, (a) => a.type === type)
    assert.ok(all.every((a) => new RegExp(ICAO_PATTERN).test(String(a.hex))))
  })

  it('moves the same aircraft plausibly from one file to the next', () => {
    const docs = take({ files: 4, aircraft: 200, seed: 4 }).map(
      (s) => JSON.parse(s.body.toString()) as { aircraft: { hex: string; lat?: number; lon: number }[] },
    )
    let compared = 0
    for (let i = 1; i < docs.length; i++) {
      const before = new Map((docs[i - 1]?.aircraft ?? []).map((a) => [a.hex, a]))
      for (const a of docs[i]?.aircraft ?? []) {
        const b = before.get(a.hex)
        if (!b || !isNum(a.lat) || !isNum(b.lat)) continue
        const nm = 60 * Math.hypot(a.lat - b.lat, (a.lon - b.lon) * Math.cos((a.lat * Math.PI) / 180))
        assert.ok(nm < 1.5, `${a.hex} jumped ${nm.toFixed(2)} nm in 5 s`)
        compared++
      }
    }
    assert.ok(compared > 300, `only ${compared} consecutive positions`)
  })

  it('writes flat records with upper-case ids and one record without an id', () => {
    const file = parseAircraftFile(generateFlatRecords(25, 1))
    assert.deepEqual([file.format, file.records, file.recordsSkipped], ['flat', 25, 1])
    assert.deepEqual(generateFlatRecords(25, 1), generateFlatRecords(25, 1))
  })

  it('the shipped data/sample-aircraft is exactly the generator’s output and parses cleanly', () => {
    // scripts/gen-aircraft.ts --files 12 --aircraft 60 --gzip-every 2 --flat 40 --seed 1
    const dir = fileURLToPath(SAMPLE_SET)
    const names = fs.readdirSync(dir).sort()
    const expected = take({ files: 12, aircraft: 60, seed: 1 })
    assert.deepEqual(
      names,
      [...expected.map((s, i) => (i % 2 === 1 ? `${s.name}.gz` : s.name)), 'flat-records.json'].sort(),
    )
    expected.forEach((s, i) => {
      const stored = fs.readFileSync(new URL(i % 2 === 1 ? `${s.name}.gz` : s.name, SAMPLE_SET))
      assert.deepEqual(gunzipIfNeeded(stored), s.body, s.name)
      assert.equal(parseAircraftFile(gunzipIfNeeded(stored)).records, s.aircraft)
    })
    assert.deepEqual(fs.readFileSync(new URL('flat-records.json', SAMPLE_SET)), generateFlatRecords(40, 1))
    const total = names.reduce((n, f) => n + fs.statSync(new URL(f, SAMPLE_SET)).size, 0)
    assert.ok(total < 500_000, `${total} bytes`)
  })
})

describe('ParserPool', () => {
  let pool: ParserPool
  before(() => {
    pool = new ParserPool({ size: 2 })
  })
  after(async () => {
    await pool.close()
  })

  it('defaults to every core but one, at least one', () => {
    assert.ok(defaultPoolSize() >= 1)
    assert.equal(new ParserPool().size, defaultPoolSize())
  })

  it('gives the in-thread result for the real fixture, by path and by bytes, plain and gzipped', {
    skip: fixturesAbsent,
  }, async () => {
    const inThread = parseAircraftFile(read(SNAPSHOT))
    assert.deepEqual(await pool.parse(fileURLToPath(SNAPSHOT)), inThread)
    assert.deepEqual(await pool.parse(fileURLToPath(SNAPSHOT_GZ)), inThread)
    assert.deepEqual(await pool.parse(read(SNAPSHOT_GZ), 'gz'), inThread)
    assert.deepEqual(await pool.parse(fileURLToPath(FLAT)), parseAircraftFile(read(FLAT)))
    const { bytes } = await pool.parseCompact(fileURLToPath(SNAPSHOT_GZ))
    assert.equal(bytes, read(SNAPSHOT_GZ).length)
  })

  it('gives the in-thread result for many generated files at once, and leaves the caller’s buffer usable', async () => {
    const snapshots = take({ files: 8, aircraft: 400, seed: 9 })
    const inputs = snapshots.map((s, i) => (i % 2 ? gzipSync(s.body) : s.body))
    const results = await Promise.all(inputs.map((b, i) => pool.parse(b, `file-${i}`)))
    for (const [i, r] of results.entries())
      assert.deepEqual(r, parseAircraftFile((snapshots[i] as { body: Buffer }).body), `file-${i}`)
    assert.equal(gunzipSync(inputs[1] as Buffer).length, (snapshots[1] as { body: Buffer }).body.length)
  })

  it('rejects a malformed file with MalformedFileError naming it, a missing one with its fs code, and carries on', async () => {
    await assert.rejects(
      pool.parse(Buffer.from('{"now": 1, "aircraft": ['), 'broken.json'),
      (err: unknown) =>
        err instanceof MalformedFileError && err.message.startsWith('broken.json: ') && /truncated/.test(err.reason),
    )
    await assert.rejects(
      pool.parse(gzipSync(Buffer.from('[1,2,3]')).subarray(0, 15), 'cut.json.gz'),
      MalformedFileError,
    )
    await assert.rejects(
      pool.parse('/nonexistent/statehouse/file.json'),
      (err: unknown) => !(err instanceof MalformedFileError) && (err as NodeJS.ErrnoException).code === 'ENOENT',
    )
    assert.equal((await pool.parse(Buffer.from('[{"icao":"a1"}]'))).records, 1)
  })

  it('refuses work once closed', async () => {
    const closing = new ParserPool({ size: 1 })
    assert.equal((await closing.parse(Buffer.from('[]'))).records, 0)
    await closing.close()
    await assert.rejects(closing.parse(Buffer.from('[]')), /closed/)
  })

  function take(options: Parameters<typeof generateSnapshots>[0]) {
    return [...generateSnapshots(options)]
  }
})
