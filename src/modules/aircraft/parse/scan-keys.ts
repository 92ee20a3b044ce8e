/**
 * The keys the byte scanner (scanner.ts) uses, recognised from their bytes without making a string:
 * dispatch on length and first byte, then compare.
 */

/** Whether buf[s, s + word.length) is `word`. */
export function matches(buf: Buffer, s: number, word: Buffer): boolean {
  for (let k = 0; k < word.length; k++) if (buf[s + k] !== word[k]) return false
  return true
}

// What keyId found: K_OTHER for a key the scanner skips.
const K_OTHER = 0
export const K_HEX = 1
export const K_R = 2
export const K_T = 3
export const K_ALT_BARO = 4
export const K_GS = 5
export const K_EMERGENCY = 6
export const K_LAT = 7
export const K_LON = 8
export const K_SEEN_POS = 9
export const K_NOW = 10
export const K_AIRCRAFT = 11
export const K_ICAO = 12
export const K_ALTITUDE = 13
export const K_SPEED = 14
const W_ICAO = Buffer.from('icao')
const W_SPEED = Buffer.from('speed')
const W_ALT_BARO = Buffer.from('alt_baro')
const W_AIRCRAFT = Buffer.from('aircraft')
const W_ALTITUDE = Buffer.from('altitude')
const W_SEEN_POS = Buffer.from('seen_pos')
const W_EMERGENCY = Buffer.from('emergency')

/** Which of the keys we use sits at buf[s, s + len): dispatch on length and first bytes, then compare. */
export function keyId(buf: Buffer, s: number, len: number): number {
  const c0 = buf[s]
  switch (len) {
    case 1:
      return c0 === 0x72 ? K_R : c0 === 0x74 ? K_T : K_OTHER
    case 2:
      return c0 === 0x67 && buf[s + 1] === 0x73 ? K_GS : K_OTHER
    case 3: {
      const c1 = buf[s + 1]
      const c2 = buf[s + 2]
      if (c0 === 0x68) return c1 === 0x65 && c2 === 0x78 ? K_HEX : K_OTHER
      if (c0 === 0x6c) return c1 === 0x61 && c2 === 0x74 ? K_LAT : c1 === 0x6f && c2 === 0x6e ? K_LON : K_OTHER
      if (c0 === 0x6e) return c1 === 0x6f && c2 === 0x77 ? K_NOW : K_OTHER
      return K_OTHER
    }
    case 4:
      return c0 === 0x69 && matches(buf, s, W_ICAO) ? K_ICAO : K_OTHER
    case 5:
      return c0 === 0x73 && matches(buf, s, W_SPEED) ? K_SPEED : K_OTHER
    case 8:
      if (c0 === 0x61)
        return matches(buf, s, W_ALT_BARO)
          ? K_ALT_BARO
          : matches(buf, s, W_AIRCRAFT)
            ? K_AIRCRAFT
            : matches(buf, s, W_ALTITUDE)
              ? K_ALTITUDE
              : K_OTHER
      return c0 === 0x73 && matches(buf, s, W_SEEN_POS) ? K_SEEN_POS : K_OTHER
    case 9:
      return c0 === 0x65 && matches(buf, s, W_EMERGENCY) ? K_EMERGENCY : K_OTHER
    default:
      return K_OTHER
  }
}
