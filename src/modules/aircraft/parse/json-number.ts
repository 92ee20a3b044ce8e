/**
 * JSON numbers read straight from bytes for the scanner (scanner.ts), giving the very double
 * JSON.parse gives; anything outside the JSON grammar is reported, never guessed at.
 */

/** Where the last {@link readNumber} stopped: the index after the number, or -1 when there was none. */
export let numberEnd = 0

function notANumber(): number {
  numberEnd = -1
  return Number.NaN
}

const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
]

/**
 * The number at buf[start] ('-' or a digit), validated against the JSON grammar; sets {@link numberEnd}.
 * With up to 15 significant digits and no exponent, mantissa / 10^k is one correctly rounded division
 * of exact values: the same double JSON.parse gives (Clinger's fast path). Anything longer goes
 * through Number().
 */
export function readNumber(buf: Buffer, start: number): number {
  let i = start
  let c = buf[i]
  let neg = false
  if (c === 0x2d) {
    neg = true
    c = buf[++i]
  }
  let mant = 0
  let digits = 0
  if (c === 0x30) {
    c = buf[++i]
  } else if (c !== undefined && c >= 0x31 && c <= 0x39) {
    do {
      mant = mant * 10 + (c - 0x30)
      digits++
      c = buf[++i]
    } while (c !== undefined && c >= 0x30 && c <= 0x39)
  } else return notANumber()
  let scale = 0
  if (c === 0x2e) {
    c = buf[++i]
    if (c === undefined || c < 0x30 || c > 0x39) return notANumber()
    do {
      mant = mant * 10 + (c - 0x30)
      if (mant !== 0) digits++ // the leading zeros of 0.000123 are not significant
      scale++
      c = buf[++i]
    } while (c !== undefined && c >= 0x30 && c <= 0x39)
  }
  let exact = digits <= 15 && scale <= 22
  if (c === 0x65 || c === 0x45) {
    c = buf[++i]
    if (c === 0x2b || c === 0x2d) c = buf[++i]
    if (c === undefined || c < 0x30 || c > 0x39) return notANumber()
    do c = buf[++i]
    while (c !== undefined && c >= 0x30 && c <= 0x39)
    exact = false
  }
  numberEnd = i
  if (!exact) return Number(buf.toString('latin1', start, i))
  const v = scale === 0 ? mant : mant / (POW10[scale] as number)
  return neg ? -v : v
}

/** The index after the number at buf[start], validated but not computed; -1 when it is not a JSON number. */
export function skipNumber(buf: Buffer, start: number): number {
  let i = start
  let c = buf[i]
  if (c === 0x2d) c = buf[++i]
  if (c === 0x30) c = buf[++i]
  else if (c !== undefined && c >= 0x31 && c <= 0x39) {
    do c = buf[++i]
    while (c !== undefined && c >= 0x30 && c <= 0x39)
  } else return -1
  if (c === 0x2e) {
    c = buf[++i]
    if (c === undefined || c < 0x30 || c > 0x39) return -1
    do c = buf[++i]
    while (c !== undefined && c >= 0x30 && c <= 0x39)
  }
  if (c === 0x65 || c === 0x45) {
    c = buf[++i]
    if (c === 0x2b || c === 0x2d) c = buf[++i]
    if (c === undefined || c < 0x30 || c > 0x39) return -1
    do c = buf[++i]
    while (c !== undefined && c >= 0x30 && c <= 0x39)
  }
  return i
}
