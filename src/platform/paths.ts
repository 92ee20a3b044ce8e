/** Where the package's own files are, whether running from src/ (tsx) or dist/src/ (compiled). */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error('package.json not found above ' + import.meta.url)
    dir = parent
  }
  return dir
}

export const PACKAGE_ROOT = findRoot()
export const PACKAGE_VERSION: string = JSON.parse(
  fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8'),
).version
