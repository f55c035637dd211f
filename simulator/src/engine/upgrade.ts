/** The answer to a WebSocket upgrade that is refused: the HTTP reply the listener would give, then the connection closes. */
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { Reply } from '../routes.js'

export function refuseUpgrade(socket: Socket, reply: Reply): void {
  let body = ''
  let type: string | undefined
  if ('text' in reply) [body, type] = [reply.text, 'text/plain; charset=utf-8']
  else if ('html' in reply) [body, type] = [reply.html, 'text/html; charset=utf-8']
  else if ('json' in reply) [body, type] = [JSON.stringify(reply.json), 'application/json; charset=utf-8']
  const lines = [`HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ''}`]
  for (const [name, value] of Object.entries(reply.headers ?? {})) for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`)
  if (type) lines.push(`Content-Type: ${type}`)
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close')
  if (socket.writable) socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`)
  else socket.destroy()
}
