import type { Target } from '../inputs/settings.js'
import type { QrsApi } from '../qrs/api.js'
import { eqGuid, eqText } from '../qrs/filter.js'
import type { ReloadTask } from '../qrs/types.js'
import { ReloadError } from './errors.js'

/**
 * Finds the reload task to start. Lists the user may not see come back empty rather than
 * refused, so "not found" also covers missing read rights.
 */
export async function findTask(api: QrsApi, target: Target): Promise<ReloadTask> {
  if (target.kind === 'task-id') {
    const [task] = await api.reloadTasks(eqGuid('id', target.taskId))
    if (!task) {
      throw new ReloadError(`No reload task with id ${target.taskId} is visible to this user: check the id (QMC > Tasks) and the user's read rights on tasks.`)
    }
    return task
  }
  const tasks = await api.reloadTasks(eqText('name', target.taskName))
  // QRS compares strings case-insensitively: prefer the exact spelling when several match.
  const exact = tasks.filter(task => task.name === target.taskName)
  const candidates = exact.length > 0 ? exact : tasks
  if (candidates.length === 0) {
    throw new ReloadError(`No reload task named '${target.taskName}' is visible to this user: check the name (QMC > Tasks) and the user's read rights on tasks.`)
  }
  if (candidates.length > 1) {
    const ids = candidates.map(task => `${task.id} ('${task.name}')`).join(', ')
    throw new ReloadError(`Several reload tasks are named '${target.taskName}': ${ids}. Use task-id instead.`)
  }
  return candidates[0]
}
