/**
 * Fault injection: rules that make chosen requests fail the way networks and servers fail
 * (a 503 burst, a 429 with Retry-After, a reset connection, an answer lost after the work was
 * done, a slow answer, proxy sessions gone, an execution session that vanishes early, refused
 * connections, an answer cut in the middle or dripping, a body without end, a start that takes
 * effect late, answers with the wrong types, a maintenance page, a cookie flood), for a number of
 * requests or for a time (`forMs`).
 * The shared request handling of both listeners asks `FaultRegistry.match` before handling;
 * fault-wire.ts shapes the bodies on the wire.
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
  /**
   * The head and the first `bytes` of the body (default: half of it), then the connection drops.
   * `handle` (default true): the answer is the real one (a start DOES start); false: nothing is
   * handled and the answer is `status` (default 200) with `body` (default the start of a JSON list).
   */
  | { kind: 'cut'; bytes?: number; handle?: boolean; status?: number; body?: string }
  /** Handled normally; the head goes out at once, then the body `bytes` (default 1) at a time, one step every `ms`. */
  | { kind: 'drip'; ms: number; bytes?: number }
  /** Nothing handled: 200 text/plain whose body never ends (script log lines, as fast as the client reads or `bytesPerSecond`) until the client goes. */
  | { kind: 'endless'; bytesPerSecond?: number }
  /**
   * The request is handled (a start creates its execution) only `ms` after it came. `answer`:
   * 'stall' (default) the answer comes after the handling (a client that gave up gets none);
   * 'early' 204 at once, what `/start`, `start/many` and app reloads answer.
   */
  | { kind: 'late-start'; ms: number; answer?: 'stall' | 'early' }
  /**
   * Handled normally, then fields of the JSON answer are replaced: `set` maps a dotted path (arrays
   * fan out, `$` is the whole answer) to a value; `{"$nested": n}` is an object nested n deep.
   * Only fields whose parent exists are set; other answers pass unchanged. On an engine call the paths
   * are those of the JSON-RPC `result` (`qtr.qName`, `qProgressData.qPersistentProgress`), sent whole
   * (not as delta patches); an error answer passes unchanged.
   */
  | { kind: 'rewrite'; set: Record<string, unknown> }
  /** Handled as if these query parameters had not been sent (a proxy that drops `filter`); case-insensitive names. */
  | { kind: 'drop-query'; params: string[] }
  /**
   * Nothing handled: `status` (default 200) with an HTML page, `body` or a maintenance page. On an engine
   * call: that page (or `body`) as the WebSocket message in place of the JSON-RPC answer.
   */
  | { kind: 'html'; status?: number; body?: string }
  /** Handled normally, plus `count` Set-Cookie headers of new cookies, each value `bytes` (default 100) long. */
  | { kind: 'set-cookies'; count: number; bytes?: number }
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
export type EngineCallFaultAction = Extract<FaultAction, { kind: 'delay' | 'reset' | 'reset-after-handling' | 'refuse' | 'hang' | 'drop' | 'rewrite' | 'html' }>

export function isEngineCallFault(action: FaultAction): action is EngineCallFaultAction {
  return ['delay', 'reset', 'reset-after-handling', 'refuse', 'hang', 'drop', 'rewrite', 'html'].includes(action.kind)
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

const kinds: FaultKind[] = [
  'status',
  'reset',
  'reset-after-handling',
  'delay',
  'drop-sessions',
  'end-session',
  'refuse',
  'hang',
  'drop',
  'cut',
  'drip',
  'endless',
  'late-start',
  'rewrite',
  'drop-query',
  'html',
  'set-cookies'
]

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
  if ((a.kind === 'delay' || a.kind === 'refuse' || a.kind === 'drop' || a.kind === 'drip' || a.kind === 'late-start') && !count(a.ms)) fail('action.ms must be a number >= 0')
  checkWire(a, fail)
  return { ...rule, after, times, action: a }
}

/** A finite number >= 0. */
function count(value: unknown): boolean {
  return typeof value === 'number' && value >= 0 && Number.isFinite(value)
}

/** The fields of the kinds that shape the answer on the wire. */
function checkWire(a: FaultAction, fail: (msg: string) => never): void {
  const optional = (value: unknown, ok: boolean, msg: string): void => {
    if (value !== undefined && !ok) fail(msg)
  }
  switch (a.kind) {
    case 'cut':
      optional(a.bytes, Number.isInteger(a.bytes) && count(a.bytes), 'action.bytes must be a whole number >= 0')
      optional(a.handle, typeof a.handle === 'boolean', 'action.handle must be true or false')
      optional(a.status, Number.isInteger(a.status) && (a.status as number) >= 100 && (a.status as number) <= 599, 'action.status must be an HTTP status (100-599)')
      optional(a.body, typeof a.body === 'string', 'action.body must be a string')
      break
    case 'drip':
      optional(a.bytes, Number.isInteger(a.bytes) && (a.bytes as number) >= 1, 'action.bytes must be a whole number >= 1')
      break
    case 'endless':
      optional(a.bytesPerSecond, count(a.bytesPerSecond) && (a.bytesPerSecond as number) > 0, 'action.bytesPerSecond must be a number > 0')
      break
    case 'late-start':
      optional(a.answer, a.answer === 'stall' || a.answer === 'early', "action.answer must be 'stall' or 'early'")
      break
    case 'rewrite':
      if (typeof a.set !== 'object' || a.set === null || Array.isArray(a.set)) fail('action.set must be an object of dotted paths')
      break
    case 'drop-query':
      if (!Array.isArray(a.params) || !a.params.every((p) => typeof p === 'string')) fail('action.params must be an array of parameter names')
      break
    case 'html':
      optional(a.status, Number.isInteger(a.status) && (a.status as number) >= 100 && (a.status as number) <= 599, 'action.status must be an HTTP status (100-599)')
      optional(a.body, typeof a.body === 'string', 'action.body must be a string')
      break
    case 'set-cookies':
      if (!Number.isInteger(a.count) || a.count < 1) fail('action.count must be a whole number >= 1')
      optional(a.bytes, Number.isInteger(a.bytes) && (a.bytes as number) >= 1, 'action.bytes must be a whole number >= 1')
      break
  }
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
