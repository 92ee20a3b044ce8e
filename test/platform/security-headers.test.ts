/**
 * HSTS and upgrade-insecure-requests by what is true of the request: over TLS (X-Forwarded-Proto
 * from a trusted proxy) or when HSTS=true, never on plain HTTP otherwise, on JSON and pages alike.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp } from '../helpers/app.js'
import { sqlite } from '../helpers/databases.js'

const HTTPS = { 'x-forwarded-proto': 'https' }

function tlsOnly(headers: Record<string, unknown>) {
  return {
    hsts: headers['strict-transport-security'] !== undefined,
    upgrade: /upgrade-insecure-requests/.test(String(headers['content-security-policy'] ?? '')),
  }
}

describe('security headers by protocol', () => {
  it('plain HTTP gets neither HSTS nor upgrade-insecure-requests; X-Forwarded-Proto counts only from a trusted proxy', async (t) => {
    const direct = await buildTestApp(t, sqlite)
    for (const url of ['/status', '/docs/', '/redoc']) {
      const plain = await direct.inject({ url })
      assert.equal(plain.statusCode, 200, url)
      assert.deepEqual(tlsOnly(plain.headers), { hsts: false, upgrade: false }, `${url} over plain HTTP`)
      // Anyone can send the header; without TRUST_PROXY it says nothing.
      assert.deepEqual(
        tlsOnly((await direct.inject({ url, headers: HTTPS })).headers),
        { hsts: false, upgrade: false },
        `${url} spoofed proto`,
      )
    }
    const proxied = await buildTestApp(t, sqlite, { env: { TRUST_PROXY: 'true' } })
    assert.deepEqual(tlsOnly((await proxied.inject({ url: '/status', headers: HTTPS })).headers), {
      hsts: true,
      upgrade: false,
    })
    for (const url of ['/docs/', '/redoc']) {
      assert.deepEqual(
        tlsOnly((await proxied.inject({ url, headers: HTTPS })).headers),
        { hsts: true, upgrade: true },
        `${url} via TLS`,
      )
      assert.deepEqual(
        tlsOnly((await proxied.inject({ url })).headers),
        { hsts: false, upgrade: false },
        `${url} via plain HTTP`,
      )
    }
  })

  it('HSTS=true sends both on every response', async (t) => {
    const app = await buildTestApp(t, sqlite, { env: { HSTS: 'true' } })
    assert.match(String((await app.inject({ url: '/status' })).headers['strict-transport-security']), /max-age=\d+/)
    assert.deepEqual(tlsOnly((await app.inject({ url: '/redoc' })).headers), { hsts: true, upgrade: true })
  })

  it('the ReDoc bundle points its footer logo at this server', async (t) => {
    const app = await buildTestApp(t, sqlite)
    const bundle = await app.inject({ url: '/redoc/redoc.standalone.js' })
    assert.equal(bundle.statusCode, 200)
    assert.doesNotMatch(bundle.body, /cdn\.redoc\.ly/)
    const logo = await app.inject({ url: '/redoc/logo-mini.svg' })
    assert.equal(logo.statusCode, 200)
    assert.match(String(logo.headers['content-type']), /image\/svg\+xml/)
  })
})
