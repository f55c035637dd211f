import type { IncomingMessage } from 'node:http'
import WebSocket from 'ws'
import { createAgent, type ClientTls, type ServerTls } from '../qrs/agent.js'
import type { RawResponse } from '../qrs/transport.js'

/** A WebSocket message larger than this closes the session: the answers the engine mode reads are small. */
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024
/** Of a refused upgrade's body only this much is read: it is shown cut to a line. */
const MAX_REFUSAL_BYTES = 16 * 1024

export interface SocketOptions {
  serverTls: ServerTls
  clientTls: ClientTls
  headers: Record<string, string>
  /** How long the upgrade may take. */
  timeoutMs: number
}

/** What became of the upgrade: its 101 answer, or the HTTP answer that refused it. */
export interface Upgrade {
  answer?: RawResponse
  refusal?: RawResponse
}

/**
 * A WebSocket to `url` on our own agent: the site's TLS settings, the client certificate, and through a
 * forward proxy (HTTPS_PROXY, NO_PROXY) the same tunnel the QRS calls take. The upgrade's answer, or the
 * answer that refused it (status, headers, the body's start), lands in `upgrade`.
 */
export function openSocket(url: URL, options: SocketOptions, upgrade: Upgrade): WebSocket {
  // The agent picks the proxy by the URL's scheme: the engine is reached over TLS like https.
  const base = new URL(url.href.replace(/^wss:/, 'https:'))
  const agent = createAgent(base, options.serverTls, options.clientTls, 1)
  const socket = new WebSocket(url, {
    agent,
    headers: options.headers,
    handshakeTimeout: options.timeoutMs,
    maxPayload: MAX_MESSAGE_BYTES,
    followRedirects: false,
    perMessageDeflate: false
  })
  socket.once('upgrade', (response: IncomingMessage) => (upgrade.answer = raw(response, '')))
  socket.once('unexpected-response', (_request, response: IncomingMessage) => {
    let body = ''
    const refused = (): void => {
      upgrade.refusal = raw(response, body)
      socket.terminate()
    }
    response.setEncoding('utf8')
    response.on('data', (chunk: string) => {
      body += chunk
      if (body.length > MAX_REFUSAL_BYTES) response.destroy()
    })
    response.once('end', refused)
    response.once('close', () => upgrade.refusal ?? refused())
  })
  return socket
}

function raw(response: IncomingMessage, body: string): RawResponse {
  return { status: response.statusCode ?? 0, headers: response.headers, body: body.slice(0, MAX_REFUSAL_BYTES), socket: response.socket }
}
