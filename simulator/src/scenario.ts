import { readFileSync } from 'node:fs'
import { checkAppRights, checkEngineApp, checkEngineSwitches, defaultEngineSwitches, type EngineRight, type EngineSwitches, type ScenarioEngineApp } from './engine/scenario.js'

/** Behaviours no source confirms: each one can be flipped per scenario or per test. */
export interface Switches extends EngineSwitches {
  /** "403": answer 403 text; "handshake": refuse during the TLS handshake. */
  untrustedClientCert: '403' | 'handshake'
  /** Status of a failed attempt that another attempt follows: 8 FinishedFail or 10 Retry. */
  retryResultStatus: number
  /** Hand out details[] in random order (Qlik does not promise an order). */
  shuffleDetails: boolean
  /** Order of result lists by creation time. */
  resultsOrder: 'asc' | 'desc'
  /** HTTP status of POST /qrs/task/{id}/stop. */
  stopStatus: number
  /** "reuse": one "Manually triggered reload of <app>" task per app; "new": a new task per reload. */
  appReloadTask: 'reuse' | 'new'
  /** The session disappears this many ms before the last result shows its final status. */
  resultLagMs: number
  /** Delay before a start request is answered. */
  startLatencyMs: number
  /** Start of a task that is running: "parallel" runs another, "ignore" starts nothing, "existing" hands back the running session. */
  startWhileRunning: 'parallel' | 'ignore' | 'existing'
  /** Script log reference routes (doc section 9): "both"; "legacy" = only .../scriptlog (a pre-May-2025 server); "current" = only .../scriptlogfile. */
  scriptLogRoutes: 'both' | 'legacy' | 'current'
  /** The log download starts with a UTF-8 byte order mark. */
  scriptLogBom: boolean
  /** Notification API: ms each delivery to a callback URL waits before it is sent. */
  notificationDelayMs: number
  /**
   * Notification API: "honoured" sends an Update to a subscription with `propertyName` only when that
   * property is among the changed ones (the help's "target a specific property"); "ignored" sends every
   * Update, as a server that does not filter by it would.
   */
  notificationPropertyName: 'honoured' | 'ignored'
  /** Notification API: status of a successful POST /qrs/notification (201 or 200; the body is the handle either way). */
  notificationCreateStatus: 200 | 201
  /** Notification API: the handle as live servers send it, `{"value": "<guid>"}`, or as the definition types it, a bare JSON string. */
  notificationHandle: 'value' | 'string'
  /** Notification API: every callback is delivered twice (deliveries may repeat). */
  notificationRepeat: boolean
  /** Results with a script log say scriptLogAvailable false although fileReferenceID and scriptLogSize are set (seen in a real capture). */
  scriptLogAvailableFalse: boolean
  /** With scriptLogRoutes "legacy": the status .../scriptlogfile answers (a server without the route; 404 or e.g. 400, 405, 500). */
  scriptLogFileMissingStatus: number
  /** Full tasks carry `tags: null` instead of `[]`. */
  nullTags: boolean
  /** Task chains: ms between the final status of the upstream execution and the start of the downstream task. */
  chainDelayMs: number
  /** Task chains: composite events fire at most this many times per simulator (a circular chain stops). */
  maxChainFirings: number
  /** Concurrency limit: an execution waiting for a free slot longer than this ends as 12 Reset. Default none (waits forever). */
  queueTimeoutMs?: number
  /** `?privileges=true`: "answered" fills each entity's `privileges` (the user's allowed actions); "omitted" leaves them null (a server or proxy that does not tell). */
  privileges: 'answered' | 'omitted'
  /** Execution steps: ms an attempt stays in 1 Triggered before the scheduler queues or starts it. */
  triggeredMs: number
  /**
   * Execution steps: ms every attempt stays in 3 Queued on its way to 2 Started (a site whose scheduler
   * queues each task before a node starts it). 0: Queued only while all slots are taken, or for the
   * attempt's own `queuedMs`, which wins over this when set.
   */
  queuedStepMs: number
  /**
   * Execution steps: the script log reference ("Reference to scriptlog added", fileReferenceID and the
   * scriptLog* fields) is added this many ms before the final status, as a change of its own (the order
   * live details show). 0: in the same change as the final status.
   */
  logReferenceLeadMs: number
  /** HTTP.sys MaxRequestBytes: request line and headers together at most this many bytes, else 400 "Request Too Long". 0: no limit. */
  maxRequestBytes: number
  /** HTTP.sys MaxFieldLength applied to the URL: the request target at most this many bytes, else 414 "Request URL Too Long". 0: no limit. */
  maxUrlBytes: number
}

export const defaultSwitches: Switches = {
  untrustedClientCert: '403',
  retryResultStatus: 8,
  shuffleDetails: true,
  resultsOrder: 'desc',
  stopStatus: 204,
  appReloadTask: 'reuse',
  resultLagMs: 0,
  startLatencyMs: 0,
  startWhileRunning: 'parallel',
  scriptLogRoutes: 'both',
  scriptLogBom: true,
  notificationDelayMs: 0,
  notificationCreateStatus: 201,
  notificationHandle: 'value',
  notificationRepeat: false,
  notificationPropertyName: 'honoured',
  scriptLogAvailableFalse: false,
  scriptLogFileMissingStatus: 404,
  nullTags: false,
  chainDelayMs: 300,
  maxChainFirings: 20,
  privileges: 'answered',
  triggeredMs: 20,
  queuedStepMs: 0,
  logReferenceLeadMs: 0,
  maxRequestBytes: 16_384,
  maxUrlBytes: 16_384,
  ...defaultEngineSwitches
}

export interface ScenarioAttempt {
  /** Final TaskExecutionStatus of the attempt: 7 success, 8 FinishedFail, 11 Error, 9 Skipped, 12 Reset, 6 Aborted. */
  outcome: number
  queuedMs?: number
  durationMs?: number
  /** Extra detail messages (Error details on failure, Information on success). */
  details?: string[]
  /** The script log, one entry per line (CRLF added). Default: a generated Qlik-style log that ends the way the outcome says. */
  scriptLog?: string[]
  /** Pads the log with generated LOAD/progress lines up to about this many bytes; made while streaming, never held in memory.
   *  The padding goes before the closing lines (the error lines of a failed run stay at the end). */
  scriptLogBytes?: number
  /** The attempt leaves no log: fileReferenceID = empty GUID, scriptLogAvailable false, scriptLogSize 0. */
  noScriptLog?: boolean
  /** The log download answers 404 for this many ms after the attempt ended (doc section 9, Butler #1499/#1503). */
  logDelayMs?: number
}

export interface ScenarioRun {
  attempts: ScenarioAttempt[]
}

/** The owner of an app (UserCondensed). */
export interface ScenarioOwner {
  userDirectory: string
  userId: string
  name?: string
}

export interface ScenarioApp {
  id: string
  name: string
  /** Published to the default stream 'Everyone' (without `streamId`). */
  published?: boolean
  /** Published to this stream (of `Scenario.streams`); absent and not `published`: in its owner's work area. */
  streamId?: string
  /** Default: INTERNAL\\sa_repository. */
  owner?: ScenarioOwner
  /** What `?privileges=true` lists for the signed-in user. Default: create, read, update, delete, publish. */
  privileges?: string[]
  /** Runs of the "Manually triggered reload of <name>" task (POST /qrs/app/{id}/reload). */
  reloadRuns?: ScenarioRun[]
  /** The app in the engine (QIX): tables, reloads. Default: one table, 1000 ms successful reloads. */
  engine?: ScenarioEngineApp
}

export interface ScenarioTask {
  id: string
  name: string
  /** 0 Reload, 1 ExternalProgram, 2 UserSync, 3 Distribute, 4 Preload (newer servers; only in /qrs/task lists). */
  taskType?: number
  appId?: string
  enabled?: boolean
  /** false: the scheduler refuses to start it (start/synchronous answers the empty GUID). */
  startable?: boolean
  maxRetries?: number
  taskSessionTimeout?: number
  /** Each start consumes the next run; the last one repeats. */
  runs?: ScenarioRun[]
  /** A run before the simulator started (history): operational.lastExecutionResult shows it until the first start. */
  previousRun?: ScenarioPreviousRun
  /**
   * Earlier runs still in the repository, oldest first, before `previousRun` (which, when given, is the
   * latest): each is an ExecutionResult of the task, as `GET /qrs/executionresult?filter=TaskID eq ...` lists them.
   * Without `endedAgoMs` they ended an hour apart, the newest an hour before `previousRun` (or the start).
   */
  previousRuns?: ScenarioPreviousRun[]
  /** External program tasks (taskType 1): the program and its command line parameters. */
  path?: string
  parameters?: string
  /** Tag names (each becomes a Tag of the site). */
  tags?: string[]
  /** Custom property values; each `name` must be one of `Scenario.customPropertyDefinitions`. */
  customProperties?: { name: string; value: string }[]
  /** What `?privileges=true` lists for the signed-in user. Default: create, read, update, delete (update = may start it). */
  privileges?: string[]
}

interface ScenarioStream {
  id: string
  name: string
}

interface ScenarioCustomPropertyDefinition {
  id: string
  name: string
  /** Allowed values; default: any text. */
  choiceValues?: string[]
  /** Default: ReloadTask, ExternalProgramTask. */
  objectTypes?: string[]
}

export interface ScenarioPreviousRun {
  /** Its final status (7 FinishedSuccess, 8 FinishedFail, ...). */
  status: number
  durationMs: number
  /** How long before the simulator started it ended. Default one hour. */
  endedAgoMs?: number
}

export interface ScenarioUser {
  directory: string
  id: string
  inactive?: boolean
  /** Security rules: tasks (ids) this user cannot read. Lists leave them out (and their sessions and results); by id they are 404, by name 400. */
  hiddenTasks?: string[]
  /** Security rules: tasks (ids) this user can read but not start or stop: 403. */
  deniedTasks?: string[]
  /** Rights in the engine per app id: read (OpenDoc), reload (DoReloadEx), update (DoSave); `[]` = none. An app not listed: all three. */
  appRights?: Record<string, EngineRight[]>
}

/** Time window in which all rules of a composite event must be met (Qlik's default: 360 minutes). */
export interface ScenarioTimeConstraint {
  days?: number
  hours?: number
  minutes?: number
  seconds?: number
}

export interface ScenarioCompositeRule {
  /** The upstream task. */
  taskId: string
  /** 1 TaskSuccessful (FinishedSuccess), 2 TaskFail (FinishedFail, Error, Aborted, Reset). */
  ruleState: 1 | 2
}

/** A task chain (doc section 10): starts `downstreamTaskId` when every rule is met within the time constraint. */
export interface ScenarioCompositeEvent {
  id: string
  name: string
  enabled?: boolean
  /** Omitted: 0 days, 0 hours, 360 minutes, 0 seconds. All zero: no window (satisfactions never expire). */
  timeConstraint?: ScenarioTimeConstraint
  rules: ScenarioCompositeRule[]
  downstreamTaskId: string
}

export type VpAuth = 'windows' | 'jwt' | 'header' | 'forms'

/** A virtual proxy of the simulated QPS (doc sections 4, 5). */
export interface ScenarioVirtualProxy {
  /** Case-sensitive first path segment; "" = the default VP. */
  prefix: string
  auth: VpAuth
  /** Never hard-code it in a client: it is configured per VP. Default X-Qlik-Session[-<prefix>]. */
  sessionCookieName?: string
  /** Idle timeout, refreshed on use. Default 1800000 (30 min). */
  sessionTimeoutMs?: number
  /** windows: User-Agent substring (case-insensitive) that selects Windows login over forms. Default "Windows". */
  windowsAuthPattern?: string
  /** windows switch: also set the session cookie on the 302 after Type3 (some sites do). Default false. */
  cookieOnType3?: boolean
  /** windows switch: send a Type2 without Extended Session Security and target info (an NTLMv1 server). Default false. */
  ntlmV1Only?: boolean
  /** jwt: claim names (case-sensitive). Default userId / userDirectory. */
  jwtUserIdClaim?: string
  jwtUserDirectoryClaim?: string
  /** jwt: checked only when set. */
  jwtAudience?: string
  /** jwt: PEM certificate (or public key) file to verify with. Default: the generated jwt_cert.pem. */
  jwtCertFile?: string
  /** header: the header that carries the user id. Default X-Qlik-HeaderAuth. */
  headerName?: string
  /** header: user directory when the value is not DIR\user. Default INTERNAL. */
  headerUserDirectory?: string
}

export interface ScenarioProxy {
  virtualProxies: ScenarioVirtualProxy[]
  /** Accounts the built-in NTLM verifier accepts. */
  windowsAccounts?: { domain: string; user: string; password: string }[]
}

export interface Scenario {
  machineName: string
  serverNames?: string[]
  nodeName?: string
  switches?: Partial<Switches>
  apps?: ScenarioApp[]
  tasks?: ScenarioTask[]
  users?: ScenarioUser[]
  /** Starts the proxy listener; absent = QRS on the certificate port only. */
  proxy?: ScenarioProxy
  /** Task chains (composite events, doc section 10). */
  compositeEvents?: ScenarioCompositeEvent[]
  /** Executions in 2 Started at once on the node ("Max concurrent reloads"); more wait in 3 Queued. Default 4. */
  maxConcurrentReloads?: number
  /** Streams apps are published to (besides 'Everyone', which exists on every site). */
  streams?: ScenarioStream[]
  /** Tags no task carries (tags of tasks are created from their names). */
  tags?: string[]
  customPropertyDefinitions?: ScenarioCustomPropertyDefinition[]
}

export const defaultRun: ScenarioRun = { attempts: [{ outcome: 7, durationMs: 300 }] }

export function loadScenario(file: string): Scenario {
  const scenario = JSON.parse(readFileSync(file, 'utf8')) as Scenario
  checkScenario(scenario, file)
  return scenario
}

/** Fails early with a readable message instead of odd behaviour at run time. */
export function checkScenario(scenario: Scenario, source = 'scenario'): void {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`)
  }
  if (typeof scenario !== 'object' || scenario === null) fail('not a JSON object')
  if (typeof scenario.machineName !== 'string' || !scenario.machineName) fail('machineName is required')
  const appIds = new Set((scenario.apps ?? []).map((a) => a.id.toLowerCase()))
  for (const app of scenario.apps ?? []) {
    if (!app.id || !app.name) fail('every app needs id and name')
  }
  for (const task of scenario.tasks ?? []) {
    if (!task.id || !task.name) fail('every task needs id and name')
    if ((task.taskType ?? 0) === 0 && task.appId && !appIds.has(task.appId.toLowerCase())) {
      fail(`task "${task.name}" refers to unknown app ${task.appId}`)
    }
    for (const run of task.runs ?? []) checkRun(run, `task "${task.name}"`, fail)
    for (const prev of [...(task.previousRuns ?? []), ...(task.previousRun ? [task.previousRun] : [])]) {
      if (!(Number.isInteger(prev.status) && prev.durationMs >= 0 && (prev.endedAgoMs ?? 0) >= 0)) {
        fail(`task "${task.name}": previousRun and previousRuns need an integer status, durationMs >= 0 and endedAgoMs >= 0`)
      }
    }
  }
  for (const app of scenario.apps ?? []) for (const run of app.reloadRuns ?? []) checkRun(run, `app "${app.name}"`, fail)
  const sw = scenario.switches?.scriptLogRoutes
  if (sw !== undefined && !['both', 'legacy', 'current'].includes(sw)) fail('switches.scriptLogRoutes must be both, legacy or current')
  const delay = scenario.switches?.notificationDelayMs
  if (delay !== undefined && !(typeof delay === 'number' && delay >= 0)) fail('switches.notificationDelayMs must be a number >= 0')
  const propertyName = scenario.switches?.notificationPropertyName
  if (propertyName !== undefined && propertyName !== 'honoured' && propertyName !== 'ignored') fail('switches.notificationPropertyName must be honoured or ignored')
  const handle = scenario.switches?.notificationHandle
  if (handle !== undefined && handle !== 'value' && handle !== 'string') fail('switches.notificationHandle must be value or string')
  const missing = scenario.switches?.scriptLogFileMissingStatus
  if (missing !== undefined && !(Number.isInteger(missing) && missing >= 400 && missing <= 599)) fail('switches.scriptLogFileMissingStatus must be a status 400-599')
  const created = scenario.switches?.notificationCreateStatus
  if (created !== undefined && created !== 200 && created !== 201) fail('switches.notificationCreateStatus must be 200 or 201')
  const chainDelay = scenario.switches?.chainDelayMs
  if (chainDelay !== undefined && !(typeof chainDelay === 'number' && chainDelay >= 0)) fail('switches.chainDelayMs must be a number >= 0')
  const maxFirings = scenario.switches?.maxChainFirings
  if (maxFirings !== undefined && !(typeof maxFirings === 'number' && maxFirings >= 0)) fail('switches.maxChainFirings must be a number >= 0')
  const queueTimeout = scenario.switches?.queueTimeoutMs
  if (queueTimeout !== undefined && !(typeof queueTimeout === 'number' && queueTimeout > 0)) fail('switches.queueTimeoutMs must be a number > 0')
  const limit = scenario.maxConcurrentReloads
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) fail('maxConcurrentReloads must be an integer >= 1')
  for (const name of ['triggeredMs', 'queuedStepMs', 'logReferenceLeadMs', 'maxRequestBytes', 'maxUrlBytes'] as const) {
    const value = scenario.switches?.[name]
    if (value !== undefined && !(typeof value === 'number' && value >= 0)) fail(`switches.${name} must be a number >= 0`)
  }
  const privileges = scenario.switches?.privileges
  if (privileges !== undefined && privileges !== 'answered' && privileges !== 'omitted') fail('switches.privileges must be answered or omitted')
  checkSelectors(scenario, fail)
  checkEngineSwitches(scenario.switches ?? {}, fail)
  for (const app of scenario.apps ?? []) if (app.engine !== undefined) checkEngineApp(app.engine, `app "${app.name}"`, fail)
  for (const u of scenario.users ?? []) if (u.appRights !== undefined) checkAppRights(u.appRights, `user ${u.directory}\\${u.id}`, fail)
  if (scenario.proxy !== undefined) checkProxy(scenario.proxy, fail)
  if (scenario.compositeEvents !== undefined) checkCompositeEvents(scenario.compositeEvents, new Set((scenario.tasks ?? []).map((t) => t.id.toLowerCase())), fail)
}

/** Streams, tags and custom properties: what tasks and apps refer to must exist. */
function checkSelectors(scenario: Scenario, fail: (msg: string) => never): void {
  const streams = new Set((scenario.streams ?? []).map((s) => s.id.toLowerCase()))
  for (const s of scenario.streams ?? []) if (!s.id || !s.name) fail('every stream needs id and name')
  for (const app of scenario.apps ?? []) {
    if (app.streamId !== undefined && !streams.has(app.streamId.toLowerCase())) fail(`app "${app.name}" refers to unknown stream ${app.streamId}`)
    if (app.owner !== undefined && (!app.owner.userDirectory || !app.owner.userId)) fail(`app "${app.name}": owner needs userDirectory and userId`)
  }
  const definitions = new Map((scenario.customPropertyDefinitions ?? []).map((d) => [d.name.toLowerCase(), d]))
  for (const d of scenario.customPropertyDefinitions ?? []) if (!d.id || !d.name) fail('every custom property definition needs id and name')
  for (const task of scenario.tasks ?? []) {
    if (task.tags !== undefined && (!Array.isArray(task.tags) || task.tags.some((t) => typeof t !== 'string' || !t))) fail(`task "${task.name}": tags must be names`)
    for (const cp of task.customProperties ?? []) {
      const definition = definitions.get(String(cp?.name).toLowerCase())
      if (!definition) fail(`task "${task.name}": custom property "${cp?.name}" has no definition in customPropertyDefinitions`)
      if (typeof cp.value !== 'string') fail(`task "${task.name}": custom property "${cp.name}" needs a text value`)
      if (definition.choiceValues && !definition.choiceValues.includes(cp.value)) fail(`task "${task.name}": "${cp.value}" is not a choice of custom property "${cp.name}"`)
    }
  }
}

function checkCompositeEvents(events: ScenarioCompositeEvent[], taskIds: Set<string>, fail: (msg: string) => never): void {
  if (!Array.isArray(events)) fail('compositeEvents must be an array')
  const seen = new Set<string>()
  for (const e of events) {
    if (typeof e !== 'object' || e === null || typeof e.id !== 'string' || !e.id || typeof e.name !== 'string' || !e.name) {
      fail('every composite event needs id and name')
    }
    const where = `composite event "${e.name}"`
    if (seen.has(e.id.toLowerCase())) fail(`${where}: id ${e.id} used twice`)
    seen.add(e.id.toLowerCase())
    if (e.enabled !== undefined && typeof e.enabled !== 'boolean') fail(`${where}: enabled must be true or false`)
    if (typeof e.downstreamTaskId !== 'string' || !taskIds.has(e.downstreamTaskId.toLowerCase())) {
      fail(`${where}: downstreamTaskId refers to unknown task ${String(e.downstreamTaskId)}`)
    }
    if (!Array.isArray(e.rules) || e.rules.length === 0) fail(`${where}: needs at least one rule`)
    for (const r of e.rules) {
      if (typeof r?.taskId !== 'string' || !taskIds.has(r.taskId.toLowerCase())) fail(`${where}: a rule refers to unknown task ${String(r?.taskId)}`)
      if (r.ruleState !== 1 && r.ruleState !== 2) fail(`${where}: ruleState must be 1 (TaskSuccessful) or 2 (TaskFail)`)
    }
    const tc = e.timeConstraint
    if (tc !== undefined) {
      if (typeof tc !== 'object' || tc === null) fail(`${where}: timeConstraint must be an object`)
      for (const k of ['days', 'hours', 'minutes', 'seconds'] as const) {
        const v = tc[k]
        if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) fail(`${where}: timeConstraint.${k} must be a number >= 0`)
      }
    }
  }
}

function checkRun(run: ScenarioRun, where: string, fail: (msg: string) => never): void {
  if (!Array.isArray(run.attempts) || run.attempts.length === 0) fail(`${where}: every run needs attempts`)
  for (const a of run.attempts) {
    if (a.scriptLog !== undefined && (!Array.isArray(a.scriptLog) || a.scriptLog.some((l) => typeof l !== 'string'))) {
      fail(`${where}: scriptLog must be an array of strings (lines)`)
    }
    if (a.scriptLogBytes !== undefined && !(a.scriptLogBytes >= 0)) fail(`${where}: scriptLogBytes must be >= 0`)
    if (a.logDelayMs !== undefined && !(a.logDelayMs >= 0)) fail(`${where}: logDelayMs must be >= 0`)
  }
}

function checkProxy(proxy: ScenarioProxy, fail: (msg: string) => never): void {
  if (!Array.isArray(proxy.virtualProxies)) fail('proxy.virtualProxies must be an array')
  const prefixes = new Set<string>()
  for (const vp of proxy.virtualProxies) {
    if (typeof vp.prefix !== 'string' || vp.prefix.includes('/')) fail(`proxy: bad prefix "${vp.prefix}" (one path segment, no slashes)`)
    if (prefixes.has(vp.prefix)) fail(`proxy: prefix "${vp.prefix}" used twice`)
    prefixes.add(vp.prefix)
    if (!['windows', 'jwt', 'header', 'forms'].includes(vp.auth)) fail(`proxy: VP "${vp.prefix}": auth must be windows, jwt, header or forms`)
    if (vp.sessionTimeoutMs !== undefined && !(vp.sessionTimeoutMs > 0)) fail(`proxy: VP "${vp.prefix}": sessionTimeoutMs must be > 0`)
  }
  for (const a of proxy.windowsAccounts ?? []) {
    if (!a.user || typeof a.password !== 'string' || typeof a.domain !== 'string') fail('proxy.windowsAccounts[] need domain, user and password')
  }
}
