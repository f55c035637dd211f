import * as core from '@actions/core'

/**
 * What the post step needs if main dies (cancelled, killed, timed out by the runner): saved the
 * moment it is known. `done` means nothing of ours is left running.
 */
export const STATE = {
  isPost: 'isPost',
  taskId: 'task-id',
  executionId: 'execution-id',
  done: 'done'
} as const

export function markMainStarted(): void {
  core.saveState(STATE.isPost, 'true')
}

export function saveExecution(taskId: string, executionId: string): void {
  core.saveState(STATE.taskId, taskId)
  core.saveState(STATE.executionId, executionId)
}

export function markDone(): void {
  core.saveState(STATE.done, 'true')
}

export function isPost(): boolean {
  return core.getState(STATE.isPost) === 'true'
}
