import type { Target } from '../inputs/settings.js'
import type { QrsApi } from '../qrs/api.js'
import { EMPTY_GUID, type AppRef, type ReloadTask } from '../qrs/types.js'
import { startAppReload } from './app-reload.js'
import type { Clock } from './clock.js'
import { ReloadError } from './errors.js'
import { findTask } from './target.js'

export interface StartedReload {
  task: ReloadTask
  executionId: string
  /** The app, when the target was an app (the task may not name it). */
  app?: AppRef
}

/** Starts the target once and says which execution is ours. */
export async function startReload(api: QrsApi, target: Target, clock: Clock): Promise<StartedReload> {
  if (target.kind === 'app-id') {
    const { app, executionId, taskId } = await startAppReload(api, target.appId, clock)
    const task = taskId ? await findTask(api, { taskId }) : await findTask(api, { taskName: `Manually triggered reload of ${app.name}` })
    return { task, executionId, app }
  }
  const task = await findTask(api, target.kind === 'task-id' ? { taskId: target.taskId } : { taskName: target.taskName })
  return { task, executionId: await startTask(api, task) }
}

/**
 * Starts the task once and returns the execution session id. Never retried: a lost answer
 * does not mean the task did not start.
 */
export async function startTask(api: QrsApi, task: ReloadTask): Promise<string> {
  const executionId = await api.startTask(task.id)
  if (!executionId || executionId === EMPTY_GUID) {
    const disabled = task.enabled === false ? ' The task is disabled: enable it in the QMC (Tasks > Edit > Enabled).' : ''
    throw new ReloadError(
      `Task '${task.name}' (${task.id}) did not start: the server answered with an empty execution id.${disabled} Likely causes: the task is disabled, no scheduler service is running or reachable, or the app is unavailable (deleted, or locked by another reload).`
    )
  }
  return executionId
}
