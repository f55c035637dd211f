/**
 * JSON-RPC 2.0 as the engine speaks it: requests with id, method, handle and params (by position or
 * by name); answers with `result` or an `error` {code, parameter, message}; notifications without id.
 * A request with `delta: true` (enigma.js sends it by default) is answered with JSON patches.
 */

export interface RpcRequest {
  id?: number | string
  method: string
  handle: number
  params: unknown[] | Record<string, unknown>
  delta?: boolean
}

/** Error codes the simulated engine sends: LocalizedErrorCode values of the schema, and JSON-RPC's own (negative). */
export const errorCodes = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -128,
  notFound: 2,
  accessDenied: 5,
  appAlreadyOpen: 1002,
  appNotFound: 1003,
  appOpenInDifferentMode: 1009
} as const

const messages: Record<number, string> = {
  [-32700]: 'Parse error',
  [-32600]: 'Invalid Request',
  [-32601]: 'Method not found',
  [-32602]: 'Invalid params',
  [-128]: 'Internal error',
  2: 'Not found',
  5: 'Access denied',
  1002: 'App already open',
  1003: 'App not found',
  1009: 'App already open in different mode'
}

export class RpcError extends Error {
  constructor(
    readonly code: number,
    readonly parameter: string
  ) {
    super(messages[code] ?? `Error ${code}`)
  }
}

/** Parses one WebSocket message; a malformed one throws RpcError (parse error or invalid request). */
export function parseRequest(text: string): RpcRequest {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new RpcError(errorCodes.parseError, 'The message is not JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RpcError(errorCodes.invalidRequest, 'The message is not a JSON-RPC request object')
  const raw = value as Record<string, unknown>
  if (typeof raw.method !== 'string' || !raw.method) throw new RpcError(errorCodes.invalidRequest, 'method')
  const handle = raw.handle === undefined ? -1 : raw.handle
  if (typeof handle !== 'number' || !Number.isInteger(handle)) throw new RpcError(errorCodes.invalidRequest, 'handle')
  const params = raw.params ?? []
  if (typeof params !== 'object' || params === null) throw new RpcError(errorCodes.invalidRequest, 'params')
  const id = typeof raw.id === 'number' || typeof raw.id === 'string' ? raw.id : undefined
  return { id, method: raw.method, handle, params: params as RpcRequest['params'], delta: raw.delta === true }
}

/** The answer to a request: each result member as one patch replacing the whole value when the client asked for deltas. */
export function resultMessage(request: RpcRequest, result: Record<string, unknown>): string {
  if (!request.delta) return JSON.stringify({ jsonrpc: '2.0', id: request.id, result })
  const patched = Object.fromEntries(Object.entries(result).map(([key, value]) => [key, [{ op: 'add', path: '/', value }]]))
  return JSON.stringify({ jsonrpc: '2.0', id: request.id, delta: true, result: patched })
}

export function errorMessage(id: RpcRequest['id'] | null, error: RpcError): string {
  return JSON.stringify({ jsonrpc: '2.0', id: id ?? null, error: { code: error.code, parameter: error.parameter, message: error.message } })
}

export function notification(method: string, params: Record<string, unknown>): string {
  return JSON.stringify({ jsonrpc: '2.0', method, params })
}
