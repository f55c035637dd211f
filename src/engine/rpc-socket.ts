import type WebSocket from 'ws'
import { excerpt } from '../util/text.js'

type Handler = ((event: object) => void) | null

/**
 * The engine's WebSocket as enigma.js sees it (the `on*` handlers, `send`, `close`, `readyState`), with a
 * check at the door. enigma.js parses each message inside the socket's event handler, where nothing
 * catches what it throws: a message that is not JSON, `null`, an id it does not expect or a `change` that
 * is no list would end the process. Such a message never reaches it: the socket is closed instead (every
 * call waiting on it fails), and `unexpected` says what came.
 */
export class RpcSocket {
  onopen: Handler = null
  onclose: Handler = null
  onerror: Handler = null
  onmessage: Handler = null
  /** What the engine sent that is no JSON-RPC message, once it did. */
  unexpected?: string

  constructor(readonly socket: WebSocket) {
    socket.on('open', () => this.onopen?.({ type: 'open' }))
    socket.on('close', (code: number, reason: Buffer) => this.onclose?.({ type: 'close', code, reason: reason.toString() }))
    socket.on('error', (error: Error) => this.onerror?.({ type: 'error', error, message: error.message }))
    socket.on('message', (data: Buffer, isBinary: boolean) => this.receive(data, isBinary))
  }

  get readyState(): number {
    return this.socket.readyState
  }

  get OPEN(): number {
    return this.socket.OPEN
  }

  send(data: string): void {
    this.socket.send(data)
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason)
  }

  private receive(data: Buffer, isBinary: boolean): void {
    if (this.unexpected) return
    const text = isBinary ? undefined : data.toString('utf8')
    const problem = text === undefined ? 'a binary message' : notRpc(text)
    if (!problem) {
      this.onmessage?.({ type: 'message', data: text })
      return
    }
    this.unexpected = problem
    this.socket.terminate()
  }
}

/** Why `text` is no JSON-RPC message enigma.js can take, or undefined when it is one. */
function notRpc(text: string): string | undefined {
  let message: unknown
  try {
    message = JSON.parse(text)
  } catch {
    return `a message that is not JSON (${excerpt(text, 100)})`
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return 'a message that is no JSON-RPC object'
  const { id, change, close } = message as { id?: unknown; change?: unknown; close?: unknown }
  // enigma.js numbers its requests; any other id would be looked up among its own fields.
  if (id !== undefined && id !== null && !Number.isSafeInteger(id)) return 'a message whose id is not a number'
  // Handles the engine says changed or closed: enigma.js looks each up by its text.
  if (!handles(change) || !handles(close)) return 'a message whose change or close is not a list of handles'
  return undefined
}

const handles = (value: unknown): boolean => !value || (Array.isArray(value) && value.every(handle => Number.isSafeInteger(handle)))
