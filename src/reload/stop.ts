import * as core from '@actions/core'
import type { QrsApi } from '../qrs/api.js'
import type { ExecutionResult } from '../qrs/types.js'
import type { Clock } from '../util/clock.js'
import { isFinal } from './status.js'
import { latestAttempt } from './wait.js'

/**
 * Stops the task and waits a little for its execution to reach a final status (Aborted, or
 * whatever it managed to finish with). Returns the last result seen.
 */
export async function stopExecution(api: QrsApi, taskId: string, executionId: string, clock: Clock, waitMs: number): Promise<ExecutionResult | undefined> {
  await api.stopTask(taskId)
  core.info(`Sent stop for task ${taskId}; waiting up to ${Math.round(waitMs / 1000)} s for execution ${executionId} to end.`)
  const deadline = clock.now() + waitMs
  for (;;) {
    const session = await api.executionSession(executionId)
    const last = latestAttempt(await api.executionResults(executionId))
    if (!session && last && isFinal(last.status)) return last
    if (clock.now() >= deadline) return last
    await clock.sleep(250)
  }
}
