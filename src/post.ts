import { connect, readSettings } from './connect.js'
import { defaults, type Dependencies } from './main.js'
import type { QrsClient } from './qrs/client.js'
import { savedRunning } from './state.js'

/**
 * The post step (runs.post, always): if main was killed before it could stop its executions
 * (SIGKILL after a cancellation, a runner timeout), stop them now. Runs that ended are left alone.
 */
export async function post(deps: Dependencies = defaults): Promise<void> {
  const { toolkit } = deps
  const running = savedRunning(toolkit)
  if (running.length === 0) return
  let client: QrsClient | undefined
  try {
    const settings = readSettings(toolkit)
    if (!settings.stopOnCancel) {
      for (const { taskId, executionId } of running) toolkit.warning(`The main step did not finish; execution ${executionId} of task ${taskId} may still run (stop-on-cancel is false).`)
      return
    }
    const connection = connect(settings, deps.clock)
    client = connection.client
    const { api } = connection
    for (const { taskId, executionId } of running) {
      try {
        if (!(await api.executionSession(executionId))) {
          toolkit.info(`The main step did not finish, but execution ${executionId} has already ended: nothing to stop.`)
          continue
        }
        await api.stopTask(taskId)
        toolkit.warning(`The main step did not finish (cancelled or killed): stopped task ${taskId} (execution ${executionId}).`)
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
