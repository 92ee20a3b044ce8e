/** loadConfig: defaults, coercion, the DATABASE_URL / DB_* rules, and errors that name each bad key. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError, loadConfig, sqliteFilename } from '../src/config.js'

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
    assert.deepEqual(loadConfig({ DATABASE_URL: 'sqlite:///abs/x.db' }).database, { engine: 'sqlite', filename: '/abs/x.db' })
    assert.deepEqual(loadConfig({ DATABASE_URL: 'sqlite:rel/x.db' }).database, { engine: 'sqlite', filename: 'rel/x.db' })
    assert.deepEqual(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).database, { engine: 'sqlite', filename: ':memory:' })
    assert.deepEqual(loadConfig({ DATABASE_URL: '/var/lib/x.db' }).database, { engine: 'sqlite', filename: '/var/lib/x.db' })
    assert.equal(sqliteFilename('sqlite://rel.db'), 'rel.db')
  })

  it('builds a PostgreSQL URL from DB_* when DATABASE_URL is unset', () => {
    const c = loadConfig({ DB_HOST: 'db.internal', DB_PORT: '6543', DB_USER: 'app', DB_PASSWORD: 'p@ss:w/rd', DB_NAME: 'state' })
    assert.deepEqual(c.database, { engine: 'postgresql', url: 'postgresql://app:p%40ss%3Aw%2Frd@db.internal:6543/state' })
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
      for (const key of ['PORT', 'RATE_LIMIT_PER_MINUTE', 'ENVIRONMENT', 'LOG_LEVEL']) assert.match(text, new RegExp(`^${key}:`, 'm'))
    }
  })

  it('requires an API key in production', () => {
    assert.throws(() => loadConfig({ ENVIRONMENT: 'production' }), /API_KEY: required/)
    assert.doesNotThrow(() => loadConfig({ ENVIRONMENT: 'production', API_KEY: 'k' }))
  })

  it('coerces booleans and numbers from text', () => {
    const c = loadConfig({ TRUST_PROXY: 'true', REQUEST_LOG: 'false', PORT: '8080', SQLITE_SYNCHRONOUS: 'normal' })
    assert.equal(c.TRUST_PROXY, true)
    assert.equal(c.REQUEST_LOG, false)
    assert.equal(c.PORT, 8080)
    assert.equal(c.SQLITE_SYNCHRONOUS, 'NORMAL')
    assert.equal(loadConfig({ TRUST_PROXY: '10.0.0.1,10.0.0.2' }).TRUST_PROXY, '10.0.0.1,10.0.0.2')
  })
})
