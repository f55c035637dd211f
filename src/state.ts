import { actionsToolkit } from './toolkit/actions.js'
import type { Toolkit } from './toolkit/toolkit.js'

/** Where state is kept: the runner's, or a test's fake. */
type StateStore = Pick<Toolkit, 'saveState' | 'getState'>

/**
 * What the post step needs if main dies (cancelled, killed, timed out by the runner): saved the
 * moment it is known. `executions` lists ours that may still run; `done` means none does.
 */
export const STATE = {
  isPost: 'isPost',
  taskId: 'task-id',
  executionId: 'execution-id',
  executions: 'executions',
  done: 'done'
} as const

export interface SavedExecution {
  taskId: string
  executionId: string
}

export function markMainStarted(store: StateStore = actionsToolkit): void {
  store.saveState(STATE.isPost, 'true')
}

/** Rewrites the list of our executions that have not ended (the runner keeps the last value). */
export function saveRunning(running: SavedExecution[], store: StateStore = actionsToolkit): void {
  if (running[0]) {
    // The first one also under its own keys: one target is the common case.
    store.saveState(STATE.taskId, running[0].taskId)
    store.saveState(STATE.executionId, running[0].executionId)
  }
  store.saveState(STATE.executions, JSON.stringify(running))
  store.saveState(STATE.done, running.length === 0 ? 'true' : 'false')
}

export function savedRunning(store: StateStore = actionsToolkit): SavedExecution[] {
  if (store.getState(STATE.done) === 'true') return []
  try {
    const list = JSON.parse(store.getState(STATE.executions) || '[]') as SavedExecution[]
    if (list.length > 0) return list
  } catch {
    // fall through to the single keys
  }
  const executionId = store.getState(STATE.executionId)
  return executionId ? [{ taskId: store.getState(STATE.taskId), executionId }] : []
}

export function isPost(store: StateStore = actionsToolkit): boolean {
  return store.getState(STATE.isPost) === 'true'
}
