/**
 * Fault injection: rules that make chosen requests fail the way networks and servers fail
 * (a 503 burst, a 429 with Retry-After, a reset connection, an answer lost after the work was
 * done, a slow answer, proxy sessions gone, an execution session that vanishes early, refused
 * connections), for a number of requests or for a time (`forMs`).
 * The shared request handling of both listeners asks `FaultRegistry.match` before handling.
 */
import { STATUS_CODES } from 'node:http'

export type FaultAction =
  /** Answer this (text/plain) INSTEAD of handling the request. */
  | { kind: 'status'; status: number; body?: string; retryAfter?: string }
  /** Destroy the socket without answering, before handling: nothing happens on the server. */
  | { kind: 'reset' }
  /** Handle the request for real (a start DOES start the task), then destroy the socket without answering. */
  | { kind: 'reset-after-handling' }
  /** Handle normally, answer after `ms`. */
  | { kind: 'delay'; ms: number }
  /** Forget all proxy sessions before handling; no-op on the QRS listener. */
  | { kind: 'drop-sessions' }
  /** GET /qrs/executionsession/{id}: 404 as if the session had ended, although the execution still runs. */
  | { kind: 'end-session' }
  /** Drop every connection (this one unanswered) and refuse new ones (ECONNREFUSED) for `ms`, on all listeners: a node restart. */
  | { kind: 'refuse'; ms: number }
  /** Engine calls only: DoReloadEx runs until CancelReload or the socket closes (a reload that never ends); other methods never answer. */
  | { kind: 'hang' }
  /** Engine calls only: handle the call, then drop the WebSocket's connection `ms` later (mid-reload for a DoReloadEx longer than that). */
  | { kind: 'drop'; ms: number }

/** The kinds that make sense for an HTTP request (QRS, proxy, and the WebSocket upgrade request). */
export type HttpFaultAction = Exclude<FaultAction, { kind: 'hang' } | { kind: 'drop' }>

export function isHttpFault(action: FaultAction): action is HttpFaultAction {
  return action.kind !== 'hang' && action.kind !== 'drop'
}

/** The kinds that make sense for a WebSocket upgrade to the engine (the request before the socket opens). */
export type UpgradeFaultAction = Extract<FaultAction, { kind: 'status' | 'reset' | 'delay' | 'drop-sessions' | 'refuse' }>

export function isUpgradeFault(action: FaultAction): action is UpgradeFaultAction {
  return ['status', 'reset', 'delay', 'drop-sessions', 'refuse'].includes(action.kind)
}

/** The kinds that make sense for a JSON-RPC call on an open engine WebSocket. */
export type EngineCallFaultAction = Extract<FaultAction, { kind: 'delay' | 'reset' | 'reset-after-handling' | 'refuse' | 'hang' | 'drop' }>

export function isEngineCallFault(action: FaultAction): action is EngineCallFaultAction {
  return ['delay', 'reset', 'reset-after-handling', 'refuse', 'hang', 'drop'].includes(action.kind)
}

/** Where a request came in: the certificate port (QRS), the proxy, or the engine port (4747). */
export type FaultListener = 'qrs' | 'proxy' | 'engine'

export type FaultKind = FaultAction['kind']

export interface FaultRule {
  /** Default: any method. Compared case-insensitively. */
  method?: string
  /** A string matches the whole pathname (case-insensitive, trailing slashes ignored); a RegExp is tested
   *  against it. The pathname is the QRS path with any virtual proxy prefix stripped. */
  path: string | RegExp
  /** Let this many matching requests through first (default 0). */
  after?: number
  /** Then apply to this many (default 1, or Infinity with `forMs`). */
  times?: number
  /** Apply only during this many ms from add() (an outage of a given length); later requests pass. */
  forMs?: number
  action: FaultAction
}

export interface AppliedFault {
  /** Index of the rule in the order of add() since the last clear(). */
  rule: number
  method: string
  /** The matched path (VP prefix stripped). */
  path: string
  /** The action's kind, e.g. 'status', 'reset'. */
  action: string
  time: number
  listener: FaultListener
}

export interface Faults {
  add(rule: FaultRule): void
  clear(): void
  applied(): AppliedFault[]
}

const kinds: FaultKind[] = ['status', 'reset', 'reset-after-handling', 'delay', 'drop-sessions', 'end-session', 'refuse', 'hang', 'drop']

export class FaultError extends Error {}

/** Checks a rule (from code or from JSON) and fills the defaults. */
function checkRule(rule: FaultRule): Required<Omit<FaultRule, 'method' | 'forMs'>> & { method?: string; forMs?: number } {
  const fail = (msg: string): never => {
    throw new FaultError(`Bad fault rule: ${msg}`)
  }
  if (typeof rule !== 'object' || rule === null) fail('not an object')
  if (!(typeof rule.path === 'string' || rule.path instanceof RegExp)) fail('path must be a string or a RegExp')
  if (rule.method !== undefined && typeof rule.method !== 'string') fail('method must be a string')
  const after = rule.after ?? 0
  const times = rule.times ?? (rule.forMs !== undefined ? Infinity : 1)
  if (rule.forMs !== undefined && (typeof rule.forMs !== 'number' || !(rule.forMs >= 0))) fail('forMs must be a number >= 0')
  if (typeof after !== 'number' || !(after >= 0)) fail('after must be a number >= 0')
  if (typeof times !== 'number' || !(times >= 0)) fail('times must be a number >= 0 (or Infinity)')
  const a = rule.action
  if (typeof a !== 'object' || a === null || !kinds.includes(a.kind)) fail(`action.kind must be one of ${kinds.join(', ')}`)
  if (a.kind === 'status') {
    if (!Number.isInteger(a.status) || a.status < 100 || a.status > 599) fail('action.status must be an HTTP status (100-599)')
    if (a.body !== undefined && typeof a.body !== 'string') fail('action.body must be a string')
    if (a.retryAfter !== undefined && typeof a.retryAfter !== 'string') fail('action.retryAfter must be a string')
  }
  if ((a.kind === 'delay' || a.kind === 'refuse' || a.kind === 'drop') && (typeof a.ms !== 'number' || !(a.ms >= 0) || !Number.isFinite(a.ms)))
    fail('action.ms must be a number >= 0')
  return { ...rule, after, times, action: a }
}

/**
 * A rule from JSON (POST /__sim/faults): `path` is a string or `{ "regex": "...", "flags": "i" }`,
 * `times` may be the string "Infinity" (JSON has no Infinity).
 */
export function ruleFromJson(value: unknown): FaultRule {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FaultError('Bad fault rule: not an object')
  const raw = value as Record<string, unknown>
  let path: string | RegExp
  if (typeof raw.path === 'string') path = raw.path
  else if (typeof raw.path === 'object' && raw.path !== null && typeof (raw.path as { regex?: unknown }).regex === 'string') {
    const { regex, flags } = raw.path as { regex: string; flags?: unknown }
    try {
      path = new RegExp(regex, typeof flags === 'string' ? flags : '')
    } catch (err) {
      throw new FaultError(`Bad fault rule: ${String(err)}`)
    }
  } else {
    throw new FaultError('Bad fault rule: path must be a string or {"regex": "..."}')
  }
  const times = raw.times === 'Infinity' || raw.times === null ? Infinity : raw.times
  return { ...(raw as unknown as FaultRule), path, times: times as number | undefined }
}

/** The default text of an injected status: what a real server or load balancer says. */
export function statusText(status: number): string {
  if (status === 503) return 'Service Unavailable'
  if (status === 429) return 'Too Many Requests'
  return STATUS_CODES[status] ?? `HTTP ${status}`
}

interface Entry {
  rule: ReturnType<typeof checkRule>
  /** Matching requests seen so far. */
  seen: number
  /** Date.now() after which the rule no longer applies (forMs). */
  until: number
}

export class FaultRegistry implements Faults {
  private rules: Entry[] = []
  private log: AppliedFault[] = []

  add(rule: FaultRule): void {
    const checked = checkRule(rule)
    this.rules.push({ rule: checked, seen: 0, until: checked.forMs === undefined ? Infinity : Date.now() + checked.forMs })
  }

  /** Removes all rules and the applied() log; rule numbers start again at 0. */
  clear(): void {
    this.rules = []
    this.log = []
  }

  applied(): AppliedFault[] {
    return this.log.map((a) => ({ ...a }))
  }

  /** The rules as JSON (a RegExp path as {regex, flags}); for GET /__sim/faults. */
  toJson(): unknown[] {
    return this.rules.map(({ rule, seen }) => ({
      ...rule,
      path: rule.path instanceof RegExp ? { regex: rule.path.source, flags: rule.path.flags } : rule.path,
      times: rule.times === Infinity ? 'Infinity' : rule.times,
      seen
    }))
  }

  /**
   * Every rule that matches counts the request (whether or not another rule applies to it); the
   * first rule, in add order, whose window (after < n <= after + times) covers it and whose action
   * `applies` to this kind of request applies and is logged.
   */
  match<T extends FaultAction>(method: string, path: string, listener: FaultListener, applies: (action: FaultAction) => action is T): T | undefined {
    let hit: { index: number; action: T } | undefined
    const now = Date.now()
    this.rules.forEach((entry, index) => {
      const { rule } = entry
      if (now > entry.until) return
      if (rule.method !== undefined && rule.method.toUpperCase() !== method.toUpperCase()) return
      if (!pathMatches(rule.path, path)) return
      entry.seen++
      if (!hit && entry.seen > rule.after && entry.seen <= rule.after + rule.times && applies(rule.action)) hit = { index, action: rule.action }
    })
    if (!hit) return undefined
    this.log.push({ rule: hit.index, method, path, action: hit.action.kind, time: Date.now(), listener })
    return hit.action
  }
}

function pathMatches(pattern: string | RegExp, path: string): boolean {
  if (pattern instanceof RegExp) {
    pattern.lastIndex = 0 // a /g or /y RegExp keeps state between test() calls
    return pattern.test(path)
  }
  const trim = (p: string): string => p.replace(/\/+$/, '').toLowerCase()
  return trim(pattern) === trim(path)
}
