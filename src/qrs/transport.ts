import { HttpClient } from '@actions/http-client'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Agent } from 'node:https'
import { checkServerIdentity, type PeerCertificate } from 'node:tls'
import type { ClientTls } from '../auth/auth.js'
import { describeConnectionError } from './connection-errors.js'
import { ConnectionError } from './errors.js'

/** How to check the server: `ca` replaces the system store, `serverName` the URL's host. */
export interface ServerTls {
  ca?: string
  serverName?: string
  insecure: boolean
}

export interface TransportOptions {
  userAgent: string
  serverTls: ServerTls
  clientTls: ClientTls
  /** 1 for an NTLM handshake: NTLM authenticates one TCP connection. */
  maxSockets?: number
  /** Per-request limit; the QRS answers in milliseconds when healthy. */
  timeoutMs?: number
}

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: string
  /** The TCP connection that carried the answer (an NTLM handshake must stay on one). */
  socket: unknown
}

/** One keep-alive HTTPS client with the site's TLS settings; no redirects followed, no retries. */
export class Transport {
  private readonly http: HttpClient

  constructor(
    private readonly base: URL,
    options: TransportOptions
  ) {
    this.http = new HttpClient(options.userAgent, [], {
      keepAlive: true,
      allowRedirects: false,
      maxSockets: options.maxSockets,
      socketTimeout: options.timeoutMs ?? 30_000
    })
    // http-client has no CA or client-certificate options; its agent (also the proxy tunnel agent)
    // takes them from agent.options, which Node merges into every TLS connection it opens.
    const agent = this.http.getAgent(base.href) as Agent
    const { serverTls } = options
    Object.assign(agent.options, {
      ...options.clientTls,
      ...(serverTls.ca ? { ca: serverTls.ca } : {}),
      ...(serverTls.serverName
        ? { checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(serverTls.serverName!, cert) }
        : {}),
      ...(serverTls.insecure ? { rejectUnauthorized: false } : {})
    })
  }

  async request(method: string, url: string, headers: Record<string, string>, payload?: string): Promise<RawResponse> {
    const message = await this.open(method, url, headers, payload)
    return { status: message.statusCode ?? 0, headers: message.headers, body: await readText(message), socket: message.socket }
  }

  /** A GET whose 200 body is piped through the `sink()` stages (script logs can be hundreds of MB); other answers come back as text. */
  async download(url: string, headers: Record<string, string>, sink: () => Writable[]): Promise<RawResponse & { bytes: number }> {
    const message = await this.open('GET', url, headers)
    const status = message.statusCode ?? 0
    if (status !== 200) return { status, headers: message.headers, body: await readText(message), socket: message.socket, bytes: 0 }
    let bytes = 0
    message.on('data', (chunk: Buffer) => (bytes += chunk.length))
    try {
      await pipeline([message, ...sink()])
    } catch (error) {
      throw describeConnectionError(error, this.base)
    }
    return { status, headers: message.headers, body: '', socket: message.socket, bytes }
  }

  private async open(method: string, url: string, headers: Record<string, string>, body?: string): Promise<IncomingMessage> {
    try {
      return (await this.http.request(method, url, body ?? (method === 'POST' ? '' : null), headers)).message
    } catch (error) {
      if (error instanceof ConnectionError) throw error
      throw describeConnectionError(error, this.base)
    }
  }

  dispose(): void {
    this.http.dispose()
  }
}

async function readText(message: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of message) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export function isRedirect(status: number): boolean {
  return status >= 300 && status < 400
}
