/**
 * The apps as the engine holds them: the saved app (what a new session opens), the in-memory data
 * model a session works on, and which DoReloadEx comes next. A reload changes a model; only DoSave
 * (or a task reload, which the scheduler saves) changes the saved app.
 */
import type { QlikUser } from '../auth.js'
import { findUser } from '../auth.js'
import type { ScenarioApp, ScenarioUser, Switches } from '../scenario.js'
import { findById, type AppState, type SimState } from '../state.js'
import type { EngineRight, ScenarioEngineApp, ScenarioEngineReload, ScenarioTable } from './scenario.js'

export interface TableData {
  name: string
  rows: number
  fields: string[]
}

/** A data model: its tables and when they were loaded. Sessions of one app may share one (switch engineUnsavedData). */
export interface DataModel {
  tables: TableData[]
  lastReloadTime: string
}

export interface EngineApp {
  id: string
  /** The app in the repository (its name is the engine's qTitle). */
  qrs: AppState
  config: ScenarioEngineApp
  saved: DataModel
  /** engineUnsavedData "shared": the model every session with data works on, while one has the app open. */
  shared?: { model: DataModel; holders: number }
  /** Index of the scenario reload the next DoReloadEx plays. */
  nextReload: number
  /** The end of the reload running or queued last: reloads of one app run one after the other. */
  reloadQueue: Promise<void>
}

const defaultTables: ScenarioTable[] = [{ name: 'Data', rows: 1000 }]
const defaultReload: ScenarioEngineReload = { durationMs: 1000 }

function tableData(tables: ScenarioTable[]): TableData[] {
  return tables.map((t) => ({ name: t.name, rows: t.rows, fields: t.fields ?? [`${t.name}Id`, `${t.name}Value`] }))
}

function copy(model: DataModel): DataModel {
  return { tables: model.tables.map((t) => ({ ...t, fields: [...t.fields] })), lastReloadTime: model.lastReloadTime }
}

export class EngineApps {
  private readonly apps = new Map<string, EngineApp>()
  private readonly started = Date.now()

  constructor(
    private readonly state: SimState,
    private readonly scenarioApps: ScenarioApp[],
    private readonly users: ScenarioUser[],
    private readonly switches: Switches
  ) {}

  /** The app by id (case-insensitive), made on first use from the repository's app and its scenario. */
  find(id: string): EngineApp | undefined {
    const qrs = findById(this.state.apps, id)
    if (!qrs) return undefined
    const key = qrs.id.toLowerCase()
    let app = this.apps.get(key)
    if (!app) {
      const config = this.scenarioApps.find((a) => a.id.toLowerCase() === key)?.engine ?? {}
      const lastReloadTime = config.lastReloadTime ? new Date(config.lastReloadTime).toISOString() : new Date(this.started - 3_600_000).toISOString()
      app = { id: qrs.id, qrs, config, saved: { tables: tableData(config.tables ?? defaultTables), lastReloadTime }, nextReload: 0, reloadQueue: Promise.resolve() }
      this.apps.set(key, app)
    }
    return app
  }

  /** Whether `user` has `right` on the app (users[].appRights; an app not listed there: every right). */
  allows(user: QlikUser, app: EngineApp, right: EngineRight): boolean {
    const rights = findUser(this.users, user)?.appRights
    if (!rights) return true
    const entry = Object.entries(rights).find(([appId]) => appId.toLowerCase() === app.id.toLowerCase())
    return entry === undefined || entry[1].includes(right)
  }

  /** The model a session opening the app works on: empty without data, else the saved app (a copy, or the shared one). */
  open(app: EngineApp, noData: boolean): DataModel {
    if (noData) return { tables: [], lastReloadTime: app.saved.lastReloadTime }
    if (this.switches.engineUnsavedData === 'session') return copy(app.saved)
    app.shared ??= { model: copy(app.saved), holders: 0 }
    app.shared.holders++
    return app.shared.model
  }

  /** A session lets go of its model; the shared one is dropped with its last holder (unsaved data is lost). */
  release(app: EngineApp, model: DataModel): void {
    if (app.shared?.model !== model) return
    if (--app.shared.holders <= 0) app.shared = undefined
  }

  /** The scenario reload the next DoReloadEx plays (the last one repeats). */
  takeReload(app: EngineApp): ScenarioEngineReload {
    const list = app.config.reloads ?? [defaultReload]
    const reload = list[Math.min(app.nextReload, list.length - 1)] ?? defaultReload
    app.nextReload++
    return reload
  }

  /** The tables a successful reload leaves. */
  tablesAfter(app: EngineApp, reload: ScenarioEngineReload, partial: boolean): TableData[] {
    const base = app.config.tables ?? defaultTables
    const after = reload.tables ?? (partial ? (app.config.tablesAfterPartial ?? base) : (app.config.tablesAfterFull ?? base))
    return tableData(after)
  }

  /** DoSave: the model becomes the saved app. */
  save(app: EngineApp, model: DataModel): void {
    app.saved = copy(model)
  }

  /** A reload task of the app succeeded: the scheduler saves the full reload's tables (open shared models see them too). */
  taskReloaded(appId: string): void {
    const app = this.find(appId)
    if (!app) return
    app.saved = { tables: tableData(app.config.tablesAfterFull ?? app.config.tables ?? defaultTables), lastReloadTime: new Date().toISOString() }
    if (app.shared) Object.assign(app.shared.model, copy(app.saved))
  }
}
