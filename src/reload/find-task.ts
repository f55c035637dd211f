import { same, type QrsApi } from '../qrs/api.js'
import { eqGuid, eqText } from '../qrs/filter.js'
import { asExternalPrograms, type ReloadTask } from '../qrs/types.js'
import { ReloadError } from '../util/errors.js'

/**
 * Finds the task to start: reload tasks first, then external program tasks. Lists the user may
 * not see come back empty rather than refused, so "not found" also covers missing read rights.
 * What the server answers is checked again here: a task found by id has that id, one found by name that
 * name (a proxy that drops `filter` answers every task, and none of the others may be started).
 */
export async function findTask(api: QrsApi, target: { taskId: string } | { taskName: string }): Promise<ReloadTask> {
  if ('taskId' in target) {
    const task = await taskById(api, target.taskId)
    if (!task) throw new ReloadError(`No task with id ${target.taskId} is visible to this user: check the id (QMC > Tasks) and the user's read rights on tasks.`)
    return task
  }
  const filter = eqText('name', target.taskName)
  // QRS compares strings case-insensitively.
  const named = (tasks: ReloadTask[]): ReloadTask[] => tasks.filter(task => task.name.toLowerCase() === target.taskName.toLowerCase())
  let tasks = named(await api.reloadTasks(filter))
  if (tasks.length === 0) tasks = named(asExternalPrograms(await api.externalProgramTasks(filter)))
  // Prefer the exact spelling when several match.
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

/** The task with this id, a reload task or else an external program task: only one that has that id. */
export async function taskById(api: QrsApi, id: string, privileges = false): Promise<ReloadTask | undefined> {
  const filter = eqGuid('id', id)
  const ours = (found: ReloadTask[]): ReloadTask | undefined => found.find(task => same(task.id, id))
  return ours(await api.reloadTasks(filter, privileges)) ?? ours(asExternalPrograms(await api.externalProgramTasks(filter, privileges)))
}
