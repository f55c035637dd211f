import type { SavedReload } from '../report/started.js'
import type { Toolkit } from '../toolkit/toolkit.js'

/** Where state is kept: the runner's, or a test's fake. */
export type StateStore = Pick<Toolkit, 'saveState' | 'getState'>

/**
 * What the post step needs if main dies (cancelled, killed, timed out by the runner): saved the
 * moment it is known. `executions` lists ours that may still run; `done` means none does.
 * A main step that ends normally (success, failure, cancellation handled) says so (`main-ended`):
 * an execution it left running is healthy (an outage ended the step, attach, stop-on-cancel: false)
 * and is not stopped by the post step, except those main tried to stop and could not.
 */
export const STATE = {
  isPost: 'isPost',
  taskId: 'task-id',
  executionId: 'execution-id',
  executions: 'executions',
  done: 'done',
  /** Main reached its end (any exit but a kill): its executions are no longer the post step's to stop. */
  mainEnded: 'main-ended',
  /** Executions main meant to stop (cancel, timeout) and could not: the post step tries again. */
  stopPending: 'stop-pending'
} as const

export function markMainStarted(store: StateStore): void {
  store.saveState(STATE.isPost, 'true')
}

/** Rewrites the list of our reloads that have not ended (the runner keeps the last value). */
export function saveRunning(running: SavedReload[], store: StateStore): void {
  const [first] = running
  if (first && 'taskId' in first) {
    // The first one also under its own keys: one target is the common case.
    store.saveState(STATE.taskId, first.taskId)
    store.saveState(STATE.executionId, first.executionId)
  }
  store.saveState(STATE.executions, JSON.stringify(running))
  store.saveState(STATE.done, running.length === 0 ? 'true' : 'false')
}

function savedRunning(store: StateStore): SavedReload[] {
  if (store.getState(STATE.done) === 'true') return []
  try {
    const list = JSON.parse(store.getState(STATE.executions) || '[]') as SavedReload[]
    if (list.length > 0) return list
  } catch {
    // fall through to the single keys
  }
  const executionId = store.getState(STATE.executionId)
  return executionId ? [{ taskId: store.getState(STATE.taskId), executionId }] : []
}

export function isPost(store: StateStore): boolean {
  return store.getState(STATE.isPost) === 'true'
}

/** Main's last word, in its finally (a kill never gets here): which of ours the post step must still stop. */
export function markMainEnded(stopPending: SavedReload[], store: StateStore): void {
  store.saveState(STATE.stopPending, JSON.stringify(stopPending))
  store.saveState(STATE.mainEnded, 'true')
}

/** What the post step stops: all of ours that may run when main never reached its end, else what main could not stop. */
export function leftToStop(store: StateStore): SavedReload[] {
  if (store.getState(STATE.mainEnded) !== 'true') return savedRunning(store)
  try {
    return JSON.parse(store.getState(STATE.stopPending) || '[]') as SavedReload[]
  } catch {
    return []
  }
}
