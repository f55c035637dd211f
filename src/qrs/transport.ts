import { HttpClient } from '@actions/http-client'
import type { Agent, IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createAgent, type ClientTls, type ServerTls } from './agent.js'
import { describeConnectionError } from './connection-errors.js'
import { ConnectionError } from '../util/errors.js'

export type { ServerTls } from './agent.js'

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
  private readonly agent: Agent
  /** The abort signal of the request being prepared: http-client hands its options to prepareRequest synchronously. */
  private nextSignal: AbortSignal | undefined

  constructor(
    private readonly base: URL,
    options: TransportOptions
  ) {
    const agent = (this.agent = createAgent(base, options.serverTls, options.clientTls, options.maxSockets))
    // http-client's documented hook: each request goes out on our agent, with our TLS settings.
    const useOurAgent = {
      prepareRequest: (request: { agent?: unknown; signal?: AbortSignal }) => {
        request.agent = agent
        // Node's request option: an abort destroys the request and its socket (a cancel must not wait for a slow answer).
        if (this.nextSignal) request.signal = this.nextSignal
        this.nextSignal = undefined
      },
      canHandleAuthentication: () => false,
      handleAuthentication: () => Promise.reject(new Error('no authentication handler'))
    }
    this.http = new HttpClient(options.userAgent, [useOurAgent], {
      keepAlive: true,
      allowRedirects: false,
      maxSockets: options.maxSockets,
      socketTimeout: options.timeoutMs ?? 30_000
    })
  }

  async request(method: string, url: string, headers: Record<string, string>, payload?: string, signal?: AbortSignal): Promise<RawResponse> {
    const message = await this.open(method, url, headers, payload, signal)
    const status = message.statusCode ?? 0
    try {
      return { status, headers: message.headers, body: await readText(message, status), socket: message.socket }
    } catch (error) {
      throw signal?.aborted ? signal.reason : error
    }
  }

  /** A GET whose 200 body is piped through the `sink()` stages (script logs can be hundreds of MB); other answers come back as text. */
  async download(url: string, headers: Record<string, string>, sink: () => Writable[], signal?: AbortSignal): Promise<RawResponse & { bytes: number }> {
    const message = await this.open('GET', url, headers, undefined, signal)
    const status = message.statusCode ?? 0
    if (status !== 200) return { status, headers: message.headers, body: await readText(message, status), socket: message.socket, bytes: 0 }
    let bytes = 0
    message.on('data', (chunk: Buffer) => (bytes += chunk.length))
    try {
      await pipeline([message, ...sink()])
    } catch (error) {
      throw signal?.aborted ? signal.reason : describeConnectionError(error, this.base)
    }
    return { status, headers: message.headers, body: '', socket: message.socket, bytes }
  }

  private async open(method: string, url: string, headers: Record<string, string>, body?: string, signal?: AbortSignal): Promise<IncomingMessage> {
    signal?.throwIfAborted()
    try {
      this.nextSignal = signal
      return (await this.http.request(method, url, body ?? (method === 'POST' ? '' : null), headers)).message
    } catch (error) {
      if (signal?.aborted) throw signal.reason
      if (error instanceof ConnectionError) throw error
      throw describeConnectionError(error, this.base)
    }
  }

  dispose(): void {
    this.http.dispose()
    // https.Agent closes its keep-alive sockets; the tunnel agent has no destroy(), like http-client's own.
    ;(this.agent as { destroy?: () => void }).destroy?.()
  }
}

/** A JSON answer larger than this is refused (the largest lists of a big site are a few MB). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024
/** Of an error body only the first part is kept: it is shown cut to a line anyway. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024

/** The body as text, bounded: an error body is cut (and the connection closed), a too large 2xx answer refused. */
async function readText(message: IncomingMessage, status: number): Promise<string> {
  const ok = status >= 200 && status < 300
  const limit = ok ? MAX_BODY_BYTES : MAX_ERROR_BODY_BYTES
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of message) {
    chunks.push(chunk as Buffer)
    bytes += (chunk as Buffer).length
    if (bytes > limit) {
      // Not read to its end: this connection cannot carry another request.
      message.destroy()
      if (ok) throw new ConnectionError(`The server's answer is larger than ${limit / 1024 / 1024} MiB: refused.`)
      return Buffer.concat(chunks).subarray(0, limit).toString('utf8')
    }
  }
  return Buffer.concat(chunks).toString('utf8')
}

export function isRedirect(status: number): boolean {
  return status >= 300 && status < 400
}
