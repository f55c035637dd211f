import { getProxyUrl } from '@actions/http-client'
import { Agent as HttpsAgent } from 'node:https'
import type { Agent } from 'node:http'
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls'
import tunnel from 'tunnel'

/** TLS material an auth method puts on the connection (a client certificate). */
export interface ClientTls {
  cert?: string
  key?: string
  passphrase?: string
}

/** How to check the server: `ca` replaces the system store, `serverName` the URL's host. */
export interface ServerTls {
  ca?: string
  serverName?: string
  insecure: boolean
}

/**
 * Our own keep-alive agent with the site's TLS settings, handed to http-client through its
 * request handler hook (it has no CA or client-certificate options). Through a forward proxy
 * (HTTPS_PROXY, NO_PROXY as http-client reads them) it is the same tunnel agent http-client
 * would build, with the TLS settings given up front: the tunnel ignores per-request TLS options.
 */
export function createAgent(base: URL, serverTls: ServerTls, clientTls: ClientTls, maxSockets = Infinity): Agent {
  const tls: ConnectionOptions = {
    ...clientTls,
    ...(serverTls.ca ? { ca: serverTls.ca } : {}),
    ...(serverTls.serverName ? { checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(serverTls.serverName!, cert) } : {}),
    ...(serverTls.insecure ? { rejectUnauthorized: false } : {})
  }
  const proxyUrl = getProxyUrl(base.href)
  if (!proxyUrl) return new HttpsAgent({ keepAlive: true, maxSockets, ...tls })
  const proxy = new URL(proxyUrl)
  // URL keeps the credentials percent-encoded; the proxy wants them as written (http-client decodes them too).
  const proxyAuth = proxy.username || proxy.password ? { proxyAuth: `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}` } : {}
  const over = proxy.protocol === 'https:' ? tunnel.httpsOverHttps : tunnel.httpsOverHttp
  return over({ keepAlive: true, maxSockets, ...tls, proxy: { host: proxy.hostname, port: proxy.port, ...proxyAuth } })
}
