/**
 * deploy/nginx/statehouse.conf under a bare nginx (Debian's, on this machine): the snippet with its
 * three `server appN:5000` lines pointed at local ports and `listen 8080` at a free one, included
 * from a minimal nginx.conf whose every path (pid, logs, temp files) lives in one temporary prefix,
 * so nothing outside it is touched and no root is needed. The access log records which upstream
 * served each request.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

export const NGINX_SNIPPET = fileURLToPath(new URL('../../deploy/nginx/statehouse.conf', import.meta.url))

/** Debian's nginx, or another on PATH; undefined when none is installed. */
export function findNginx(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'])
    if (fs.existsSync(candidate)) return candidate
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' })
  return which.status === 0 ? which.stdout.trim() || undefined : undefined
}

/** The snippet with the upstream at 127.0.0.1:`ports[i]` and the server on 127.0.0.1:`listen`. */
export function rewriteSnippet(snippet: string, ports: number[], listen: number): string {
  let i = 0
  const rewritten = snippet
    .replace(/server app[1-3]:5000/g, () => `server 127.0.0.1:${ports[i++] ?? 0}`)
    .replace(/listen 8080;/, `listen 127.0.0.1:${listen};`)
  assert.equal(i, 3, 'the snippet must contain exactly three `server appN:5000` lines to rewrite')
  assert.notEqual(rewritten.indexOf(`listen 127.0.0.1:${listen};`), -1, 'the snippet must contain `listen 8080;`')
  return rewritten
}

/**
 * Writes `dir`/statehouse.conf (the rewritten snippet) and `dir`/nginx.conf including it; returns
 * the nginx.conf path. `dir` is made traversable because a root master runs its workers as nobody.
 */
export function writeBareNginxConfig(snippet: string, dir: string, ports: number[], listen: number): string {
  fs.chmodSync(dir, 0o755)
  if (process.getuid?.() === 0) {
    // Workers of a root master run as nobody: they must reach the temp paths (large bodies, responses).
    for (let d = path.dirname(path.resolve(dir)); d !== path.dirname(d); d = path.dirname(d)) {
      assert.ok(
        (fs.statSync(d).mode & 0o001) !== 0,
        `${d} is not traversable by nginx's workers (nobody): use a prefix outside it`,
      )
    }
  }
  fs.writeFileSync(path.join(dir, 'statehouse.conf'), rewriteSnippet(snippet, ports, listen))
  const conf = path.join(dir, 'nginx.conf')
  fs.writeFileSync(
    conf,
    [
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log warn;`,
      'worker_processes 1;',
      'events { worker_connections 256; }',
      'http {',
      "  log_format upstreams '$status $request_method $uri upstream=$upstream_addr';",
      `  access_log ${dir}/access.log upstreams;`,
      `  client_body_temp_path ${dir}/client_body;`,
      `  proxy_temp_path ${dir}/proxy;`,
      `  fastcgi_temp_path ${dir}/fastcgi;`,
      `  uwsgi_temp_path ${dir}/uwsgi;`,
      `  scgi_temp_path ${dir}/scgi;`,
      `  include ${dir}/statehouse.conf;`,
      '}',
      '',
    ].join('\n'),
  )
  return conf
}

/** `nginx -t` on a config written by {@link writeBareNginxConfig}. */
export function testNginxConfig(nginx: string, dir: string, conf: string) {
  return spawnSync(nginx, ['-t', '-e', path.join(dir, 'error.log'), '-p', dir, '-c', conf], { encoding: 'utf8' })
}

export interface RunningNginx {
  url: string
  dir: string
  /** The access log so far: one `status method uri upstream=addr` line per request. */
  accessLog(): string
  output(): string
  stop(): Promise<void>
}

/** Starts nginx in the foreground on `dir`'s config and waits until /health answers through it. */
export async function startNginx(
  nginx: string,
  dir: string,
  conf: string,
  listen: number,
  timeoutMs = 30_000,
): Promise<RunningNginx> {
  const child: ChildProcess = spawn(
    nginx,
    ['-e', path.join(dir, 'error.log'), '-p', dir, '-c', conf, '-g', 'daemon off;'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  child.stdout?.on('data', (d) => (out += d))
  child.stderr?.on('data', (d) => (out += d))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = `http://127.0.0.1:${listen}`
  const readLog = (name: string) =>
    fs.existsSync(path.join(dir, name)) ? fs.readFileSync(path.join(dir, name), 'utf8') : ''
  const running: RunningNginx = {
    url,
    dir,
    accessLog: () => readLog('access.log'),
    output: () => `${out}${readLog('error.log')}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGQUIT') // graceful: finish open requests, then exit
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}:\n${running.output()}`)
    try {
      const res = await fetch(`${url}/health`, { headers: { connection: 'close' } })
      await res.text()
      if (res.ok) return running
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await running.stop()
      throw new Error(`nginx did not answer /health in time:\n${running.output()}`)
    }
    await sleep(100)
  }
}
