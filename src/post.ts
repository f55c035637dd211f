import { connect, defaults, readSettings, type Dependencies } from './connect.js'
import { gate } from './output/untrusted.js'
import type { QrsClient } from './qrs/client.js'
import { startedWhat } from './reload/start-record.js'
import { stopExecution } from './reload/stop.js'
import { taskNames, type SavedReload } from './report/started.js'
import { settleStart } from './run/pending-start.js'
import { STATE, leftToStop } from './run/state.js'
import { stopAndExplain } from './run/stop.js'
import { errorMessage } from './util/errors.js'

/** The post step has little time: a short wait for Aborted. */
const STOP_WAIT_MS = 4_000
/** How long the post step looks for what a start in flight started (a busy scheduler can be slow to show it). */
const LOOK_MS = 15_000

type SavedExecution = Extract<SavedReload, { taskId: string }>

/**
 * The post step (runs.post, always; its own bundle, post-entry.ts): if main was killed before it could
 * stop its executions (SIGKILL after a cancellation, a runner timeout), or tried and could not, stop them
 * now; a start main sent without knowing what it started is settled under the same rule (the running
 * execution of that task that appeared since, run by our user). Each is read again first: runs that
 * ended are left alone, and so is any run of main that reached its end. An engine reload cannot be
 * reached any more (its session died with main): the step says what became of it. It never starts
 * anything, and with nothing left to it it sends no request.
 */
export async function post(deps: Dependencies = defaults): Promise<void> {
  // Every line and annotation passes the gate, as in main: none can be a runner command.
  const toolkit = gate(deps.toolkit)
  const { clock } = deps
  const left = leftToStop(toolkit)
  for (const reload of left.executions) if ('engine' in reload) toolkit.warning(lostWithMain(reload.appId, reload.appName))
  for (const record of left.starts) if (record.engine) toolkit.warning(lostWithMain(record.appId ?? '', record.name))
  const executions = left.executions.filter((reload): reload is SavedExecution => 'taskId' in reload)
  const starts = left.starts.filter(record => !record.engine)
  if (executions.length === 0 && starts.length === 0) return
  const ended = toolkit.getState(STATE.mainEnded) === 'true'
  const why = ended ? 'The main step could not stop it' : 'The main step did not finish (cancelled or killed)'
  let client: QrsClient | undefined
  try {
    const settings = readSettings(toolkit)
    if (!settings.stopOnCancel) {
      for (const { taskId, executionId } of executions)
        toolkit.warning(`The main step did not finish; execution ${executionId} of task ${taskId} may still run (stop-on-cancel is false).`)
      for (const record of starts) toolkit.warning(`The main step did not finish; what its start of ${startedWhat(record)} started may still run (stop-on-cancel is false).`)
      return
    }
    const connection = await connect(settings, clock, toolkit)
    client = connection.client
    for (const { taskId, executionId } of executions) {
      const stop = await stopAndExplain(() => stopExecution(connection.api, taskId, executionId, { clock, log: toolkit, waitMs: STOP_WAIT_MS }), {
        why,
        names: taskNames(`task ${taskId}`, executionId),
        afterFailure: 'Stop it in the QMC.'
      })
      // Left alone because it had ended: nothing to warn about.
      if (stop.kind === 'already-ended') toolkit.info(stop.message)
      else toolkit.warning(stop.message)
    }
    for (const record of starts) {
      const settled = await settleStart(connection.api, record, {
        why: ended ? 'The main step was cancelled' : 'The main step did not finish (cancelled or killed)',
        lookMs: LOOK_MS,
        waitMs: STOP_WAIT_MS,
        afterward: 'If one runs, stop it in the QMC.',
        clock,
        log: toolkit
      })
      if (settled.kind === 'stopped' || settled.kind === 'several' || settled.kind === 'failed') toolkit.warning(settled.message)
      else toolkit.info(settled.message)
    }
  } catch (error) {
    toolkit.warning(`The main step did not finish, and its executions could not be stopped: ${errorMessage(error)}. Stop them in the QMC.`)
  } finally {
    client?.dispose()
  }
}

/** What became of an engine reload whose main step was killed: nothing the post step can reach, so it says so. */
function lostWithMain(appId: string, appName: string): string {
  return `The main step did not finish (cancelled or killed) during the engine reload of app '${appName || appId}' (${appId}): its engine session ended with the process. Qlik then stops the reload or runs it to its end (not confirmed which); either way nothing saves it, so the app keeps the data it had saved before.`
}
