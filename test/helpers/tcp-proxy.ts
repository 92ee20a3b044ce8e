/** A TCP proxy the test owns: cut it to make a dependency vanish without stopping the shared server. */
import net from 'node:net'

export interface TcpProxy {
  port: number
  /** Drops every connection and refuses new ones. */
  cut(): void
  /** Accepts connections again. */
  restore(): void
  close(): Promise<void>
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let up = true
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    if (!up) return client.destroy()
    const upstream = net.connect(targetPort, targetHost)
    sockets.add(client).add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream).pipe(client)
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
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
