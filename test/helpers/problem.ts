/** The one check that an answer is an application/problem+json error (SPEC §1), for app.inject replies. */
import assert from 'node:assert/strict'
import type { LightMyRequestResponse } from 'fastify'
import type { FieldError } from '../../src/platform/errors.js'

/** What the tests read of an app.inject reply. */
export type InjectedReply = Pick<LightMyRequestResponse, 'statusCode' | 'headers' | 'body' | 'json'>

/** A problem+json body (src/platform/errors.ts), with room for the extras some problems carry. */
export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  errors?: FieldError[]
  [extra: string]: unknown
}

/** Checks a parsed body: the status it claims and the four text members every problem has. */
export function assertProblemBody(body: unknown, status: number, what = 'problem'): ProblemBody {
  assert.ok(typeof body === 'object' && body !== null, `${what}: not an object: ${JSON.stringify(body)}`)
  const problem = body as ProblemBody
  assert.equal(problem.status, status, `${what}: problem.status`)
  for (const field of ['type', 'title', 'detail', 'instance'] as const)
    assert.equal(typeof problem[field], 'string', `${what}: problem.${field}`)
  return problem
}

/** Asserts an application/problem+json answer with `status`, and returns its body. */
export function assertProblem(res: InjectedReply, status: number): ProblemBody {
  assert.equal(res.statusCode, status, `expected ${status}, got ${res.statusCode}: ${res.body}`)
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
  return assertProblemBody(res.json(), status)
}
