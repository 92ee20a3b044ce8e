/** Start-up rules of src/server.ts: production needs its secrets; development makes an API key once. */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { loadConfig } from '../src/config.js'
import { withDevelopmentSecrets } from '../src/server.js'
import { tempDir } from './helpers/databases.js'
import { REPO_ROOT } from './helpers/server-process.js'

describe('server start-up', () => {
  it('refuses to start in production without an API key, naming the variable (exit 78)', () => {
    const dir = tempDir()
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/server.ts')], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, ENVIRONMENT: 'production', DATABASE_URL: `sqlite:${dir}/x.db`, PORT: '0' },
      encoding: 'utf8',
      timeout: 30_000,
    })
    assert.equal(result.status, 78, result.stderr)
    assert.match(result.stderr, /API_KEY: required when ENVIRONMENT=production/)
  })

  it('refuses to start in production without JWT_SECRET, naming it, exit 78 and no stack trace', () => {
    const dir = tempDir()
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/server.ts')], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        ENVIRONMENT: 'production',
        API_KEY: 'a-production-key-0123456789',
        DATABASE_URL: `sqlite:${dir}/x.db`,
        PORT: '0',
      },
      encoding: 'utf8',
      timeout: 30_000,
    })
    assert.equal(result.status, 78, result.stderr)
    assert.match(result.stderr, /JWT_SECRET: required when ENVIRONMENT=production/)
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'a configuration error should not print a stack trace')
  })

  it('names every bad variable and exits 78', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/server.ts')], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, PORT: 'http', BODY_LIMIT: 'big' },
      encoding: 'utf8',
      timeout: 30_000,
    })
    assert.equal(result.status, 78, result.stderr)
    assert.match(result.stderr, /PORT: /)
    assert.match(result.stderr, /BODY_LIMIT: /)
  })

  it('in development, generates an API key once, keeps it in the data folder (0600) and reuses it', () => {
    const dir = tempDir()
    const config = loadConfig({ DATA_DIR: dir, DATABASE_URL: `sqlite:${dir}/x.db` })
    const first = withDevelopmentSecrets(config)
    assert.equal(first.config.apiKeys.length, 1)
    const key = first.config.apiKeys[0]!
    assert.ok(key.length >= 40)
    assert.ok(
      first.notices.some((n) => n.includes(key)),
      'the new key is printed once',
    )
    const file = path.join(dir, 'secrets', 'api-key')
    assert.equal(fs.statSync(file).mode & 0o777, 0o600)
    const second = withDevelopmentSecrets(config)
    assert.deepEqual(second.config.apiKeys, [key])
    assert.ok(!second.notices.some((n) => n.includes(key)), 'a reused key is not printed again')
    const explicit = withDevelopmentSecrets(loadConfig({ DATA_DIR: dir, API_KEY: 'mine' }))
    assert.deepEqual(explicit.config.apiKeys, ['mine'])
  })
})
