import { connect, defaults, readSettings, type Dependencies } from './connect.js'
import type { QrsClient } from './qrs/client.js'
import { stopExecution } from './reload/stop.js'
import { startedWhat } from './reload/started.js'
import { settleStart } from './run/pending-start.js'
import { STATE, leftToStop } from './run/state.js'
import { stopAndExplain } from './run/stop.js'
import { errorMessage } from './util/errors.js'
import { printUntrusted } from './output/untrusted.js'

/** The post step has little time: a short wait for Aborted. */
const STOP_WAIT_MS = 4_000
/** How long the post step looks for what a start in flight started (a busy scheduler can be slow to show it). */
const LOOK_MS = 15_000

/**
 * The post step (runs.post, always; its own bundle, post-entry.ts): if main was killed before it could
 * stop its executions (SIGKILL after a cancellation, a runner timeout), or tried and could not, stop them
 * now; a start main sent without knowing what it started is settled under the same rule (the running
 * execution of that task that appeared since, run by our user). Each is read again first: runs that
 * ended are left alone, and so is any run of main that reached its end. It never starts anything, and
 * with nothing left to it it sends no request.
 */
export async function post(deps: Dependencies = defaults): Promise<void> {
  const { toolkit, clock } = deps
  const left = leftToStop(toolkit)
  if (left.executions.length === 0 && left.starts.length === 0) return
  const why = toolkit.getState(STATE.mainEnded) === 'true' ? 'The main step could not stop it' : 'The main step did not finish (cancelled or killed)'
  let client: QrsClient | undefined
  try {
    const settings = readSettings(toolkit)
    if (!settings.stopOnCancel) {
      for (const { taskId, executionId } of left.executions)
        toolkit.warning(`The main step did not finish; execution ${executionId} of task ${taskId} may still run (stop-on-cancel is false).`)
      for (const record of left.starts) toolkit.warning(`The main step did not finish; what its start of ${startedWhat(record)} started may still run (stop-on-cancel is false).`)
      return
    }
    const connection = connect(settings, clock, toolkit)
    client = connection.client
    for (const { taskId, executionId } of left.executions) {
      const stop = await stopAndExplain(() => stopExecution(connection.api, taskId, executionId, { clock, log: toolkit, waitMs: STOP_WAIT_MS }), {
        why,
        task: `task ${taskId}`,
        executionId,
        afterFailure: 'Stop it in the QMC.'
      })
      // Left alone because it had ended: nothing to warn about.
      if (stop.kind === 'already-ended') toolkit.info(stop.message)
      else toolkit.warning(stop.message)
    }
    for (const record of left.starts) {
      const settled = await settleStart(connection.api, record, {
        why: toolkit.getState(STATE.mainEnded) === 'true' ? 'The main step was cancelled' : 'The main step did not finish (cancelled or killed)',
        lookMs: LOOK_MS,
        waitMs: STOP_WAIT_MS,
        afterward: 'If one runs, stop it in the QMC.',
        clock,
        log: toolkit
      })
      // The message names the task or app (server text): an info line goes through the gate.
      if (settled.kind === 'stopped' || settled.kind === 'several' || settled.kind === 'failed') toolkit.warning(settled.message)
      else printUntrusted(toolkit, settled.message)
    }
  } catch (error) {
    toolkit.warning(`The main step did not finish, and its executions could not be stopped: ${errorMessage(error)}. Stop them in the QMC.`)
  } finally {
    client?.dispose()
  }
}
