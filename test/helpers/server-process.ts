/** Runs the real server (`src/server.ts`) as a child process on a free port, for process-level tests. */
import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/**
 * tsx's loader resolved from the clone, for `node --import` in a child whose working directory is
 * not the clone: a bare `--import tsx` resolves from that folder's parents, and finds tsx only where
 * something outside the clone left a node_modules (issue 18).
 */
export const TSX_LOADER = import.meta.resolve('tsx')

export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

export interface ServerProcess {
  url: string
  port: number
  child: ChildProcess
  output: () => string
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

let bundledServer: Promise<string> | undefined

/**
 * src/server.ts bundled by esbuild with the build's options, once per test process, under
 * node_modules/.cache (so package.json and node_modules are found above it, as from dist/src). It
 * starts in a third of the time tsx takes to load ~1,500 source files, which tests that start the
 * server many times need; and it is what production runs.
 */
function bundleServer(): Promise<string> {
  bundledServer ??= (async () => {
    const [{ build }, { SERVER_BUNDLE_OPTIONS }] = await Promise.all([
      import('esbuild'),
      // @ts-expect-error: a plain .mjs module without types
      import('../../scripts/bundle-options.mjs'),
    ])
    // Built beside, then renamed over the one shared file: test processes bundling at once each
    // leave the same complete file, and nothing accumulates from run to run.
    const dir = path.join(REPO_ROOT, 'node_modules/.cache/statehouse-tests')
    const outdir = path.join(dir, `build-${process.pid}`)
    await build({
      ...SERVER_BUNDLE_OPTIONS,
      absWorkingDir: REPO_ROOT,
      entryPoints: { server: 'src/server.ts' },
      outdir,
    })
    const server = path.join(dir, 'server.js')
    fs.renameSync(path.join(outdir, 'server.js'), server)
    fs.rmSync(outdir, { recursive: true, force: true })
    return server
  })()
  return bundledServer
}

export async function startServer(
  env: Record<string, string>,
  opts: { timeoutMs?: number; bundled?: boolean } = {},
): Promise<ServerProcess> {
  const port = Number(env.PORT ?? (await freePort()))
  const entry = opts.bundled ? [await bundleServer()] : ['--import', 'tsx', path.join(REPO_ROOT, 'src/server.ts')]
  const child = spawn(process.execPath, entry, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.on('data', (d) => (out += d))
  child.stderr?.on('data', (d) => (out += d))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${out}`)
    try {
      if ((await fetch(`${url}/health`)).ok) break
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`server did not answer /health in time:\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    port,
    child,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal)
      return exited
    },
  }
}
