/**
 * TRUST_PROXY=1 (what compose and ECS set) behind the real nginx config (deploy/nginx/statehouse.conf):
 * each client has its own login budget (two clients, 127.0.0.2 and 127.0.0.3, as source addresses),
 * and a forged X-Forwarded-For does not dodge it. Before issue 17 Fastify trusted nothing for a hop
 * count, so every client behind nginx shared nginx's one bucket.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import {
  findNginx,
  NGINX_SNIPPET,
  type RunningNginx,
  startNginx,
  writeBareNginxConfig,
} from '../deploy/nginx-harness.js'
import { testEnv } from '../helpers/app.js'
import { sqlite, tempDir } from '../helpers/databases.js'
import { freePort } from '../helpers/server-process.js'
import { RELIABILITY_JWT_SECRET, STATIC_KEY } from './helpers.js'

const nginx = findNginx()

/** One request from a given source address through nginx. */
function request(
  base: string,
  localAddress: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: unknown },
): Promise<{ status: number; body: string }> {
  const url = new URL(opts.path, base)
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body)
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: opts.method ?? 'GET',
        localAddress,
        agent: false,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')))
    req.end(payload)
  })
}

describe('TRUST_PROXY=1 behind nginx', { skip: nginx ? false : 'nginx is not installed' }, () => {
  let proxy: RunningNginx
  let close: () => Promise<void>

  before(async () => {
    const database = await sqlite.create()
    const app = await buildApp(
      loadConfig(
        testEnv(database.url, {
          JWT_SECRET: RELIABILITY_JWT_SECRET,
          TRUST_PROXY: '1',
          LOGIN_RATE_LIMIT_PER_MINUTE: '5',
          RATE_LIMIT_PER_MINUTE: '1000',
        }),
      ),
    )
    await app.listen({ host: '127.0.0.1', port: 0 })
    const appPort = (app.server.address() as AddressInfo).port
    const created = await app.inject({
      method: 'POST',
      url: '/users',
      headers: STATIC_KEY,
      payload: { username: 'nell', password: 'nell-password-1' },
    })
    assert.equal(created.statusCode, 200, created.body)
    const dir = tempDir('statehouse-nginx-')
    const listen = await freePort()
    const conf = writeBareNginxConfig(fs.readFileSync(NGINX_SNIPPET, 'utf8'), dir, [appPort, appPort, appPort], listen)
    proxy = await startNginx(nginx as string, dir, conf, listen)
    close = async () => {
      await proxy.stop()
      await app.close()
      await database.drop()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
  after(async () => close?.())

  const login = (from: string, password: string, headers: Record<string, string> = {}) =>
    request(proxy.url, from, { method: 'POST', path: '/token', headers, body: { username: 'nell', password } })

  it("one client's 5 bad logins do not lock out another; a forged X-Forwarded-For does not dodge the limit", async () => {
    for (let i = 0; i < 5; i++) assert.equal((await login('127.0.0.2', 'wrong')).status, 401)
    assert.equal((await login('127.0.0.2', 'nell-password-1')).status, 429, 'the first client is limited')
    const other = await login('127.0.0.3', 'nell-password-1')
    assert.equal(other.status, 200, `another client logs in: ${other.body}`)
    for (const forged of ['198.51.100.77', '127.0.0.3', '10.0.0.1, 198.51.100.78']) {
      const dodge = await login('127.0.0.2', 'nell-password-1', { 'x-forwarded-for': forged })
      assert.equal(dodge.status, 429, `X-Forwarded-For: ${forged} is not a new client`)
    }
  })
})

describe('TRUST_PROXY values', () => {
  const env = (TRUST_PROXY: string) => ({ ENVIRONMENT: 'test', DATABASE_URL: 'sqlite::memory:', TRUST_PROXY })

  it('takes a hop count, addresses/CIDRs or a boolean, and names anything else', () => {
    for (const ok of ['1', '2', 'true', 'false', '10.0.0.0/8, 127.0.0.1', 'loopback,::1', 'fd00::/8'])
      assert.doesNotThrow(() => loadConfig(env(ok)), ok)
    for (const bad of ['nginx', '10.0.0.0/33', '1.2.3', '10.0.0.1/8/1', '101'])
      assert.throws(() => loadConfig(env(bad)), /TRUST_PROXY/, bad)
  })
})
