/**
 * The image's runtime stage without Docker (issue 6; SPEC §10): what deploy/docker/Dockerfile
 * builds is laid out in a temporary /app — the compiled JavaScript (`npm run build`), the
 * manifests, the sample aircraft set made by the build stage's own gen:aircraft command — and
 * started exactly as the final stage says: its ENV, its WORKDIR layout, its CMD, /data as the data
 * folder, and only the secrets the README's `docker run` passes. Then the image's HEALTHCHECK
 * command must pass (and fail with nothing listening), the whole test/deployed suite must pass
 * against it (SQLite, the embedded default aircraft source), and SIGTERM (what tini forwards) must
 * end it with exit code 0. node_modules is the repository's (dev dependencies included): that the
 * production set suffices is docker.test.ts's productionImportsDeclared check.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { tempDir } from '../helpers/databases.js'
import { freePort, REPO_ROOT, TSX_LOADER } from '../helpers/server-process.js'
import { assertWholeSuitePassed, runDeployedSuite } from './deployed-suite.js'
import { execArgs, keyValues, parseDockerfile, type Stage } from './docker-checks.js'

const stages = parseDockerfile(fs.readFileSync(path.join(REPO_ROOT, 'deploy/docker/Dockerfile'), 'utf8'))
const runtime = stages.at(-1) as Stage
const build = stages.find((s) => s.name === 'build') as Stage
const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword)

/** The final stage's ENV, in order. */
function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const ins of all(runtime, 'ENV'))
    for (const { key, value } of keyValues(ins)) env[key] = (value ?? '').replace(/^["']|["']$/g, '')
  return env
}

/** HEALTHCHECK's command (exec form), without its options. */
function healthcheckCommand(): string[] {
  const hc = all(runtime, 'HEALTHCHECK').at(-1)
  assert.ok(hc, 'no HEALTHCHECK')
  const m = /\bCMD\s+(\[.*\])\s*$/s.exec(hc.args)
  assert.ok(m, `HEALTHCHECK is not in exec form: ${hc.args}`)
  return execArgs(m[1] as string)
}

/** The arguments the build stage passes to `npm run gen:aircraft --`. */
function sampleSetArgs(): string[] {
  const run = all(build, 'RUN').find((r) => /npm run gen:aircraft --/.test(r.args))
  assert.ok(run, 'the build stage does not generate the sample set')
  return (/npm run gen:aircraft -- ([^&;|]*)/.exec(run.args)?.[1] ?? '').trim().split(/\s+/)
}

async function waitForHealth(url: string, child: ReturnType<typeof spawn>, output: () => string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output()}`)
    const ok = await fetch(`${url}/health`, { headers: { connection: 'close' } }).then(
      async (r) => (await r.text(), r.ok),
      () => false,
    )
    if (ok) return
    await sleep(100)
  }
  throw new Error(`the server did not answer /health:\n${output()}`)
}

describe('deploy: the image runtime stage, laid out and started as the Dockerfile says', () => {
  it('runs compiled JavaScript on /data with the baked-in sample set, passes its HEALTHCHECK and the whole smoke suite, and stops on SIGTERM', {
    timeout: 600_000,
  }, async (t: TestContext) => {
    const root = tempDir('statehouse-image-')
    t.after(() => fs.rmSync(root, { recursive: true, force: true }))
    const app = path.join(root, 'app')
    const data = path.join(root, 'data') // the /data volume
    fs.mkdirSync(app)
    fs.mkdirSync(data)

    // Build stage: `npm run build` (tsc -p tsconfig.build.json), here into the temporary /app.
    const tsc = spawnSync(
      process.execPath,
      [
        path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        path.join(app, 'dist'),
      ],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      },
    )
    // Type errors are the typecheck's job; this needs the emitted server.
    assert.ok(
      fs.existsSync(path.join(app, 'dist/src/server.js')),
      `tsc emitted no dist/src/server.js:\n${tsc.stdout}${tsc.stderr}`,
    )
    // ... and the sample set, with the build stage's own arguments.
    // The generator runs in /app (it writes data/sample-aircraft there), so tsx comes from the clone.
    const gen = spawnSync(
      process.execPath,
      ['--import', TSX_LOADER, path.join(REPO_ROOT, 'scripts/gen-aircraft.ts'), ...sampleSetArgs()],
      { cwd: app, encoding: 'utf8' },
    )
    assert.equal(gen.status, 0, gen.stderr)
    assert.ok(fs.readdirSync(path.join(app, 'data/sample-aircraft')).length >= 2, 'the sample set is empty')
    // Runtime stage: manifests, dist and data/sample-aircraft under /app; its dependencies.
    for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(REPO_ROOT, f), path.join(app, f))
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(app, 'node_modules'))

    const env = imageEnv()
    assert.equal(env.ENVIRONMENT, 'production')
    assert.equal(env.DATA_DIR, '/data')
    const port = await freePort()
    const secrets = {
      API_KEY: `image-key-${randomBytes(12).toString('hex')}`,
      JWT_SECRET: randomBytes(32).toString('hex'),
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: `pw-${randomBytes(12).toString('hex')}`,
    }
    // Only PATH from this machine, the image's ENV (with the volume's real path and a free port),
    // and the secrets `docker run -e` passes: no DATABASE_URL, no AIRCRAFT_SOURCE.
    const runEnv = {
      PATH: process.env.PATH ?? '',
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: data,
      LOG_LEVEL: 'warn',
      ...secrets,
    }
    const cmd = execArgs(all(runtime, 'CMD').at(-1)?.args ?? '')
    assert.equal(cmd[0], 'node', `CMD ${cmd.join(' ')}`)
    const child = spawn(process.execPath, cmd.slice(1), { cwd: app, env: runEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout?.on('data', (d) => (out += d))
    child.stderr?.on('data', (d) => (out += d))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL')
    })
    const url = `http://127.0.0.1:${port}`
    await waitForHealth(url, child, () => out)

    // The image's HEALTHCHECK, run as Docker runs it (in the container's environment).
    const [hcBin, ...hcArgs] = healthcheckCommand()
    assert.equal(hcBin, 'node')
    assert.equal(
      spawnSync(process.execPath, hcArgs, { env: runEnv }).status,
      0,
      'HEALTHCHECK failed against a healthy server',
    )
    assert.equal(
      spawnSync(process.execPath, hcArgs, { env: { ...runEnv, PORT: String(await freePort()) } }).status,
      1,
      'HEALTHCHECK passed with nothing listening',
    )

    const run = await runDeployedSuite({
      API_URL: url,
      ...secrets,
      API_USERNAME: secrets.ADMIN_USERNAME,
      API_PASSWORD: secrets.ADMIN_PASSWORD,
    })
    assertWholeSuitePassed(run, () => `--- server output ---\n${out}`)
    // The SQLite database lives on the volume, nothing under /app.
    assert.ok(
      fs.existsSync(path.join(data, 'statehouse.db')),
      `no statehouse.db on the /data volume: ${fs.readdirSync(data).join(', ')}`,
    )

    child.kill('SIGTERM')
    assert.equal(await exited, 0, `SIGTERM did not end the server with 0:\n${out}`)
  })
})
