import type { QrsApi } from '../qrs/api.js'
import { eqGuid, eqText } from '../qrs/filter.js'
import { asExternalPrograms, type ReloadTask } from '../qrs/types.js'
import { ReloadError } from '../util/errors.js'

/**
 * Finds the task to start: reload tasks first, then external program tasks. Lists the user may
 * not see come back empty rather than refused, so "not found" also covers missing read rights.
 */
export async function findTask(api: QrsApi, target: { taskId: string } | { taskName: string }): Promise<ReloadTask> {
  const filter = 'taskId' in target ? eqGuid('id', target.taskId) : eqText('name', target.taskName)
  let tasks = await api.reloadTasks(filter)
  if (tasks.length === 0) tasks = asExternalPrograms(await api.externalProgramTasks(filter))
  if ('taskId' in target) {
    if (!tasks[0]) throw new ReloadError(`No task with id ${target.taskId} is visible to this user: check the id (QMC > Tasks) and the user's read rights on tasks.`)
    return tasks[0]
  }
  // QRS compares strings case-insensitively: prefer the exact spelling when several match.
  const exact = tasks.filter(task => task.name === target.taskName)
  const candidates = exact.length > 0 ? exact : tasks
  if (candidates.length === 0) {
    throw new ReloadError(`No task named '${target.taskName}' is visible to this user: check the name (QMC > Tasks) and the user's read rights on tasks.`)
  }
  if (candidates.length > 1) {
    const ids = candidates.map(task => `${task.id} ('${task.name}')`).join(', ')
    throw new ReloadError(`Several tasks are named '${target.taskName}': ${ids}. Use task-id instead.`)
  }
  return candidates[0]
}
