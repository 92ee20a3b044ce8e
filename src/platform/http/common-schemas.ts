/** Shared TypeBox primitives that resource schemas build on. */
import { type Static, type TObject, type TSchema, Type } from 'typebox'

/** The range every JSON client represents exactly (IEEE-754 doubles): ±(2^53 − 1). */
const SAFE_INTEGER = { minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER } as const

export const SafeInteger = (opts: { description?: string } = {}) => Type.Integer({ ...SAFE_INTEGER, ...opts })

export const IsoTimestamp = (description = 'ISO 8601 UTC timestamp ending in Z') =>
  Type.String({ format: 'date-time', description })

/**
 * A mapper from a row (or any richer object) to the members `schema` declares: the schema is the one
 * list of an API shape's members, so no row → view function restates them, and whatever else the
 * source holds stays out of responses and events. Members the row stores differently are given in
 * the source (`{ ...row, errors: JSON.parse(row.errors) }`); the type says when one is missing.
 */
export function membersOf<S extends TObject>(schema: S): <T extends Static<S>>(source: T) => Static<S> {
  const keys = Object.keys(schema.properties)
  return (source) => {
    const view: Record<string, unknown> = {}
    for (const key of keys) view[key] = (source as Record<string, unknown>)[key]
    return view as Static<S>
  }
}

export const PageQuery = {
  // Bounded: 1e309 and Infinity coerce to a number too, and an unbounded page overflowed offsets.
  page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1, description: 'page number, 1–1,000,000' }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'entries per page (1–100)' }),
}

/**
 * Text that both engines store as sent: no NUL (PostgreSQL text cannot hold it) and no lone UTF-16
 * surrogate (it would come back as U+FFFD, not as what was acknowledged).
 */
export const STORED_TEXT_PATTERN = '^[^\\u0000\\uD800-\\uDFFF]*$'
export const StoredText = (opts: { maxLength?: number; minLength?: number; description?: string } = {}) =>
  Type.String({ ...opts, pattern: STORED_TEXT_PATTERN })

// Response schemas avoid anyOf/oneOf: fast-json-stringify picks a branch by running ajv on the value
// at serialisation time, which made a 10-row /logs page cost ~4× a plain one. These two helpers keep
// the same wire shape and types with a single `type`/`enum` instead.

/** A string that is one of `values` (an `enum`, not a union of literals). */
export const StringEnum = <const T extends readonly string[]>(
  values: T,
  opts: { description?: string; default?: T[number] } = {},
) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts })

/** `schema` or null, as `type: [t, "null"]` (works for primitive schemas). */
export const Nullable = <T extends TSchema>(schema: T) => {
  const { type, ...rest } = schema as unknown as { type: string }
  return Type.Unsafe<Static<T> | null>({ ...rest, type: [type, 'null'], nullable: true })
}

/** A free-form JSON object (serialised as is). */
export const FreeObject = (description?: string) =>
  Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    additionalProperties: true,
    ...(description ? { description } : {}),
  })
