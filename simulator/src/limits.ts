/**
 * Request size limits of the HTTP stack in front of the QRS and the proxy. Qlik documents none; the
 * switches carry HTTP.sys's defaults (Microsoft KB 820129, see docs/qrs-protocol.md): MaxRequestBytes,
 * request line and headers together, and MaxFieldLength, which also bounds the URL. The answers are
 * HTML pages as the Windows HTTP stack sends them, never JSON.
 */
import type { IncomingMessage } from 'node:http'
import type { Switches } from './scenario.js'

/** Node's own parser must never refuse first (it answers 431): the listeners accept this much. */
export const parserHeaderBytes = 256 * 1024

export interface LimitReply {
  status: 400 | 414
  html: string
}

const page = (title: string, heading: string, text: string): string =>
  `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">\r\n<HTML><HEAD><TITLE>${title}</TITLE></HEAD>\r\n<BODY><h2>${heading}</h2>\r\n<hr><p>${text}</p>\r\n</BODY></HTML>\r\n`

/** The bytes of the request line and the headers as they came on the wire (HTTP/1.1). */
function requestHeadBytes(req: IncomingMessage): number {
  let bytes = Buffer.byteLength(`${req.method ?? ''} ${req.url ?? ''} HTTP/${req.httpVersion}\r\n`)
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) bytes += Buffer.byteLength(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`)
  return bytes + 2
}

/**
 * The answer of the HTTP stack to a request over its limits, or undefined when it passes. The request
 * line is read first: a URL over its limit is 414 before the headers count; then the whole head (400).
 */
export function overLimit(req: IncomingMessage, switches: Pick<Switches, 'maxRequestBytes' | 'maxUrlBytes'>): LimitReply | undefined {
  if (switches.maxUrlBytes > 0 && Buffer.byteLength(req.url ?? '') > switches.maxUrlBytes) {
    return { status: 414, html: page('Request URL Too Long', 'Request URL Too Long', 'HTTP Error 414. The request URL is too long.') }
  }
  if (switches.maxRequestBytes > 0 && requestHeadBytes(req) > switches.maxRequestBytes) {
    return { status: 400, html: page('Bad Request', 'Bad Request - Request Too Long', 'HTTP Error 400. The size of the request headers is too long.') }
  }
  return undefined
}
