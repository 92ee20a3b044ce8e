/**
 * Secrets that development may generate instead of asking for: made once, kept in the data folder
 * (mode 0600) so restarts keep them. Production never calls this; its config requires the values.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

export function ensureGeneratedSecret(dataDir: string, name: string, bytes = 32): { value: string; created: boolean } {
  const file = path.join(dataDir, 'secrets', name)
  try {
    const value = fs.readFileSync(file, 'utf8').trim()
    if (value) return { value, created: false }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const value = randomBytes(bytes).toString('base64url')
  fs.writeFileSync(file, value + '\n', { mode: 0o600, flag: 'wx' })
  return { value, created: true }
}
