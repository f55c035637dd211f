import type { QrsApi } from '../qrs/api.js'
import { isTransient, retryDelay } from '../qrs/retry.js'
import type { ExecutionResult } from '../qrs/types.js'
import type { Clock } from '../util/clock.js'
import { isFinal } from './status.js'
import { latestAttempt } from './wait.js'
import { printUntrusted } from '../output/untrusted.js'
import type { Log } from '../toolkit/toolkit.js'
import { firstLine } from '../util/text.js'

export interface StopOutcome {
  /** Our execution had already ended when it was read again: no stop was sent (it would hit another run of the task). */
  alreadyEnded: boolean
  /** The last result seen of our execution. */
  result?: ExecutionResult
}

export interface StopOptions {
  clock: Clock
  log: Log
  /** How long to wait for ours to reach a final status once the stop is sent. */
  waitMs: number
}

/** 4 AbortInitiated, 5 Aborting: a stop already reached it. */
const STOPPING = new Set([4, 5])

/**
 * Stops OUR execution: reads it again first and, if it has ended, sends nothing. Else stops the
 * task and waits up to `waitMs` for ours to reach a final status (Aborted, or whatever it managed
 * to finish with).
 *
 * The window between that read and the stop cannot be closed fully: `POST /qrs/task/{id}/stop`
 * addresses the task, not an execution (the QRS has no "stop execution X"), so a run of the same
 * task that someone starts in the moment between our read and our stop would be the one aborted.
 * That moment is one request long; nothing else is done in between.
 */
export async function stopExecution(api: QrsApi, taskId: string, executionId: string, { clock, log, waitMs }: StopOptions): Promise<StopOutcome> {
  const deadline = clock.now() + waitMs
  const before = await readOurs(api, executionId)
  if (before.ended) return { alreadyEnded: true, result: before.result }
  await sendStop(api, taskId, executionId, clock, log, deadline)
  log.info(`Sent stop for task ${taskId}; waiting up to ${Math.round(waitMs / 1000)} s for execution ${executionId} to end.`)
  for (;;) {
    const now = await readOurs(api, executionId).catch((error: unknown) => {
      if (isTransient(error)) return undefined
      throw error
    })
    if (now?.ended && now.result && isFinal(now.result.status)) return { alreadyEnded: false, result: now.result }
    if (clock.now() >= deadline) return { alreadyEnded: false, result: now?.result ?? before.result }
    await clock.sleep(250)
  }
}

/**
 * The stop, never re-sent blindly: when it fails for a transient reason (its answer lost, the server
 * busy), ours is read again, and the stop goes out once more only while ours still runs untouched.
 */
async function sendStop(api: QrsApi, taskId: string, executionId: string, clock: Clock, log: Log, deadline: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await api.stopTask(taskId)
    } catch (error) {
      if (!isTransient(error) || clock.now() >= deadline) throw error
      // The error may quote the server's answer: printed with runner commands off.
      printUntrusted(log, `The stop of task ${taskId} got no answer (${firstLine((error as Error).message)}); reading execution ${executionId} again before another.`)
      for (;;) {
        await clock.sleep(Math.max(0, Math.min(retryDelay(error, attempt), deadline - clock.now())))
        const ours = await readOurs(api, executionId).catch((reading: unknown) => {
          if (isTransient(reading) && clock.now() < deadline) return undefined
          // The stop's own failure is the one to report.
          throw error
        })
        if (!ours) continue
        if (ours.ended || ours.stopping) return
        break
      }
    }
  }
}

/** Our execution as the server has it now: ended (session gone, or its result final), being stopped, or running. */
async function readOurs(api: QrsApi, executionId: string): Promise<{ ended: boolean; stopping: boolean; result?: ExecutionResult }> {
  const session = await api.executionSession(executionId)
  const status = session?.executionResult?.status
  if (session && (status === undefined || !isFinal(status))) return { ended: false, stopping: status !== undefined && STOPPING.has(status) }
  const result = latestAttempt(await api.executionResults(executionId))
  // Session gone but the result not final yet (the server is writing it): ended for a stop, the wait reads the rest.
  return { ended: true, stopping: false, result }
}
