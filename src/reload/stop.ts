import type { QrsApi } from '../qrs/api.js'
import { isOutage, isTransient, retryDelay } from '../qrs/retry.js'
import type { ExecutionResult } from '../qrs/types.js'
import type { Clock } from '../util/clock.js'
import { isFinal } from './status.js'
import { latestAttempt } from './wait.js'
import { printUntrusted } from '../output/untrusted.js'
import type { Log } from '../toolkit/toolkit.js'
import { firstLine } from '../util/text.js'
import { errorMessage } from '../util/errors.js'
import { answer, failure, poll } from '../util/poll.js'

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
/** Once the stop is sent, ours is read this often until it ends. */
const STOP_POLL_MS = 250
/** Each request of a stop gets at most this share of its budget: one that hangs leaves time to read another way and to stop. */
const REQUESTS_PER_BUDGET = 3
const MIN_REQUEST_MS = 1_000

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
export async function stopExecution(qrs: QrsApi, taskId: string, executionId: string, { clock, log, waitMs }: StopOptions): Promise<StopOutcome> {
  const deadline = clock.now() + waitMs
  // The stop has its own budget, and no request of it outlives that.
  const api = qrs.with({ deadline, timeoutMs: Math.max(MIN_REQUEST_MS, waitMs / REQUESTS_PER_BUDGET) })
  const before = await readOurs(api, executionId)
  if (before.ended) return { alreadyEnded: true, result: before.result }
  await sendStop(api, taskId, executionId, clock, log, deadline)
  log.info(`Sent stop for task ${taskId}; waiting up to ${Math.round(waitMs / 1000)} s for execution ${executionId} to end.`)
  // No signal: a stop goes on after a cancellation (that is when it is sent), bounded by waitMs.
  const outcome = await poll({
    clock,
    deadline,
    read: () => readOurs(api, executionId),
    retry: isTransient,
    done: now => now.ended && now.result !== undefined && isFinal(now.result.status),
    next: () => STOP_POLL_MS
  })
  return { alreadyEnded: false, result: outcome.done ? outcome.value.result : (answer(outcome.last)?.result ?? before.result) }
}

/**
 * The stop, never re-sent blindly: when it fails for a transient reason (its answer lost, the server
 * busy), ours is read again, and the stop goes out once more only while ours still runs untouched.
 */
async function sendStop(api: QrsApi, taskId: string, executionId: string, clock: Clock, log: Log, deadline: number): Promise<void> {
  let stopError: unknown
  const outcome = await poll({
    clock,
    deadline,
    read: async attempt => {
      if (attempt > 0) {
        // A read that fails for good reports the stop's own failure.
        const ours = await readOurs(api, executionId).catch((reading: unknown) => {
          throw isTransient(reading) ? reading : stopError
        })
        if (ours.ended || ours.stopping) return
      }
      await api.stopTask(taskId).catch((error: unknown) => {
        stopError = error
        throw error
      })
    },
    retry: isTransient,
    next: (seen, attempt) => {
      const error = failure(seen)
      // The error may quote the server's answer: printed with runner commands off.
      if (error === stopError)
        printUntrusted(log, `The stop of task ${taskId} got no answer (${firstLine(errorMessage(error))}); reading execution ${executionId} again before another.`)
      return retryDelay(error, attempt)
    }
  })
  if (!outcome.done) throw stopError
}

/**
 * Our execution as the server has it now: ended (session gone, or its result final), being stopped, or
 * running. When its session cannot be read (an outage, a wrong answer), its results tell: running
 * until one is final.
 */
async function readOurs(api: QrsApi, executionId: string): Promise<{ ended: boolean; stopping: boolean; result?: ExecutionResult }> {
  let session: Awaited<ReturnType<QrsApi['executionSession']>>
  try {
    session = await api.executionSession(executionId)
  } catch (error) {
    if (!isOutage(error)) throw error
    const result = latestAttempt(await api.executionResults(executionId))
    return { ended: result !== undefined && isFinal(result.status), stopping: result !== undefined && STOPPING.has(result.status), result }
  }
  const status = session?.executionResult?.status
  if (session && (status === undefined || !isFinal(status))) return { ended: false, stopping: status !== undefined && STOPPING.has(status) }
  // Session gone: ours has ended, whatever its result says (a result that cannot be read is not a reason to stop).
  const results = await api.executionResults(executionId).catch((error: unknown) => {
    if (isOutage(error)) return []
    throw error
  })
  // The result may not be final yet (the server is writing it): ended for a stop, the wait reads the rest.
  return { ended: true, stopping: false, result: latestAttempt(results) }
}
