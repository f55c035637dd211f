import type { QrsApi } from '../qrs/api.js'
import { sameText } from '../util/ids.js'
import { chunks, eqGuid, eqText } from '../qrs/filter.js'
import { asExternalPrograms, type ReloadTask } from '../qrs/types.js'
import { ReloadError } from '../util/errors.js'

export type TaskTarget = { taskId: string } | { taskName: string }

/**
 * Finds the task to start: reload tasks first, then external program tasks. Lists the user may
 * not see come back empty rather than refused, so "not found" also covers missing read rights.
 * What the server answers is checked again here: a task found by id has that id, one found by name that
 * name (a proxy that drops `filter` answers every task, and none of the others may be started).
 */
export async function findTask(api: QrsApi, target: TaskTarget): Promise<ReloadTask> {
  const [found] = await findTasks(api, [target])
  if (found instanceof ReloadError) throw found
  return found
}

/**
 * findTask for several targets at once: one lookup for all of them (`id eq a or name eq 'b' ...`, split by
 * the URL budget), then one for those not found among the external program tasks. Each target gets its
 * task, or the ReloadError findTask would throw; server trouble is thrown.
 */
export async function findTasks(api: QrsApi, targets: TaskTarget[]): Promise<(ReloadTask | ReloadError)[]> {
  // Each target takes only what matches it, whatever the server matched (also for a lookup of one target).
  const matching = (target: TaskTarget, tasks: ReloadTask[]): ReloadTask[] =>
    'taskId' in target ? tasks.filter(task => sameText(task.id, target.taskId)) : tasks.filter(task => sameText(task.name, target.taskName))
  const reload = await lookUp(targets, filter => api.reloadTasks(filter))
  const missing = targets.filter(target => matching(target, reload).length === 0)
  const programs = missing.length > 0 ? asExternalPrograms(await lookUp(missing, filter => api.externalProgramTasks(filter))) : []
  return targets.map(target => {
    const inReload = matching(target, reload)
    return pick(target, inReload.length > 0 ? inReload : matching(target, programs))
  })
}

async function lookUp(targets: TaskTarget[], list: (filter: string) => Promise<ReloadTask[]>): Promise<ReloadTask[]> {
  const found: ReloadTask[] = []
  for (const chunk of chunks(targets, target => ('taskId' in target ? eqGuid('id', target.taskId) : eqText('name', target.taskName)))) found.push(...(await list(chunk.filter)))
  return found
}

function pick(target: TaskTarget, tasks: ReloadTask[]): ReloadTask | ReloadError {
  if ('taskId' in target) {
    return tasks[0] ?? new ReloadError(`No task with id ${target.taskId} is visible to this user: check the id (QMC > Tasks) and the user's read rights on tasks.`)
  }
  // Prefer the exact spelling when several match.
  const exact = tasks.filter(task => task.name === target.taskName)
  const candidates = exact.length > 0 ? exact : tasks
  if (candidates.length === 0) {
    return new ReloadError(`No task named '${target.taskName}' is visible to this user: check the name (QMC > Tasks) and the user's read rights on tasks.`)
  }
  if (candidates.length > 1) {
    const ids = candidates.map(task => `${task.id} ('${task.name}')`).join(', ')
    return new ReloadError(`Several tasks are named '${target.taskName}': ${ids}. Use task-id instead.`)
  }
  return candidates[0]
}

/** The task with this id, a reload task or else an external program task: only one that has that id. */
export async function taskById(api: QrsApi, id: string, privileges = false): Promise<ReloadTask | undefined> {
  const filter = eqGuid('id', id)
  const ours = (found: ReloadTask[]): ReloadTask | undefined => found.find(task => sameText(task.id, id))
  return ours(await api.reloadTasks(filter, privileges)) ?? ours(asExternalPrograms(await api.externalProgramTasks(filter, privileges)))
}
