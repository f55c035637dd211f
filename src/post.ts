import { connect, defaults, readSettings, type Dependencies } from './connect.js'
import type { QrsClient } from './qrs/client.js'
import { stopExecution } from './reload/stop.js'
import { taskNames, type SavedReload } from './report/started.js'
import { STATE, leftToStop } from './run/state.js'
import { stopAndExplain } from './run/stop.js'
import { errorMessage } from './util/errors.js'

/** The post step has little time: a short wait for Aborted. */
const STOP_WAIT_MS = 4_000

/**
 * The post step (runs.post, always): if main was killed before it could stop its executions
 * (SIGKILL after a cancellation, a runner timeout), or tried and could not, stop them now. Each is
 * read again first: runs that ended are left alone, and so is any run of main that reached its end.
 * An engine reload cannot be reached any more (its session died with main): the step says what became of it.
 */
export async function post(deps: Dependencies = defaults): Promise<void> {
  const { toolkit, clock } = deps
  const left = leftToStop(toolkit)
  for (const reload of left) if ('engine' in reload) toolkit.warning(lostWithMain(reload))
  const running = left.filter((reload): reload is Extract<SavedReload, { taskId: string }> => 'taskId' in reload)
  if (running.length === 0) return
  const why = toolkit.getState(STATE.mainEnded) === 'true' ? 'The main step could not stop it' : 'The main step did not finish (cancelled or killed)'
  let client: QrsClient | undefined
  try {
    const settings = readSettings(toolkit)
    if (!settings.stopOnCancel) {
      for (const { taskId, executionId } of running)
        toolkit.warning(`The main step did not finish; execution ${executionId} of task ${taskId} may still run (stop-on-cancel is false).`)
      return
    }
    const connection = await connect(settings, clock, toolkit)
    client = connection.client
    for (const { taskId, executionId } of running) {
      const stop = await stopAndExplain(() => stopExecution(connection.api, taskId, executionId, { clock, log: toolkit, waitMs: STOP_WAIT_MS }), {
        why,
        names: taskNames(`task ${taskId}`, executionId),
        afterFailure: 'Stop it in the QMC.'
      })
      // Left alone because it had ended: nothing to warn about.
      if (stop.kind === 'already-ended') toolkit.info(stop.message)
      else toolkit.warning(stop.message)
    }
  } catch (error) {
    toolkit.warning(`The main step did not finish, and its executions could not be stopped: ${errorMessage(error)}. Stop them in the QMC.`)
  } finally {
    client?.dispose()
  }
}

/** What became of an engine reload whose main step was killed: nothing the post step can reach, so it says so. */
function lostWithMain({ appId, appName }: { appId: string; appName: string }): string {
  return `The main step did not finish (cancelled or killed) during the engine reload of app '${appName || appId}' (${appId}): its engine session ended with the process. Qlik then stops the reload or runs it to its end (not confirmed which); either way nothing saves it, so the app keeps the data it had saved before.`
}
