/** `statehouse ingest` as a real process (SPEC §6): progress bar, summary, exit codes, the same job. */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { brokenFiles, expectedStats, makeFiles, writeFolder } from '../../helpers/aircraft-files.js'
import { tempDir } from '../../helpers/databases.js'
import { REPO_ROOT } from '../../helpers/server-process.js'

function statehouse(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/cli.ts'), ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('statehouse ingest (CLI)', () => {
  it('shows a progress bar and a summary, exits 1 when a file failed, 0 on a clean re-run, and --json reports the job', async (t) => {
    const dir = tempDir('statehouse-cli-')
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const good = makeFiles(12)
    writeFolder([...good, ...brokenFiles()], path.join(dir, 'src'))
    const env = { DATABASE_URL: `sqlite:${path.join(dir, 'cli.db')}`, DATA_DIR: dir }

    const first = await statehouse(['ingest', `file:${path.join(dir, 'src')}`], env)
    assert.equal(first.code, 1, `exit code 1: two files are broken\n${first.stdout}\n${first.stderr}`)
    assert.match(
      first.stderr,
      /ingest \|.*\| 14\/14 files \| [\d,]+ records \| [\d,–]+ records\/s \| ETA/,
      'the progress bar reached 14/14',
    )
    assert.match(first.stdout, /files +14 listed: 12 processed, 0 skipped .*, 2 failed/)
    assert.match(first.stdout, /error +broken\/truncated\.json\.gz: /)
    assert.match(first.stdout, /error +broken\/not-json\.json: /)
    // The headline names the failed files and never calls the run a success.
    const headline = first.stdout.split('\n')[0] as string
    assert.match(headline, /2 of 14 files failed \(broken\/not-json\.json, broken\/truncated\.json\.gz\)/, headline)
    assert.doesNotMatch(first.stdout, /successfully|\(succeeded\)/)
    const records = [...expectedStats(good).values()].reduce((n, s) => n + s.observations, 0)
    assert.match(first.stdout, new RegExp(`records +${records.toLocaleString('en-US')} in`))

    // Only the good files: a clean run (everything skipped) exits 0, and --json names the numbers.
    fs.rmSync(path.join(dir, 'src/broken'), { recursive: true })
    const again = await statehouse(['ingest', `file:${path.join(dir, 'src')}`, '--json'], env)
    assert.equal(again.code, 0, again.stderr)
    const summary = JSON.parse(again.stdout.trim().split('\n').at(-1) as string)
    assert.equal(summary.status, 'succeeded')
    assert.equal(summary.files_skipped, 12)
    assert.equal(summary.files_processed, 0)
    assert.equal(summary.records_processed, 0)
    assert.ok(summary.peak_rss_bytes > 0)

    const usage = await statehouse(['ingest', 'file:/a', 'file:/b'], env)
    assert.equal(usage.code, 2)
    assert.match(usage.stderr, /one source at most/)
  })

  it('a source that cannot be used exits 2 with why, before any database exists: missing folder, unknown scheme, a file, no bucket', async (t) => {
    const dir = tempDir('statehouse-cli-')
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const dbFile = path.join(dir, 'cli.db')
    const env = { DATABASE_URL: `sqlite:${dbFile}`, DATA_DIR: dir }
    const aFile = path.join(dir, 'a-file.json')
    fs.writeFileSync(aFile, '{}')
    const cases: [string, RegExp][] = [
      ['/no/such/folder', /^statehouse ingest: folder \/no\/such\/folder does not exist$/m],
      ['ftp://x', /source ftp:\/\/x: unknown scheme "ftp:"/],
      [aFile, /a-file\.json is not a folder/],
      ['s3://', /no bucket/],
    ]
    for (const [source, message] of cases) {
      const run = await statehouse(['ingest', source], env)
      assert.equal(run.code, 2, `${source}: exit 2\n${run.stdout}${run.stderr}`)
      assert.match(run.stderr, message, source)
      assert.doesNotMatch(run.stdout, /successfully/, source)
    }
    assert.equal(fs.existsSync(dbFile), false, 'no database was made for a source that cannot be used')
    assert.equal(fs.existsSync(path.join(REPO_ROOT, 'ftp:')), false, 'ftp://x was not read as the folder ./ftp:/x')
  })

  it('an empty source or a prefix matching nothing warns "no files matched" (exit 0, no ETA placeholder); reasons are one line each', async (t) => {
    const dir = tempDir('statehouse-cli-')
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const env = { DATABASE_URL: `sqlite:${path.join(dir, 'cli.db')}`, DATA_DIR: dir }
    fs.mkdirSync(path.join(dir, 'empty'))
    writeFolder(makeFiles(2), path.join(dir, 'some'))

    for (const args of [
      [`file:${path.join(dir, 'empty')}`],
      [`file:${path.join(dir, 'some')}`, '--prefix', 'no-such-day'],
    ]) {
      const run = await statehouse(['ingest', ...args], env)
      assert.equal(run.code, 0, `${args.join(' ')}\n${run.stdout}${run.stderr}`)
      assert.match(run.stdout.split('\n')[0] as string, /^No files matched: /)
      assert.match(run.stderr, /warning: no files matched/)
      assert.doesNotMatch(run.stdout, /successfully/)
      assert.doesNotMatch(run.stderr, /ETA (LL|NF)s|NULL|INF/)
    }

    // A reason that spans lines (JSON.parse quotes the text) and a file name with a newline in it.
    writeFolder([{ key: 'two\nlines.json', body: Buffer.from('xy\nzz\nww') }], path.join(dir, 'odd'))
    const odd = await statehouse(['ingest', `file:${path.join(dir, 'odd')}`], env)
    assert.equal(odd.code, 1, odd.stdout + odd.stderr)
    const errorLines = odd.stdout.split('\n').filter((l) => l.startsWith('  error'))
    assert.equal(errorLines.length, 1, odd.stdout)
    assert.match(errorLines[0] as string, /two \/ lines\.json: .*xy \/ zz \/ ww/)
    assert.deepEqual(
      odd.stdout.split('\n').filter((l) => l !== '' && !/^(\S| {2}(job|files|records|peak RSS|error) )/.test(l)),
      [],
      'every summary line is a known line',
    )
  })
})
