/**
 * TRUST_PROXY → Fastify's `trustProxy`, i.e. which X-Forwarded-For entries name the client.
 *
 * - a hop count `n`: the last `n` addresses (the socket's peer, then X-Forwarded-For from the right)
 *   are proxies; the one before them is the client. Fastify ≥ 5.12 treats a bare number as "trust
 *   nothing" (it cannot check the peer), so the count becomes a trust function here. Right when the
 *   app is reachable only through those proxies (compose's network, ECS behind the ALB).
 * - addresses or CIDRs (`10.0.0.0/8,127.0.0.1`, or proxy-addr's `loopback`, `uniquelocal`): only
 *   hops from those are trusted; a forged X-Forwarded-For from anywhere else is ignored.
 * - `true`: the leftmost X-Forwarded-For entry is the client, whoever sent it. Only behind a proxy
 *   that overwrites the header; behind one that appends (nginx's `$proxy_add_x_forwarded_for`, an
 *   ALB) a client can name any address and dodge every per-client limit.
 * - `false`: the socket's peer is the client.
 */
import net from 'node:net'

export type TrustProxy = boolean | string | ((address: string, hop: number) => boolean)

const NAMED = new Set(['loopback', 'linklocal', 'uniquelocal'])

/** Why a TRUST_PROXY string is unusable, or undefined when it is fine. */
export function trustProxyProblem(value: string): string | undefined {
  if (/^\d+$/.test(value)) return Number(value) <= 100 ? undefined : 'a hop count above 100 is not a real chain'
  for (const part of value.split(',').map((p) => p.trim())) {
    if (NAMED.has(part)) continue
    const [address, bits, extra] = part.split('/')
    const family = net.isIP(address ?? '')
    const maxBits = family === 6 ? 128 : 32
    if (family === 0 || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= maxBits)))
      return `"${part}" is not an address, a CIDR or one of ${[...NAMED].join(', ')}`
  }
  return undefined
}

export function trustProxyOption(value: boolean | string): TrustProxy {
  if (typeof value === 'boolean') return value
  if (/^\d+$/.test(value)) {
    const hops = Number(value)
    return hops === 0 ? false : (_address, hop) => hop < hops
  }
  return value
}
