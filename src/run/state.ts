import type { StartRecord } from '../reload/start-record.js'
import type { SavedReload } from '../report/started.js'
import type { Toolkit } from '../toolkit/toolkit.js'

/** Where state is kept: the runner's, or a test's fake. */
export type StateStore = Pick<Toolkit, 'saveState' | 'getState'>

/**
 * What the post step needs if main dies (cancelled, killed, timed out by the runner): saved the
 * moment it is known. `executions` lists ours that may still run (a task's execution, or an engine
 * reload); `starting` the starts sent whose execution is not known yet (saved before each goes out);
 * `done` means neither has any.
 * A main step that ends normally (success, failure, cancellation handled) says so (`main-ended`):
 * an execution it left running is healthy (an outage ended the step, attach, stop-on-cancel: false)
 * and is not stopped by the post step, except those main tried to stop and could not, and the starts
 * whose execution a cancellation could not find yet.
 */
export const STATE = {
  taskId: 'task-id',
  executionId: 'execution-id',
  executions: 'executions',
  starting: 'starting',
  done: 'done',
  /** Main reached its end (any exit but a kill): its executions are no longer the post step's to stop. */
  mainEnded: 'main-ended',
  /** Executions main meant to stop (cancel, timeout) and could not: the post step tries again. */
  stopPending: 'stop-pending',
  /** Starts a cancellation cut whose execution main could not find (or not stop): the post step looks again. */
  startPending: 'start-pending'
} as const

/** What the post step must stop (or, for an engine reload, account for): reloads by key, and what starts in flight started. */
export interface LeftToStop {
  executions: SavedReload[]
  starts: StartRecord[]
}

/** Rewrites the lists of ours that may run: reloads, and starts not answered yet (the runner keeps the last value). */
export function saveRunning({ executions, starts }: LeftToStop, store: StateStore): void {
  const [first] = executions
  if (first && 'taskId' in first) {
    // The first one also under its own keys: one target is the common case.
    store.saveState(STATE.taskId, first.taskId)
    store.saveState(STATE.executionId, first.executionId)
  }
  store.saveState(STATE.executions, JSON.stringify(executions))
  store.saveState(STATE.starting, JSON.stringify(starts))
  store.saveState(STATE.done, executions.length === 0 && starts.length === 0 ? 'true' : 'false')
}

/** Main's last word, in its finally (a kill never gets here): what the post step must still stop. */
export function markMainEnded({ executions, starts }: LeftToStop, store: StateStore): void {
  store.saveState(STATE.stopPending, JSON.stringify(executions))
  store.saveState(STATE.startPending, JSON.stringify(starts))
  store.saveState(STATE.mainEnded, 'true')
}

/** What the post step stops: all of ours that may run when main never reached its end, else what main left to it. */
export function leftToStop(store: StateStore): LeftToStop {
  const read = <T>(key: string, keep: (value: unknown) => value is T): T[] => list(store.getState(key), keep) ?? []
  if (store.getState(STATE.mainEnded) === 'true') return { executions: read(STATE.stopPending, isSavedReload), starts: read(STATE.startPending, isStartRecord) }
  if (store.getState(STATE.done) === 'true') return { executions: [], starts: [] }
  const executionId = store.getState(STATE.executionId)
  // A state without the list, or with a broken one: the single keys.
  const executions = list(store.getState(STATE.executions), isSavedReload) ?? (executionId ? [{ taskId: store.getState(STATE.taskId), executionId }] : [])
  return { executions, starts: read(STATE.starting, isStartRecord) }
}

/** A JSON list from the state, only the entries of the expected shape; undefined when it is missing or not a list. */
function list<T>(text: string, keep: (value: unknown) => value is T): T[] | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return Array.isArray(value) ? value.filter(keep) : undefined
  } catch {
    return undefined
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null

function isSavedReload(value: unknown): value is SavedReload {
  if (!isObject(value)) return false
  if (value.engine === true) return typeof value.appId === 'string' && typeof value.appName === 'string'
  return typeof value.taskId === 'string' && typeof value.executionId === 'string'
}

function isStartRecord(value: unknown): value is StartRecord {
  return (
    isObject(value) &&
    (typeof value.taskId === 'string' || typeof value.appId === 'string') &&
    (value.engine === undefined || value.engine === true) &&
    typeof value.name === 'string' &&
    typeof value.at === 'string' &&
    typeof value.user === 'string' &&
    Array.isArray(value.before) &&
    value.before.every(id => typeof id === 'string')
  )
}
