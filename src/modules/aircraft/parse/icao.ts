/** What an aircraft id is, and the key it is matched by. */

/**
 * An aircraft id: 1–10 ASCII letters or digits, optionally `~`-prefixed (a non-ICAO TIS-B track).
 * A string, because the route schema (JSON Schema `pattern`) takes one; compiled once for {@link readIcao}.
 */
export const ICAO_PATTERN = '^~?[A-Za-z0-9]{1,10}$'
const ICAO_REGEXP = new RegExp(ICAO_PATTERN)

/**
 * The id as written when it is one ({@link ICAO_PATTERN}), else null. No trimming: `" a1"` is not an
 * id. Ids are returned as the data first wrote them (a flat record's `A320` stays `A320`) and matched
 * case-insensitively, through {@link icaoKey}.
 */
export function readIcao(s: unknown): string | null {
  return typeof s === 'string' && ICAO_REGEXP.test(s) ? s : null
}

/** The key an id is stored and matched by: lower-cased, so `A320` and `a320` are one aircraft. */
export function icaoKey(icao: string): string {
  return icao.toLowerCase()
}
