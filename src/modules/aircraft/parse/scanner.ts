/**
 * The fast path: a validating scanner over a file's bytes that decodes only the fields we use,
 * feeding the same accumulator as the JSON.parse path (see parse-file.ts).
 *
 * It accepts exactly the JSON grammar (RFC 8259; checked against JSON.parse by a property test) and
 * declines (BAIL) anything it does not handle itself and any error, so that the JSON.parse path
 * decides the outcome. The buffer and position live in module variables (a scan is synchronous, so
 * one runs per thread at a time); hot loops work on local copies and store the position once.
 */
import { type CompactFile, FileAccumulator, GROUND, NONE } from './accumulator.js'
import { isEmergency, text } from './fields.js'
import { icaoKey, readIcao } from './icao.js'
import { MAX_MS, MIN_MS } from './iso-time.js'
import { numberEnd, readNumber, skipNumber } from './json-number.js'
import {
  K_AIRCRAFT,
  K_ALT_BARO,
  K_ALTITUDE,
  K_EMERGENCY,
  K_GS,
  K_HEX,
  K_ICAO,
  K_LAT,
  K_LON,
  K_NOW,
  K_R,
  K_SEEN_POS,
  K_SPEED,
  K_T,
  keyId,
  matches,
} from './scan-keys.js'

const BAIL = Symbol('bail')
const EMPTY = Buffer.alloc(0)
let b: Buffer = EMPTY
let p = 0
/** Set by scanString: the string had a backslash escape / a byte ≥ 0x80. */
let escaped = false
let highBytes = false

function fail(): never {
  throw BAIL
}

function skipWs() {
  const buf = b
  let i = p
  let c = buf[i]
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = buf[++i]
  p = i
}

/** p at the opening quote: validates the string, leaves p after it and returns the closing quote's index. */
function scanString(): number {
  const buf = b
  let i = p + 1
  let esc = false
  let high = false
  for (;;) {
    const c = buf[i]
    if (c === 0x22) break
    if (c === undefined || c < 0x20) fail() // unterminated, or a raw control character
    if (c === 0x5c) {
      esc = true
      const e = buf[i + 1]
      if (e === 0x75) {
        if (!isHex(buf[i + 2]) || !isHex(buf[i + 3]) || !isHex(buf[i + 4]) || !isHex(buf[i + 5])) fail()
        i += 6
        continue
      }
      if (e !== 0x22 && e !== 0x5c && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74)
        fail()
      i += 2
      continue
    }
    if (c >= 0x80) high = true
    i++
  }
  escaped = esc
  highBytes = high
  p = i + 1
  return i
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66))
}

/** A string value's content (p at the opening quote). */
function readString(): string {
  const start = p
  const end = scanString()
  if (escaped) return JSON.parse(b.toString('utf8', start, end + 1)) as string
  return b.toString(highBytes ? 'utf8' : 'latin1', start + 1, end)
}

const TRUE = Buffer.from('true')
const FALSE = Buffer.from('false')
const NULL = Buffer.from('null')

function expectLiteral(word: Buffer) {
  if (!matches(b, p, word)) fail()
  p += word.length
}

// Deep nesting is legal JSON, but recursion could overflow the stack; JSON.parse judges it instead.
const MAX_DEPTH = 512

/** Skips any value, validating it. */
function skipValue(depth: number) {
  const c = b[p]
  if (c === 0x22) scanString()
  else if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) {
    p = skipNumber(b, p)
    if (p < 0) fail()
  } else if (c === 0x5b) skipArray(depth + 1)
  else if (c === 0x7b) skipObject(depth + 1)
  else if (c === 0x74) expectLiteral(TRUE)
  else if (c === 0x66) expectLiteral(FALSE)
  else if (c === 0x6e) expectLiteral(NULL)
  else fail()
}

/** After a member or element: true to continue after a comma, false at the closing `close`. */
function next(close: number): boolean {
  skipWs()
  const c = b[p++]
  if (c === 0x2c) {
    skipWs()
    return true
  }
  if (c === close) return false
  fail()
}

function skipObject(depth: number) {
  if (depth > MAX_DEPTH) fail()
  p++
  skipWs()
  if (b[p] === 0x7d) {
    p++
    return
  }
  do {
    if (b[p] !== 0x22) fail()
    scanString()
    skipWs()
    if (b[p] !== 0x3a) fail()
    p++
    skipWs()
    skipValue(depth)
  } while (next(0x7d))
}

function skipArray(depth: number) {
  if (depth > MAX_DEPTH) fail()
  p++
  skipWs()
  if (b[p] === 0x5d) {
    p++
    return
  }
  do skipValue(depth)
  while (next(0x5d))
}

const W_GROUND = Buffer.from('ground')
const W_NONE = Buffer.from('none')

/**
 * Reads a key (p at its opening quote) and the colon after it; returns which key (K_OTHER for one
 * we do not use). A key with an escape is left to JSON.parse ("h\u0065x" is "hex").
 */
function readKey(): number {
  const buf = b
  const s = p + 1
  let i = s
  let c = buf[i]
  while (c !== 0x22) {
    if (c === undefined || c < 0x20 || c === 0x5c) fail()
    c = buf[++i]
  }
  const id = keyId(buf, s, i - s)
  c = buf[++i]
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = buf[++i]
  if (c !== 0x3a) fail()
  c = buf[++i]
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = buf[++i]
  p = i
  return id
}

/** A numeric field: its value if it is a finite number, NONE for any other JSON value (skipped). */
function numberField(depth: number): number {
  const c = b[p]
  if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) {
    const v = readNumber(b, p)
    if (numberEnd < 0) fail()
    p = numberEnd
    return v - v === 0 ? v : NONE // finite
  }
  skipValue(depth)
  return NONE
}

/** A text field (registration, type): see `text`. */
function textField(depth: number): string | null {
  if (b[p] !== 0x22) {
    skipValue(depth)
    return null
  }
  return text(readString())
}

// What readId found: no usable id; a 6-hex-digit id (idKey, and its text at idStart–idEnd, idUpper);
// a 6-hex-digit id written with escapes (idKey, idText); or another id (idText). idText is the key
// (lower-cased), idWritten the id as written.
const ID_NONE = 0
const ID_HEX = 1
const ID_HEX_TEXT = 2
const ID_TEXT = 3
const HEX6 = /^~?[0-9a-f]{6}$/
let idKey = 0
let idStart = 0
let idEnd = 0
let idUpper = false
let idText = ''
let idWritten = ''

/** Reads an id value (`hex` or `icao`), checking ICAO_PATTERN on the bytes. */
function readId(depth: number): number {
  if (b[p] !== 0x22) {
    skipValue(depth)
    return ID_NONE
  }
  const s = p + 1
  const end = scanString()
  if (escaped) {
    const written = readIcao(JSON.parse(b.toString('utf8', s - 1, end + 1)))
    if (written === null) return ID_NONE
    const id = icaoKey(written)
    idText = id
    idWritten = written
    if (!HEX6.test(id)) return ID_TEXT
    // Same table as the unescaped spelling, or "\u0061bc123" and "abc123" would be two aircraft.
    idKey = Number.parseInt(id.slice(-6), 16) + (id.startsWith('~') ? 0x1000000 : 0)
    return ID_HEX_TEXT
  }
  const buf = b
  let k = s
  let tilde = 0
  if (buf[k] === 0x7e) {
    k++
    tilde = 0x1000000
  }
  const len = end - k
  if (len < 1 || len > 10) return ID_NONE
  let upper = false
  let hex = len === 6
  let value = 0
  for (; k < end; k++) {
    const c = buf[k] as number
    let d: number
    if (c >= 0x30 && c <= 0x39) d = c - 0x30
    else if (c >= 0x61 && c <= 0x7a) d = c - 0x57
    else if (c >= 0x41 && c <= 0x5a) {
      d = c - 0x37
      upper = true
    } else return ID_NONE
    if (hex) {
      if (d > 15) hex = false
      else value = value * 16 + d
    }
  }
  if (hex) {
    idKey = value + tilde
    idStart = s
    idEnd = end
    idUpper = upper
    return ID_HEX
  }
  const id = buf.toString('latin1', s, end)
  idWritten = id
  idText = upper ? icaoKey(id) : id
  return ID_TEXT
}

function slotOfId(acc: FileAccumulator, kind: number): number {
  if (kind === ID_TEXT) return acc.slotOf(idText, idWritten)
  const i = acc.findHex(idKey)
  if (i >= 0) return i
  if (kind === ID_HEX_TEXT) return acc.addHex(idKey, idText, idWritten)
  const id = b.toString('latin1', idStart, idEnd)
  return acc.addHex(idKey, idUpper ? icaoKey(id) : id, id)
}

/**
 * The file's columns, or null when the scanner declines (invalid JSON, or valid JSON it leaves to
 * JSON.parse): parse-file.ts then takes the JSON.parse path, which decides.
 */
export function scanCompact(buf: Buffer): CompactFile | null {
  b = buf
  p = 0
  try {
    // A UTF-8 byte-order mark is not JSON whitespace: JSON.parse rejects it, and so does this.
    skipWs()
    let result: CompactFile
    if (b[p] === 0x5b) result = scanFlat()
    else if (b[p] === 0x7b) result = scanSnapshot()
    else fail()
    skipWs()
    if (p !== buf.length) fail() // trailing garbage
    return result
  } catch (err) {
    if (err === BAIL) return null
    throw err
  } finally {
    b = EMPTY // do not keep a 5 MB buffer alive between files
    idText = ''
    idWritten = ''
  }
}

function scanSnapshot(): CompactFile {
  p++
  skipWs()
  let now = NONE
  let nowSeen = false
  let result: CompactFile | null = null
  if (b[p] === 0x7d) fail() // {}: not a snapshot; the JSON.parse path names the shape
  do {
    if (b[p] !== 0x22) fail()
    const key = readKey()
    if (key === K_NOW) {
      if (result !== null) fail() // a "now" after the aircraft would change their times: JSON.parse decides
      now = numberField(1)
      nowSeen = true
    } else if (key === K_AIRCRAFT) {
      if (result !== null || !nowSeen || b[p] !== 0x5b || !(now * 1000 >= MIN_MS && now * 1000 <= MAX_MS)) fail()
      result = scanAircraftArray(new FileAccumulator('readsb-hist', now, b.length / 300)) // ~300-600 bytes an aircraft
    } else {
      skipValue(1)
    }
  } while (next(0x7d))
  if (result === null) fail()
  return result
}

function scanAircraftArray(acc: FileAccumulator): CompactFile {
  p++
  skipWs()
  if (b[p] === 0x5d) {
    p++
    return acc.finish()
  }
  do {
    if (b[p] === 0x7b) scanAircraft(acc)
    else {
      skipValue(2)
      acc.skipped++
    }
  } while (next(0x5d))
  return acc.finish()
}

/** One aircraft object; its fields live in locals (module variables would box every double). */
function scanAircraft(acc: FileAccumulator) {
  let id = ID_NONE
  let reg: string | null = null
  let type: string | null = null
  let alt = NONE
  let gs = NONE
  let emergency = false
  let lat = NONE
  let lon = NONE
  let seen = NONE
  p++
  skipWs()
  if (b[p] !== 0x7d) {
    do {
      if (b[p] !== 0x22) fail()
      switch (readKey()) {
        case K_HEX:
          id = readId(3)
          break
        case K_R:
          reg = textField(3)
          break
        case K_T:
          type = textField(3)
          break
        case K_ALT_BARO:
          if (b[p] === 0x22) {
            const s = p + 1
            const end = scanString()
            if (escaped) alt = JSON.parse(b.toString('utf8', s - 1, end + 1)) === 'ground' ? GROUND : NONE
            else alt = end - s === 6 && matches(b, s, W_GROUND) ? GROUND : NONE
          } else alt = numberField(3)
          break
        case K_GS:
          gs = numberField(3)
          break
        case K_EMERGENCY:
          if (b[p] === 0x22) {
            const s = p + 1
            const end = scanString()
            if (escaped) emergency = isEmergency(JSON.parse(b.toString('utf8', s - 1, end + 1)))
            else emergency = end !== s && !(end - s === 4 && matches(b, s, W_NONE))
          } else {
            skipValue(3)
            emergency = false
          }
          break
        case K_LAT:
          lat = numberField(3)
          break
        case K_LON:
          lon = numberField(3)
          break
        case K_SEEN_POS:
          seen = numberField(3)
          break
        default:
          skipValue(3)
      }
    } while (next(0x7d))
  } else p++
  if (id === ID_NONE) acc.skipped++
  else acc.add(slotOfId(acc, id), reg, type, alt, gs, emergency, lat, lon, seen)
}

function scanFlat(): CompactFile {
  const acc = new FileAccumulator('flat', NaN, b.length / 40)
  p++
  skipWs()
  if (b[p] === 0x5d) {
    p++
    return acc.finish()
  }
  do {
    if (b[p] === 0x7b) scanFlatRecord(acc)
    else {
      skipValue(1)
      acc.skipped++
    }
  } while (next(0x5d))
  return acc.finish()
}

function scanFlatRecord(acc: FileAccumulator) {
  let id = ID_NONE
  let alt = NONE
  let gs = NONE
  p++
  skipWs()
  if (b[p] !== 0x7d) {
    do {
      if (b[p] !== 0x22) fail()
      switch (readKey()) {
        case K_ICAO:
          id = readId(2)
          break
        case K_ALTITUDE:
          alt = numberField(2)
          break
        case K_SPEED:
          gs = numberField(2)
          break
        default:
          skipValue(2)
      }
    } while (next(0x7d))
  } else p++
  if (id === ID_NONE) acc.skipped++
  else acc.add(slotOfId(acc, id), null, null, alt, gs, false, NONE, NONE, NONE)
}
