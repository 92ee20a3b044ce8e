/** A TCP proxy the test owns: cut it to make a dependency vanish without stopping the shared server. */
import net from 'node:net'

export interface TcpProxy {
  port: number
  /** Drops every connection and refuses new ones. */
  cut(): void
  /** Accepts connections again. */
  restore(): void
  /**
   * A half-open network: every connection stays open but nothing is forwarded either way (bytes wait
   * in the socket buffers) and a close on one side is not passed on; new connections are accepted and
   * get no answer. Neither peer learns anything until {@link resume}.
   */
  blackhole(): void
  /** Forwards again: waiting bytes flow, and pairs whose other side closed meanwhile are closed. */
  resume(): void
  close(): Promise<void>
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let up = true
  let holding = false
  const sockets = new Set<net.Socket>()
  /** Each connection pair: how to stop and start its forwarding, and whether a side closed while held. */
  const pairs = new Set<{ hold(): void; release(): void }>()
  const server = net.createServer((client) => {
    if (!up) return client.destroy()
    const upstream = net.connect(targetPort, targetHost)
    sockets.add(client).add(upstream)
    let closedWhileHeld = false
    const pair = {
      hold() {
        client.unpipe(upstream)
        upstream.unpipe(client)
        client.pause()
        upstream.pause()
      },
      release() {
        if (closedWhileHeld) return drop()
        client.pipe(upstream)
        upstream.pipe(client)
      },
    }
    pairs.add(pair)
    const drop = () => {
      if (holding) {
        closedWhileHeld = true
        return
      }
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    if (holding) pair.hold()
    else client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      up = false
      for (const s of sockets) s.destroy()
      sockets.clear()
    },
    restore() {
      up = true
    },
    blackhole() {
      holding = true
      for (const pair of pairs) pair.hold()
    },
    resume() {
      holding = false
      for (const pair of [...pairs]) pair.release()
    },
    close: () =>
      new Promise((resolve) => {
        holding = false
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
