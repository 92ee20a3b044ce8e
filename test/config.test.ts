/** loadConfig: defaults, coercion, the DATABASE_URL / DB_* rules, and errors that name each bad key. */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { ConfigError, loadConfig, sqliteFilename, withEnvFile } from '../src/config.js'

/** The problems a bad environment is refused with (fails when it is accepted). */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  assert.fail(`accepted ${JSON.stringify(env)}`)
}

describe('loadConfig', () => {
  it('defaults to the embedded SQLite file in ./data and port 5000', () => {
    const c = loadConfig({})
    assert.deepEqual(c.database, { engine: 'sqlite', filename: './data/statehouse.db' })
    assert.equal(c.PORT, 5000)
    assert.equal(c.ENVIRONMENT, 'development')
    assert.equal(c.RATE_LIMIT_PER_MINUTE, 1000)
    assert.equal(c.BODY_LIMIT, 65536)
    assert.deepEqual(c.apiKeys, [])
  })

  it('infers the engine from DATABASE_URL', () => {
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).database.engine, 'postgresql')
    assert.equal(loadConfig({ DATABASE_URL: 'postgresql://u@h/db' }).database.engine, 'postgresql')
    assert.deepEqual(loadConfig({ DATABASE_URL: 'sqlite:///abs/x.db' }).database, {
      engine: 'sqlite',
      filename: '/abs/x.db',
    })
    assert.deepEqual(loadConfig({ DATABASE_URL: 'sqlite:rel/x.db' }).database, {
      engine: 'sqlite',
      filename: 'rel/x.db',
    })
    assert.deepEqual(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).database, {
      engine: 'sqlite',
      filename: ':memory:',
    })
    assert.deepEqual(loadConfig({ DATABASE_URL: '/var/lib/x.db' }).database, {
      engine: 'sqlite',
      filename: '/var/lib/x.db',
    })
    assert.equal(sqliteFilename('sqlite://rel.db'), 'rel.db')
  })

  it('builds a PostgreSQL URL from DB_* when DATABASE_URL is unset', () => {
    const c = loadConfig({
      DB_HOST: 'db.internal',
      DB_PORT: '6543',
      DB_USER: 'app',
      DB_PASSWORD: 'p@ss:w/rd',
      DB_NAME: 'state',
    })
    assert.deepEqual(c.database, {
      engine: 'postgresql',
      url: 'postgresql://app:p%40ss%3Aw%2Frd@db.internal:6543/state',
    })
    const explicit = loadConfig({ DB_HOST: 'ignored', DATABASE_URL: 'sqlite:x.db' })
    assert.equal(explicit.database.engine, 'sqlite')
  })

  it('DATABASE_TYPE forces the engine and refuses a URL of the other kind', () => {
    assert.equal(loadConfig({ DATABASE_TYPE: 'sqlite', DATABASE_URL: 'x.db' }).database.engine, 'sqlite')
    assert.throws(() => loadConfig({ DATABASE_TYPE: 'postgresql', DATABASE_URL: 'sqlite:x.db' }), ConfigError)
    assert.throws(() => loadConfig({ DATABASE_TYPE: 'sqlite', DATABASE_URL: 'postgres://h/d' }), ConfigError)
  })

  it('collects API_KEY and API_KEYS', () => {
    assert.deepEqual(loadConfig({ API_KEY: 'a', API_KEYS: 'b, c,,' }).apiKeys, ['a', 'b', 'c'])
  })

  it('names every bad key at once', () => {
    try {
      loadConfig({ PORT: 'eighty', RATE_LIMIT_PER_MINUTE: '-3', ENVIRONMENT: 'staging', LOG_LEVEL: 'loud' })
      assert.fail('should have thrown')
    } catch (err) {
      assert.ok(err instanceof ConfigError)
      const text = err.problems.join('\n')
      for (const key of ['PORT', 'RATE_LIMIT_PER_MINUTE', 'ENVIRONMENT', 'LOG_LEVEL'])
        assert.match(text, new RegExp(`^${key}:`, 'm'))
    }
  })

  it('requires an API key in production', () => {
    assert.throws(() => loadConfig({ ENVIRONMENT: 'production' }), /API_KEY: required/)
    assert.doesNotThrow(() => loadConfig({ ENVIRONMENT: 'production', API_KEY: 'k', JWT_SECRET: 'x'.repeat(32) }))
  })

  it('coerces booleans and numbers from text', () => {
    const c = loadConfig({ TRUST_PROXY: 'true', REQUEST_LOG: 'false', PORT: '8080', SQLITE_SYNCHRONOUS: 'normal' })
    assert.equal(c.TRUST_PROXY, true)
    assert.equal(c.REQUEST_LOG, false)
    assert.equal(c.PORT, 8080)
    assert.equal(c.SQLITE_SYNCHRONOUS, 'NORMAL')
    assert.equal(loadConfig({ TRUST_PROXY: '10.0.0.1,10.0.0.2' }).TRUST_PROXY, '10.0.0.1,10.0.0.2')
  })

  it("refuses a DATABASE_URL scheme that is neither engine's, with the password redacted", () => {
    for (const url of ['mysql://root:hunter2@db/app', 'https://x/y', 'file:./x.db', 'redis://h']) {
      const [problem, ...more] = problemsOf({ DATABASE_URL: url })
      assert.equal(more.length, 0)
      assert.match(problem!, /^DATABASE_URL: unsupported scheme/, url)
      assert.doesNotMatch(problem!, /hunter2/)
    }
    // Paths that only look like a scheme (a drive letter, a relative name) stay SQLite files.
    assert.deepEqual(loadConfig({ DATABASE_URL: './data/x.db' }).database, {
      engine: 'sqlite',
      filename: './data/x.db',
    })
  })

  it('names every problem in one run: production without API_KEY and JWT_SECRET, and a bad port', () => {
    const problems = problemsOf({ ENVIRONMENT: 'production', PORT: 'http' })
    assert.equal(problems.length, 3, problems.join('\n'))
    assert.match(problems.join('\n'), /PORT: /)
    assert.match(problems.join('\n'), /API_KEY: required when ENVIRONMENT=production/)
    assert.match(problems.join('\n'), /JWT_SECRET: required when ENVIRONMENT=production/)
  })

  it('never echoes a secret in an error', () => {
    const env = {
      JWT_SECRET: 'short-secret-value',
      API_KEY: 'x',
      DB_PASSWORD: 'p',
      ADMIN_PASSWORD: 'admin-pw',
      DATABASE_URL: 'ftp://u:db-password@h/x',
    }
    Object.assign(env, { API_KEY: '' })
    const text = problemsOf(env).join('\n')
    assert.match(text, /JWT_SECRET: .*18 characters/)
    for (const secret of ['short-secret-value', 'db-password'])
      assert.ok(!text.includes(secret), `${secret} in: ${text}`)
  })

  it('binds 127.0.0.1 by default except in production; HOST wins', () => {
    assert.equal(loadConfig({}).HOST, '127.0.0.1')
    assert.equal(loadConfig({ ENVIRONMENT: 'test' }).HOST, '127.0.0.1')
    assert.equal(loadConfig({ ENVIRONMENT: 'production', API_KEY: 'k', JWT_SECRET: 'x'.repeat(32) }).HOST, '0.0.0.0')
    assert.equal(loadConfig({ HOST: '0.0.0.0' }).HOST, '0.0.0.0')
  })

  it('reads HSTS', () => {
    assert.equal(loadConfig({}).HSTS, false)
    assert.equal(loadConfig({ HSTS: 'true' }).HSTS, true)
    assert.match(problemsOf({ HSTS: 'maybe' })[0]!, /^HSTS: /)
  })

  it('puts a .env file under the environment: the environment wins, no file changes nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-env-'))
    const file = path.join(dir, '.env')
    fs.writeFileSync(file, '# comment\nPORT=6001\nLOG_LEVEL="debug"\nHSTS=true\n')
    const merged = withEnvFile({ PORT: '7000' }, file)
    assert.deepEqual(
      { PORT: merged.PORT, LOG_LEVEL: merged.LOG_LEVEL, HSTS: merged.HSTS },
      { PORT: '7000', LOG_LEVEL: 'debug', HSTS: 'true' },
    )
    assert.deepEqual(withEnvFile({ PORT: '7000' }, path.join(dir, 'none')), { PORT: '7000' })
    fs.rmSync(dir, { recursive: true, force: true })
  })
})
