import type { TableRows } from '../engine/types.js'
import type { AppRef, ReloadTask } from '../qrs/types.js'
import type { ReloadMode } from '../settings/engine.js'

/** How the step's messages name a started reload; run/stop.ts makes its sentences from these. */
export interface ReloadNames {
  /** "task 'Reload Sales'", "the engine reload of app 'Sales'". */
  what: string
  /** What a stop addresses: "task 'Reload Sales' (execution …)". */
  subject: string
  /** What a stop found over: "execution …". */
  ended: string
  /** Why nothing is sent then: "not stopping task 'Reload Sales' (another run of it may be going)". */
  notSent: string
  /** What a stop leaves behind, said after it: the engine never saves a reload it stopped. */
  afterStop?: string
}

/**
 * What the post step reads of a reload if main dies: a task's execution, which it can stop, or an
 * engine reload, whose session died with main (the post step can only say so).
 */
export type SavedReload = { taskId: string; executionId: string } | { engine: true; appId: string; appName: string }

/**
 * A reload this step started (or attached to), whichever way it runs (run/runner.ts): what the steps,
 * the reports, the cancel handling and the post step know of it. A runner keeps its own details on it.
 */
export interface StartedReload {
  /** Tells it apart among the step's reloads: a task's execution id, an engine reload's own id. */
  key: string
  names: ReloadNames
  mode: ReloadMode
  /** A partial reload (engine mode). */
  partial: boolean
  /** The task that runs it; an engine reload has none (the action runs it itself). */
  task?: ReloadTask
  /** The app, when known (an app target, or the task's app). */
  app?: AppRef
  /** The execution session id of a task's run; empty for an engine reload (the engine gives it none). */
  executionId: string
  /** Someone else started it (if-running: attach): reported, never stopped. */
  attached: boolean
  saved: SavedReload
  /** The progress log written as the reload runs (engine mode): script-log-path, whatever the outcome. */
  logPath?: string
  /** The app's tables before the reload, when they were read (engine mode). */
  tablesBefore?: TableRows[]
}

/** The names of a task's run: `task` as "task 'Reload Sales'" (or "task <id>" where only that is known). */
export function taskNames(task: string, executionId: string): ReloadNames {
  return { what: task, subject: `${task} (execution ${executionId})`, ended: `execution ${executionId}`, notSent: `not stopping ${task} (another run of it may be going)` }
}

/** The names of an engine reload of an app. */
export function engineNames(app: AppRef): ReloadNames {
  const what = `the engine reload of app '${app.name ?? app.id}'`
  return { what, subject: what, ended: what, notSent: 'nothing to cancel, and it was not saved', afterStop: 'The app was not saved: it keeps the data it had.' }
}
