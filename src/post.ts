import { connect, readSettings } from './connect.js'
import { defaults, type Dependencies } from './main.js'
import type { QrsClient } from './qrs/client.js'
import { describeStatus } from './reload/status.js'
import { stopExecution } from './reload/stop.js'
import { STATE, leftToStop } from './run/state.js'

/** The post step has little time: a short wait for Aborted. */
const STOP_WAIT_MS = 4_000

/**
 * The post step (runs.post, always): if main was killed before it could stop its executions
 * (SIGKILL after a cancellation, a runner timeout), or tried and could not, stop them now. Each is
 * read again first: runs that ended are left alone, and so is any run of main that reached its end.
 */
export async function post(deps: Dependencies = defaults): Promise<void> {
  const { toolkit } = deps
  const running = leftToStop(toolkit)
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
    const connection = connect(settings, deps.clock, toolkit)
    client = connection.client
    const { api } = connection
    for (const { taskId, executionId } of running) {
      try {
        const stop = await stopExecution(api, taskId, executionId, { clock: deps.clock, log: toolkit, waitMs: STOP_WAIT_MS })
        if (stop.alreadyEnded) {
          toolkit.info(`${why}, but execution ${executionId} had already ended: not stopping task ${taskId} (nothing to stop).`)
          continue
        }
        toolkit.warning(`${why}: stopped task ${taskId} (execution ${executionId})${stop.result ? `, now ${describeStatus(stop.result.status)}` : ''}.`)
      } catch (error) {
        toolkit.warning(`The main step did not finish, and stopping execution ${executionId} failed: ${(error as Error).message}. Stop task ${taskId} in the QMC.`)
      }
    }
  } catch (error) {
    toolkit.warning(`The main step did not finish, and its executions could not be stopped: ${(error as Error).message}. Stop them in the QMC.`)
  } finally {
    client?.dispose()
  }
}
