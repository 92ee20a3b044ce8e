/** Record times: integer epoch milliseconds inside, ISO 8601 UTC text (`…Z`) outside. */

// Valid Date range for 4-digit ISO years: `YYYY-MM-DDTHH:mm:ss.sssZ` text then sorts as time does,
// which the stats fold relies on (first_seen/last_seen are the min/max of the text).
export const MIN_MS = -62_167_219_200_000 // 0000-01-01
export const MAX_MS = 253_402_300_799_999 // 9999-12-31T23:59:59.999

/** "000Z" … "999Z". */
const MILLIS = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(3, '0')}Z`)
// The text up to the second for a window of seconds around the last one asked for: a snapshot's
// times spread over minutes (ADS-C reports are old), so a one-entry cache would keep missing.
const ISO_WINDOW = 4096
let isoBase = NaN
let isoPrefixes: (string | undefined)[] = []

/** ISO 8601 UTC to the millisecond (`2023-11-01T00:00:00.300Z`) of an integer epoch-ms time. */
export function toIso(ms: number): string {
  const sec = Math.floor(ms / 1000)
  const milli = ms - sec * 1000
  let d = sec - isoBase
  if (!(d >= 0 && d < ISO_WINDOW)) {
    isoBase = sec - ISO_WINDOW / 2
    isoPrefixes = new Array(ISO_WINDOW)
    d = ISO_WINDOW / 2
  }
  let prefix = isoPrefixes[d]
  if (prefix === undefined) {
    prefix = new Date(sec * 1000).toISOString().slice(0, 20) // YYYY-MM-DDTHH:mm:ss.
    isoPrefixes[d] = prefix
  }
  return prefix + (MILLIS[milli] as string)
}
