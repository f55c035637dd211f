// tunnel (http-client's own proxy tunnel) ships no types; only its HTTPS-over-HTTP(S) agents are used.
declare module 'tunnel' {
  import type { Agent } from 'node:http'
  import type { ConnectionOptions } from 'node:tls'
  export interface TunnelOptions extends ConnectionOptions {
    maxSockets?: number
    keepAlive?: boolean
    proxy: { host: string; port: number | string; proxyAuth?: string }
  }
  const tunnel: {
    httpsOverHttp: (options: TunnelOptions) => Agent
    httpsOverHttps: (options: TunnelOptions) => Agent
  }
  export default tunnel
}
