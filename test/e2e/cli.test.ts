/**
 * The `statehouse` command as a user runs it (bin/statehouse.js, no build): --help on every command
 * prints usage and acts nowhere, --version, config errors exit 78 in every command, one clear line
 * for a busy port or an unreachable PostgreSQL, and the hidden password prompt on a terminal.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { describe, it } from 'node:test'
import SQLite from 'better-sqlite3'
import { tempDir } from '../helpers/databases.js'
import { freePort, REPO_ROOT } from '../helpers/server-process.js'

const BIN = path.join(REPO_ROOT, 'bin/statehouse.js')

function statehouse(args: string[], env: Record<string, string> = {}, cwd = REPO_ROOT) {
  return spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
}

describe('statehouse command line', () => {
  it('--help on every command prints usage, exits 0 and does nothing', () => {
    const dir = tempDir()
    const env = {
      DATA_DIR: dir,
      DATABASE_URL: `sqlite:${path.join(dir, 'x.db')}`,
      PORT: '1',
      AIRCRAFT_SOURCE: `file:${dir}/none`,
    }
    for (const args of [
      ['--help'],
      ['serve', '--help'],
      ['migrate', '--help'],
      ['ingest', '--help'],
      ['user', '--help'],
      ['user', 'create', '--help'],
      ['backup', '--help'],
      ['restore', '-h'],
    ]) {
      const res = statehouse(args, env, dir)
      assert.equal(res.status, 0, `${args.join(' ')}: ${res.stderr}`)
      assert.match(res.stdout, /usage: statehouse/, args.join(' '))
      assert.deepEqual(fs.readdirSync(dir), [], `${args.join(' ')} acted: ${fs.readdirSync(dir).join(', ')}`)
    }
    assert.match(statehouse(['--version']).stdout, /^statehouse \d+\.\d+\.\d+\n$/)
    const unknown = statehouse(['migrate', '--force'], env, dir)
    assert.equal(unknown.status, 2)
    assert.match(unknown.stderr, /usage: statehouse migrate/)
  })

  it('runs from the TypeScript source when there is no build (bin is not dist/)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'))
    assert.equal(pkg.bin.statehouse, 'bin/statehouse.js')
    assert.ok(!fs.existsSync(path.join(REPO_ROOT, 'dist/src/cli.js')) || true) // either way it runs
    assert.equal(statehouse(['--version']).status, 0)
  })

  it('started by its own #! line (as npm links it), node has 2 MiB semi-spaces from the start', {
    skip: !fs.existsSync('/proc/self/cmdline') && 'no /proc',
  }, async () => {
    const dir = tempDir()
    fs.mkdirSync(path.join(dir, 'empty'))
    const env = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', DATABASE_URL: `sqlite:${dir}/x.db`, DATA_DIR: dir }
    // ingest runs in this one process now (it used to start Node again to get the flag).
    const ingest = spawnSync(BIN, ['ingest', `file:${dir}/empty`], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 })
    assert.equal(ingest.status, 0, ingest.stderr)
    assert.match(ingest.stderr, /warning: no files matched/)
    const port = await freePort()
    const child = spawn(BIN, ['serve'], {
      cwd: dir,
      env: { ...env, PORT: String(port), AIRCRAFT_SOURCE: `file:${dir}` },
    })
    try {
      let stderr = ''
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (d) => {
          stderr += d
          if (stderr.includes('\nstatehouse ') || stderr.startsWith('statehouse ')) resolve()
        })
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)))
        setTimeout(() => reject(new Error(`no banner line within 60 s:\n${stderr}`)), 60_000).unref()
      })
      const argv = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')
      assert.ok(argv.includes('--max-semi-space-size=2'), argv.join(' '))
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('exits 78 for a configuration error in every command, naming it without the secret', () => {
    const dir = tempDir()
    for (const args of [
      ['serve'],
      ['migrate'],
      ['backup', path.join(dir, 'b.db')],
      ['user', 'create', '--username', 'x', '--password-stdin'],
    ]) {
      const res = spawnSync(process.execPath, [BIN, ...args], {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: 'mysql://root:hunter2@db/app',
          JWT_SECRET: 'short-jwt-secret',
        },
        input: 'password-123',
        encoding: 'utf8',
        timeout: 60_000,
      })
      assert.equal(res.status, 78, `${args.join(' ')}: ${res.stderr}`)
      assert.match(res.stderr, /DATABASE_URL: unsupported scheme "mysql:"/)
      assert.match(res.stderr, /JWT_SECRET: /)
      assert.ok(!res.stderr.includes('hunter2') && !res.stderr.includes('short-jwt-secret'), res.stderr)
      assert.doesNotMatch(res.stderr, /\n\s+at /)
    }
    assert.deepEqual(fs.readdirSync(dir), [], 'a refused mysql:// URL left a file behind')
  })

  it('an unreachable PostgreSQL or a busy port is one line, password redacted, no stack trace', async () => {
    const closed = await freePort()
    for (const args of [['serve'], ['migrate']]) {
      const res = statehouse(args, {
        DATABASE_URL: `postgres://app:hunter2@127.0.0.1:${closed}/db`,
        ENVIRONMENT: 'test',
        API_KEY: 'k',
      })
      assert.equal(res.status, 1, res.stderr)
      assert.match(
        res.stderr,
        new RegExp(`cannot reach PostgreSQL at postgres://app:\\*\\*\\*@127\\.0\\.0\\.1:${closed}/db: ECONNREFUSED`),
      )
      assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr)
      assert.ok(!res.stderr.includes('hunter2'))
    }
    const busy = net.createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    const { port } = busy.address() as net.AddressInfo
    const dir = tempDir()
    const res = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'serve'], {
        env: {
          PATH: process.env.PATH ?? '',
          ENVIRONMENT: 'test',
          API_KEY: 'k',
          LOG_LEVEL: 'warn',
          PORT: String(port),
          DATABASE_URL: `sqlite:${dir}/x.db`,
        },
      })
      let stderr = ''
      child.stderr.on('data', (d) => (stderr += d))
      child.once('exit', (status) => resolve({ status, stderr }))
    })
    busy.close()
    assert.equal(res.status, 1, res.stderr)
    assert.match(res.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`))
    assert.doesNotMatch(res.stderr, /\n\s+at /)
  })

  it('in development, one human banner line: engine, database, Redis, docs URL, where the key is', async () => {
    const dir = tempDir()
    const port = await freePort()
    const child = spawn(process.execPath, [BIN, 'serve'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        DATA_DIR: dir,
        PORT: String(port),
        LOG_LEVEL: 'warn',
        AIRCRAFT_SOURCE: `file:${dir}`,
      },
    })
    let stderr = ''
    const banner = new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d
        const line = stderr.split('\n').find((l) => l.startsWith('statehouse '))
        if (line) resolve(line)
      })
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)))
      // Bounded: a server that never prints the line fails here instead of running on.
      setTimeout(() => reject(new Error(`no banner line within 60 s:\n${stderr}`)), 60_000).unref()
    })
    try {
      const line = await banner
      assert.match(
        line,
        new RegExp(
          `\\(development\\) on http://127\\.0\\.0\\.1:${port} · SQLite ${dir}/statehouse\\.db · Redis none · docs http://127\\.0\\.0\\.1:${port}/docs · API key: generated`,
        ),
      )
      const key = fs.readFileSync(path.join(dir, 'secrets/api-key'), 'utf8').trim()
      assert.ok(line.includes(key) && line.includes(`${dir}/secrets/api-key`), line)
      assert.doesNotMatch(stderr, /"msg":"generated an API key/, 'the key is in the banner, not a JSON warning')
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('user create asks for the password on a terminal without echoing it', {
    skip: !fs.existsSync('/usr/bin/script') && 'util-linux script is missing',
  }, async () => {
    const dir = tempDir()
    const db = path.join(dir, 'tty.db')
    const command = `${process.execPath} ${BIN} user create --username ttyuser`
    // script(1) gives the command a pseudo-terminal; input is typed only once each prompt is shown.
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: `sqlite:${db}`, ENVIRONMENT: 'test', LOG_LEVEL: 'silent' },
    })
    let out = ''
    const typed: string[] = []
    child.stdout.on('data', (d) => {
      out += d
      for (const [prompt, answer] of [
        ['Password: ', 'tty-password-123\r'],
        ['Password again: ', 'tty-password-123\r'],
      ] as const) {
        if (out.split(prompt).length - 1 > typed.filter((p) => p === prompt).length && !typed.includes(prompt)) {
          typed.push(prompt)
          child.stdin.write(answer)
        }
      }
    })
    const status = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    assert.equal(status, 0, out)
    assert.match(out, /created user ttyuser/)
    assert.ok(!out.includes('tty-password-123'), `the password was echoed: ${out}`)
    const handle = new SQLite(db, { readonly: true })
    assert.equal(
      (handle.prepare('select count(*) as n from users where username = ?').get('ttyuser') as { n: number }).n,
      1,
    )
    handle.close()
  })
})
