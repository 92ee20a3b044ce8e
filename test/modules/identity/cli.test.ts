/** `statehouse user create` as a real child process on a SQLite file, then a login with what it made. */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import type { Dialect } from '../../helpers/databases.js'
import { assertProblem } from '../../helpers/problem.js'
import { REPO_ROOT } from '../../helpers/server-process.js'
import { identityApp } from '../../helpers/users.js'

// SQLite only, built here rather than taken from helpers/databases.ts, whose import-time PostgreSQL
// probe this file does not need.
const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-cli-'))
const sqliteFile: Dialect = {
  name: 'sqlite',
  skip: false,
  create: async () => ({ url: `sqlite:${path.join(tempDir(), 'x.db')}`, drop: async () => {} }),
}

function cli(args: string[], env: Record<string, string>, input = '') {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/cli.ts'), ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ENVIRONMENT: 'test', ...env },
    input,
    encoding: 'utf8',
  })
}

describe('statehouse user create', () => {
  it('creates a (super)user from a password on stdin; the user can log in; a duplicate exits 1', async (t) => {
    const dir = tempDir()
    const url = `sqlite:${path.join(dir, 'cli.db')}`
    const made = cli(
      ['user', 'create', '--username', 'opsadmin', '--password-stdin', '--superuser', '--email', 'ops@example.com'],
      { DATABASE_URL: url },
      'cli-password-123\n',
    )
    assert.equal(made.status, 0, made.stderr)
    assert.match(
      made.stdout,
      /created user opsadmin \(id [0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}, superuser\)/,
    )
    assert.ok(!made.stdout.includes('cli-password-123') && !made.stderr.includes('cli-password-123'))
    const plain = cli(
      ['user', 'create', '--username', 'worker', '--password-stdin'],
      { DATABASE_URL: url },
      'worker-password',
    )
    assert.equal(plain.status, 0, plain.stderr)
    assert.doesNotMatch(plain.stdout, /superuser/)
    const again = cli(
      ['user', 'create', '--username', 'opsadmin', '--password-stdin'],
      { DATABASE_URL: url },
      'other-password',
    )
    assert.equal(again.status, 1)
    assert.match(again.stderr, /already exists/)

    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const app = await identityApp(t, sqliteFile, { database: { url, drop: async () => {} } })
    const res = await app.inject({
      method: 'POST',
      url: '/auth/password',
      payload: { username: 'opsadmin', password: 'cli-password-123' },
    })
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(res.json().user.is_superuser, true)
    assert.equal(res.json().user.email, 'ops@example.com')
    assertProblem(
      await app.inject({
        method: 'POST',
        url: '/auth/password',
        payload: { username: 'opsadmin', password: 'other-password' },
      }),
      401,
    )
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/token',
          payload: { username: 'worker', password: 'worker-password' },
        })
      ).statusCode,
      200,
    )
  })

  it('refuses bad arguments with exit 2', (t) => {
    const dir = tempDir()
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const env = { DATABASE_URL: `sqlite:${path.join(dir, 'bad.db')}` }
    for (const [args, input, message] of [
      [['user', 'create', '--username', 'x'], 'password-123', /--password-stdin is required/],
      [['user', 'create', '--password-stdin'], 'password-123', /--username is required/],
      [['user', 'create', '--username', 'bad name', '--password-stdin'], 'password-123', /--username is required/],
      [['user', 'create', '--username', 'x', '--password-stdin'], 'short', /at least 8/],
      [['user', 'create', '--username', 'x', '--password-stdin', '--admin'], 'password-123', /unknown argument/],
      [['user', 'delete'], '', /usage: statehouse user create/],
    ] as const) {
      const res = cli([...args], env, input)
      assert.equal(res.status, 2, `${args.join(' ')}: ${res.stderr}`)
      assert.match(res.stderr, message)
    }
  })
})
