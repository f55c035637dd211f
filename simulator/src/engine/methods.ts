/**
 * The engine methods the simulator serves, with their parameter names in schema order (for params
 * by position) and the names of their results. The schema test checks every name against enigma.js's
 * published schema.
 */
import { RpcError, errorCodes, type RpcRequest } from './rpc.js'

export interface EngineMethod {
  /** The schema class: Global (handle -1) or Doc (the handle OpenDoc gave). */
  cls: 'Global' | 'Doc'
  method: string
  params: string[]
  /** Result members besides qReturn (which OpenDoc answers and enigma.js reads for every method). */
  results: string[]
  /** Members of struct parameters the simulator reads. */
  structs?: Record<string, string[]>
}

export const engineMethods: EngineMethod[] = [
  { cls: 'Global', method: 'OpenDoc', params: ['qDocName', 'qUserName', 'qPassword', 'qSerial', 'qNoData'], results: [] },
  { cls: 'Global', method: 'GetProgress', params: ['qRequestId'], results: ['qProgressData'] },
  { cls: 'Global', method: 'CancelReload', params: ['qReason'], results: [] },
  {
    cls: 'Doc',
    method: 'DoReloadEx',
    params: ['qParams'],
    results: ['qResult'],
    structs: { qParams: ['qMode', 'qPartial', 'qDebug', 'qReloadId', 'qSkipStore', 'qRowLimit'] }
  },
  { cls: 'Doc', method: 'DoSave', params: ['qFileName'], results: [] },
  { cls: 'Doc', method: 'GetTablesAndKeys', params: ['qWindowSize', 'qNullSize', 'qCellHeight', 'qSyntheticMode', 'qIncludeSysVars', 'qIncludeProfiling'], results: ['qtr', 'qk'] },
  { cls: 'Doc', method: 'GetAppLayout', params: [], results: ['qLayout'] }
]

/** The members of DoReloadEx's qParams that schema 12.1823.0 added (an older engine does not know them). */
export const newReloadParams = ['qSkipStore', 'qRowLimit']

export function findMethod(cls: EngineMethod['cls'], method: string): EngineMethod | undefined {
  return engineMethods.find((m) => m.cls === cls && m.method === method)
}

/** The request's parameters by name, whether it sent them by position or by name. */
export function namedParams(method: EngineMethod, request: RpcRequest): Record<string, unknown> {
  if (!Array.isArray(request.params)) return request.params
  if (request.params.length > method.params.length) throw new RpcError(errorCodes.invalidParams, `${method.method} takes at most ${method.params.length} parameters`)
  return Object.fromEntries(request.params.map((value, i) => [method.params[i], value]))
}

export function text(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback
}

export function flag(value: unknown): boolean {
  return value === true
}

export function integer(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : fallback
}
