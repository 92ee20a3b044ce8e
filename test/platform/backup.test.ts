/**
 * `statehouse backup` / `restore` on SQLite (acceptance 2 of issue 14): a backup taken from the real
 * server process while clients keep incrementing restores to a database whose counter equals its
 * log row count and that passes PRAGMA integrity_check; restore refuses a bad file and a live one.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import SQLite from 'better-sqlite3'
import { tempDir } from '../helpers/databases.js'
import { REPO_ROOT, startServer } from '../helpers/server-process.js'

const KEY = 'backup-key-0123456789'
const BIN = path.join(REPO_ROOT, 'bin/statehouse.js')

function statehouse(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ENVIRONMENT: 'test', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  })
}

function counterAndLog(file: string) {
  const db = new SQLite(file, { readonly: true })
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }),
      counter: (db.prepare('select counter from state where id = 1').get() as { counter: number }).counter,
      version: (db.prepare('select version from state where id = 1').get() as { version: number }).version,
      logRows: (db.prepare('select count(*) as n from state_log').get() as { n: number }).n,
    }
  } finally {
    db.close()
  }
}

describe('statehouse backup and restore (SQLite)', () => {
  it('a backup taken under concurrent increments restores consistent: counter = log rows, integrity ok', {
    timeout: 300_000,
  }, async (t) => {
    const dir = tempDir()
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const live = path.join(dir, 'live.db')
    const env = { DATABASE_URL: `sqlite:${live}`, API_KEY: KEY }
    const server = await startServer({
      ...env,
      ENVIRONMENT: 'test',
      LOG_LEVEL: 'warn',
      REQUEST_LOG: 'false',
      RATE_LIMIT_PER_MINUTE: '0',
    })
    t.after(() => server.stop('SIGKILL'))
    let stop = false
    let sent = 0
    const writer = async () => {
      // Bounded: at most 3000 increments per writer, and it stops once the backups are taken.
      for (let i = 0; i < 3000 && !stop; i++) {
        const res = await fetch(`${server.url}/update`, {
          method: 'POST',
          headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
          body: '{"increment":1}',
        })
        assert.equal(res.status, 200, await res.text())
        await res.arrayBuffer().catch(() => {})
        sent++
      }
    }
    const writers = Array.from({ length: 8 }, writer)
    while (sent < 200) await new Promise((r) => setTimeout(r, 20))
    const backups: string[] = []
    try {
      for (let i = 0; i < 3; i++) {
        const file = path.join(dir, `backup-${i}.db`)
        const res = statehouse(['backup', file], env)
        assert.equal(res.status, 0, res.stderr)
        assert.match(res.stdout, /integrity ok/)
        backups.push(file)
      }
    } finally {
      stop = true
      await Promise.all(writers)
    }
    assert.ok(sent > 200)
    for (const file of backups) {
      const restoredUrl = path.join(dir, `restored-${path.basename(file)}`)
      const res = statehouse(['restore', file], { DATABASE_URL: `sqlite:${restoredUrl}` })
      assert.equal(res.status, 0, res.stderr)
      const got = counterAndLog(restoredUrl)
      assert.equal(got.integrity, 'ok')
      assert.ok(got.counter > 0, 'the backup holds no increments')
      assert.equal(got.counter, got.logRows, `${file}: counter ${got.counter} but ${got.logRows} log rows`)
      assert.equal(got.version, got.logRows)
    }
    // The server's own database was never disturbed, and a restore over it is refused while it runs.
    const refused = statehouse(['restore', backups[0]!], env)
    assert.equal(refused.status, 1)
    assert.match(refused.stderr, /in use by another process/)
    assert.equal(((await (await fetch(`${server.url}/status`)).json()) as { counter: number }).counter, sent)
  })

  it('restore refuses a file that is not a sound statehouse database and leaves the target alone; backup refuses to overwrite', (t) => {
    const dir = tempDir()
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const target = path.join(dir, 'target.db')
    fs.writeFileSync(target, 'keep me')
    const env = { DATABASE_URL: `sqlite:${target}` }
    const garbage = path.join(dir, 'garbage.db')
    fs.writeFileSync(garbage, 'this is not a database'.repeat(100))
    const other = path.join(dir, 'other.db')
    new SQLite(other).exec('create table t (x)').close()
    for (const [file, message] of [
      [garbage, /cannot be opened as SQLite|not a sound SQLite/],
      [other, /not a statehouse database/],
      [path.join(dir, 'none.db'), /no such file/],
    ] as const) {
      const res = statehouse(['restore', file], env)
      assert.equal(res.status, 1, res.stderr)
      assert.match(res.stderr, message)
      assert.equal(fs.readFileSync(target, 'utf8'), 'keep me')
    }
    const exists = statehouse(['backup', garbage], { DATABASE_URL: `sqlite:${other}` })
    assert.equal(exists.status, 1)
    assert.match(exists.stderr, /already exists/)
  })

  it('on PostgreSQL both commands explain pg_dump / pg_restore and exit 2', () => {
    for (const command of ['backup', 'restore']) {
      const res = statehouse([command, '/tmp/never-written.dump'], { DATABASE_URL: 'postgres://u:pw@127.0.0.1:1/db' })
      assert.equal(res.status, 2, res.stderr)
      assert.match(res.stderr, /pg_dump[\s\S]*pg_restore/)
    }
  })
})
