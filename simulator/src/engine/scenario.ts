/**
 * Scenario data of the engine (QIX): per app its tables before and after a reload and what each
 * DoReloadEx does over time; per user the rights on apps. Checked with the rest of the scenario.
 */

/** A table of an app's data model: GetTablesAndKeys lists it with `rows` as qNoOfRows. */
export interface ScenarioTable {
  name: string
  rows: number
  /** Field names. Default: `<name>Id`, `<name>Value`. */
  fields?: string[]
}

/** A progress line and when it appears, in ms from the start of the reload. */
export interface ScenarioProgressLine {
  atMs: number
  text: string
}

/** A script error of a failed reload: in qErrorData and in the closing progress lines. */
export interface ScenarioScriptError {
  message: string
  /** The statement it occurred in (qErrorData qLine). */
  statement?: string
}

/** What one DoReloadEx of the app does (each consumes the next; the last repeats). */
export interface ScenarioEngineReload {
  /** How long the reload runs. Default 1000. */
  durationMs?: number
  /** Default: true without `errors`, false with them. */
  success?: boolean
  /** Script errors of a failed reload. */
  errors?: ScenarioScriptError[]
  /** Persistent progress lines (statement starts, lines fetched). Default: generated from the tables. */
  progress?: ScenarioProgressLine[]
  /** The transient progress text from each offset on. Default: generated from the tables. */
  transient?: ScenarioProgressLine[]
  /** The tables after this reload, when it succeeds. Default: the app's tablesAfterFull or tablesAfterPartial. */
  tables?: ScenarioTable[]
  /** qEndedWithMemoryConstraint. Default false. */
  memoryConstraint?: boolean
}

/** An app as the engine sees it. */
export interface ScenarioEngineApp {
  /** qHasScript. Default true. */
  hasScript?: boolean
  /** qLastReloadTime of the saved app (ISO). Default: an hour before the simulator started. */
  lastReloadTime?: string
  /** The saved app's tables. Default: one table `Data` of 1000 rows. */
  tables?: ScenarioTable[]
  /** After a successful full reload (engine or task). Default: `tables`. */
  tablesAfterFull?: ScenarioTable[]
  /** After a successful partial reload. Default: `tables` (a partial reload keeps the data model). */
  tablesAfterPartial?: ScenarioTable[]
  /** What each DoReloadEx does. Default: one 1000 ms success. */
  reloads?: ScenarioEngineReload[]
}

/** Rights on an app in the engine: open it (read), DoReloadEx (reload), DoSave (update). */
export type EngineRight = 'read' | 'reload' | 'update'

const engineRights: EngineRight[] = ['read', 'reload', 'update']

/** Fails with a readable message (`fail` throws). */
export function checkEngineApp(engine: ScenarioEngineApp, where: string, fail: (msg: string) => never): void {
  if (typeof engine !== 'object' || engine === null) fail(`${where}: engine must be an object`)
  if (engine.lastReloadTime !== undefined && Number.isNaN(Date.parse(engine.lastReloadTime))) fail(`${where}: engine.lastReloadTime must be an ISO date`)
  for (const key of ['tables', 'tablesAfterFull', 'tablesAfterPartial'] as const) {
    if (engine[key] !== undefined) checkTables(engine[key], `${where}: engine.${key}`, fail)
  }
  if (engine.reloads !== undefined && (!Array.isArray(engine.reloads) || engine.reloads.length === 0)) fail(`${where}: engine.reloads must be a non-empty array`)
  for (const r of engine.reloads ?? []) {
    if (r.durationMs !== undefined && !(typeof r.durationMs === 'number' && r.durationMs >= 0)) fail(`${where}: engine.reloads[].durationMs must be >= 0`)
    for (const key of ['progress', 'transient'] as const) {
      const lines = r[key]
      if (lines === undefined) continue
      if (!Array.isArray(lines) || lines.some((l) => typeof l?.text !== 'string' || !(typeof l.atMs === 'number' && l.atMs >= 0))) {
        fail(`${where}: engine.reloads[].${key} must be [{atMs >= 0, text}]`)
      }
    }
    if (r.errors !== undefined && (!Array.isArray(r.errors) || r.errors.some((e) => typeof e?.message !== 'string'))) fail(`${where}: engine.reloads[].errors must be [{message}]`)
    if (r.tables !== undefined) checkTables(r.tables, `${where}: engine.reloads[].tables`, fail)
  }
}

function checkTables(tables: ScenarioTable[], where: string, fail: (msg: string) => never): void {
  if (!Array.isArray(tables)) fail(`${where} must be an array`)
  for (const t of tables) {
    if (typeof t?.name !== 'string' || !t.name) fail(`${where}: every table needs a name`)
    if (!(Number.isInteger(t.rows) && t.rows >= 0)) fail(`${where}: table "${t.name}" needs rows (an integer >= 0)`)
    if (t.fields !== undefined && (!Array.isArray(t.fields) || t.fields.some((f) => typeof f !== 'string'))) fail(`${where}: table "${t.name}": fields must be strings`)
  }
}

/** users[].appRights: app id → rights; an app not listed: every right. */
export function checkAppRights(rights: Record<string, EngineRight[]>, where: string, fail: (msg: string) => never): void {
  if (typeof rights !== 'object' || rights === null || Array.isArray(rights)) fail(`${where}: appRights must be an object (app id → rights)`)
  for (const [appId, list] of Object.entries(rights)) {
    if (!Array.isArray(list) || list.some((r) => !engineRights.includes(r))) fail(`${where}: appRights["${appId}"] must be a list of ${engineRights.join(', ')}`)
  }
}

/** Engine behaviours no source confirms (see the README's switch table); part of `Switches`. */
export interface EngineSwitches {
  /** A reload whose WebSocket closes before it ended: stopped ("abort") or run to its end, unsaved ("complete"). */
  engineReloadOnClose: 'abort' | 'complete'
  /** Whether other sessions see a reload's data before DoSave: each session its own model ("session") or one model per app on the engine ("shared"). */
  engineUnsavedData: 'session' | 'shared'
  /** DoReloadEx qParams members new in schema 12.1823 (qSkipStore, qRowLimit): "accepted", "refused" (an older engine: Invalid params), "ignored". */
  engineNewReloadParams: 'accepted' | 'refused' | 'ignored'
  /** The error code of OpenDoc for an unknown app: 2 (LOCERR_GENERIC_NOT_FOUND) or 1003 (LOCERR_APP_NOT_FOUND). */
  engineAppNotFoundCode: 2 | 1003
  /** GetProgress leaves out empty strings and false flags ("omitted") or sends every field ("sent"). */
  engineProgressEmptyFields: 'omitted' | 'sent'
  /** The line break after each line of qPersistentProgress. */
  engineProgressLineEnd: 'lf' | 'crlf'
  /** Opening an app with data while another session has it open without data (or the reverse): 1009 ("refused") or allowed. */
  engineMixedOpenModes: 'refused' | 'allowed'
  /** Traffic on an engine WebSocket through the proxy keeps the proxy session from idling out. */
  engineKeepsProxySession: boolean
}

export const defaultEngineSwitches: EngineSwitches = {
  engineReloadOnClose: 'abort',
  engineUnsavedData: 'session',
  engineNewReloadParams: 'accepted',
  engineAppNotFoundCode: 2,
  engineProgressEmptyFields: 'omitted',
  engineProgressLineEnd: 'lf',
  engineMixedOpenModes: 'refused',
  engineKeepsProxySession: true
}

const switchValues: { [K in keyof EngineSwitches]: readonly EngineSwitches[K][] } = {
  engineReloadOnClose: ['abort', 'complete'],
  engineUnsavedData: ['session', 'shared'],
  engineNewReloadParams: ['accepted', 'refused', 'ignored'],
  engineAppNotFoundCode: [2, 1003],
  engineProgressEmptyFields: ['omitted', 'sent'],
  engineProgressLineEnd: ['lf', 'crlf'],
  engineMixedOpenModes: ['refused', 'allowed'],
  engineKeepsProxySession: [true, false]
}

export function checkEngineSwitches(switches: Partial<EngineSwitches>, fail: (msg: string) => never): void {
  for (const [name, allowed] of Object.entries(switchValues) as [keyof EngineSwitches, readonly unknown[]][]) {
    const value = switches[name]
    if (value !== undefined && !allowed.includes(value)) fail(`switches.${name} must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`)
  }
}
