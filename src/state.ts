import * as core from '@actions/core'

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

export function markMainStarted(): void {
  core.saveState(STATE.isPost, 'true')
}

/** Rewrites the list of our executions that have not ended (the runner keeps the last value). */
export function saveRunning(running: SavedExecution[]): void {
  if (running[0]) {
    // The first one also under its own keys: one target is the common case.
    core.saveState(STATE.taskId, running[0].taskId)
    core.saveState(STATE.executionId, running[0].executionId)
  }
  core.saveState(STATE.executions, JSON.stringify(running))
  core.saveState(STATE.done, running.length === 0 ? 'true' : 'false')
}

export function savedRunning(): SavedExecution[] {
  if (core.getState(STATE.done) === 'true') return []
  try {
    const list = JSON.parse(core.getState(STATE.executions) || '[]') as SavedExecution[]
    if (list.length > 0) return list
  } catch {
    // fall through to the single keys
  }
  const executionId = core.getState(STATE.executionId)
  return executionId ? [{ taskId: core.getState(STATE.taskId), executionId }] : []
}

export function isPost(): boolean {
  return core.getState(STATE.isPost) === 'true'
}
