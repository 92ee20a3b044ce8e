/** Route-schema helpers for error responses: every error is the one Problem schema (see ../errors.ts). */
import { Type } from 'typebox'

/** A reference to the shared Problem schema (added once by the platform as `$id: 'Problem'`). */
const problemRef = Type.Unsafe<unknown>({ $ref: 'Problem#' })

/** `response` entries for the given error statuses, each a Problem: `response: { 200: X, ...errors(404, 422) }`. */
export const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, problemRef]))
