import type { QrsApi } from '../qrs/api.js'
import { EMPTY_GUID, type ReloadTask } from '../qrs/types.js'
import { ReloadError } from './errors.js'

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
