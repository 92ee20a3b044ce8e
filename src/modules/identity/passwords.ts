/** Password hashing: argon2id with the OWASP-recommended cost (19 MiB, 2 passes, 1 lane). */
import { hash, verify } from '@node-rs/argon2'

// Algorithm.Argon2id; the package's `const enum` cannot be imported under isolated modules.
const ARGON2ID = 2
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

/** Hashes a password into a self-describing `$argon2id$…` string. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS)
}

// Verified against when the user does not exist, so an unknown username costs the same time as a
// wrong password and the answer does not reveal which usernames exist.
let dummyHash: Promise<string> | undefined

/** True when `password` matches `stored`; a missing or malformed hash never matches. */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (!stored) {
    dummyHash ??= hashPassword('statehouse-no-such-user')
    await verify(await dummyHash, password).catch(() => false)
    return false
  }
  try {
    return await verify(stored, password)
  } catch {
    return false
  }
}
