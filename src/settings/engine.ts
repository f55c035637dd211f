import { parseExpectRows, type RowCheck } from '../inputs/expect-rows.js'
import type { Selector, Target } from '../inputs/parse-targets.js'
import { parseBoolean, parseChoice, type Get } from '../inputs/values.js'
import { InputError } from '../util/errors.js'

const RELOAD_MODES = ['task', 'engine'] as const
/** Who runs the reload: the scheduler (a task), or the action itself in the engine. */
export type ReloadMode = (typeof RELOAD_MODES)[number]

/** The engine's port on a node, where certificate auth reaches it (mutual TLS, X-Qlik-User). */
const ENGINE_PORT = 4747

export interface EngineSettings {
  reloadMode: ReloadMode
  /** qPartial: only the Add, Replace and Merge loads run (engine mode). */
  partial: boolean
  /** Where the engine is: apps open at `<engineUrl>/app/<appId>`. */
  engineUrl: URL
  /** Checks of the tables after each successful reload, in either mode. */
  expectRows: RowCheck[]
}

/** What the engine inputs are checked against: the other inputs, read already. */
export interface Context {
  url: URL
  certificateAuth: boolean
  targets: Target[]
  selectors: Selector[]
  wait: boolean
  waitForChain: boolean
  ifRunning: string
  stopOnTimeout: boolean
  stopOnCancel: boolean
}

/**
 * reload-mode, partial, engine-url and expect-rows, and what they cannot be combined with: each
 * combination that cannot work fails here, naming both inputs, before any request.
 */
export function readEngineSettings(get: Get, context: Context): EngineSettings {
  const reloadMode = parseChoice('reload-mode', get('reload-mode'), RELOAD_MODES)
  const partial = parseBoolean('partial', get('partial'))
  const expectRows = parseExpectRows(get('expect-rows'))
  const engine = reloadMode === 'engine'
  if (partial && !engine) {
    throw new InputError('partial', "needs reload-mode: engine (a task started over the QRS always reloads fully); reload-mode is 'task'.")
  }
  if (engine) refuseWithEngine(context)
  if (expectRows.length > 0 && !context.wait) throw new InputError('expect-rows', 'needs wait: true: the checks run once the reload has ended.')
  if (get('engine-url') && !engine && expectRows.length === 0) {
    throw new InputError('engine-url', 'only applies with reload-mode: engine or expect-rows; remove it, or set one of them.')
  }
  return { reloadMode, partial, engineUrl: parseEngineUrl(get('engine-url'), context), expectRows }
}

/** The inputs an engine reload cannot honour: it reloads apps, in this step's own session. */
function refuseWithEngine(context: Context): void {
  const task = context.targets.find(target => target.kind === 'task-id' || target.kind === 'task-name')?.kind ?? context.selectors[0]?.kind
  if (task) throw new InputError(task, 'names tasks, but reload-mode: engine reloads apps: use app-id or app-name, or reload-mode: task.')
  if (!context.wait) throw new InputError('wait', "must be true with reload-mode: engine: the engine reload runs in this step's session and ends with it.")
  if (context.waitForChain) throw new InputError('wait-for-chain', 'does not apply with reload-mode: engine: task triggers follow tasks, and an engine reload is no task.')
  if (context.ifRunning === 'attach') throw new InputError('if-running', "'attach' does not apply with reload-mode: engine (the action runs the reload itself): use wait or fail.")
  for (const [name, value] of [
    ['stop-on-timeout', context.stopOnTimeout],
    ['stop-on-cancel', context.stopOnCancel]
  ] as const) {
    if (!value) throw new InputError(name, "must be true with reload-mode: engine: the engine reload cannot outlive this step's session, so it is cancelled and never saved.")
  }
}

/**
 * `wss://host:port[/prefix]` (`https://` read as `wss://`). Default: certificate auth reaches the engine
 * on the node's port 4747; the other auth types through the virtual proxy of `url`, which serves it too.
 */
function parseEngineUrl(value: string, { url, certificateAuth }: Context): URL {
  if (!value) {
    const engine = new URL(certificateAuth ? `https://${url.hostname}:${ENGINE_PORT}` : url.href)
    engine.protocol = 'wss:'
    return withoutTrailingSlash(engine)
  }
  let engine: URL
  try {
    engine = new URL(value)
  } catch {
    throw new InputError('engine-url', `'${value.replace(/\/\/[^/]*@/, '//***@')}' is not a URL (e.g. wss://qliksrv01.corp.example:4747).`)
  }
  if (engine.protocol === 'https:') engine.protocol = 'wss:'
  if (engine.protocol !== 'wss:') throw new InputError('engine-url', `must start with wss:// or https:// (got ${engine.protocol}//): the engine is reached over TLS.`)
  if (engine.username || engine.password) throw new InputError('engine-url', 'must not contain credentials; use the auth inputs.')
  if (engine.search || engine.hash) throw new InputError('engine-url', 'must not contain a query or fragment.')
  if (/\/app(\/|$)/i.test(engine.pathname))
    throw new InputError('engine-url', `must end before /app (e.g. wss://${engine.host}${engine.pathname.replace(/\/app(\/.*)?$/i, '')}): the app is added per target.`)
  return withoutTrailingSlash(engine)
}

function withoutTrailingSlash(url: URL): URL {
  url.pathname = url.pathname.replace(/\/+$/, '')
  return url
}
