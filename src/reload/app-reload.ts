import type { QrsApi } from '../qrs/api.js'
import type { App } from '../qrs/types.js'
import type { Clock } from '../util/clock.js'
import { ReloadError } from '../util/errors.js'
import { poll } from '../util/poll.js'

/** How long to look for the execution an app reload started before giving up. */
const FIND_EXECUTION_TIMEOUT_MS = 60_000
const FIND_POLL_MS = 500

export interface AppReloadStart {
  app: App
  executionId: string
  /** The task that ran: QMC's "Manually triggered reload of <app name>". */
  taskId: string
}

/**
 * QMC's "Reload now" (`POST /qrs/app/{id}/reload`) answers 204 with no handle. The execution it
 * started is found by comparing the app's executions before and after the call: exactly one new
 * one is ours; several new ones at once cannot be told apart, and the action says so.
 */
export async function startAppReload(api: QrsApi, appId: string, { clock, signal }: { clock: Clock; signal?: AbortSignal }): Promise<AppReloadStart> {
  const app = await api.app(appId)
  if (!app) throw new ReloadError(`No app with id ${appId} is visible to this user: check the id (QMC > Apps) and the user's read rights.`)
  const before = await appExecutions(api, appId)
  await api.reloadApp(appId)
  let seen: Map<string, string> | undefined
  const outcome = await poll({
    clock,
    signal,
    deadline: clock.now() + FIND_EXECUTION_TIMEOUT_MS,
    read: async () => {
      const now = await appExecutions(api, appId)
      const fresh = new Map([...now].filter(([id]) => !before.has(id)))
      if (fresh.size > 1) {
        throw new ReloadError(
          `App '${app.name}' has ${fresh.size} executions that started since the reload was requested (${[...fresh.keys()].join(', ')}): another user or a schedule reloaded it at the same time, and the server does not tell which one this step started. Not guessing: check the QMC, or reload through a task with task-id.`
        )
      }
      // Seen twice in a row: a concurrent start would have shown up by now.
      const ours = fresh.size === 1 && seen?.size === 1 ? [...fresh][0] : undefined
      seen = fresh
      return ours
    },
    done: ours => ours !== undefined,
    next: () => FIND_POLL_MS
  })
  if (!outcome.done || !outcome.value) {
    throw new ReloadError(
      `The reload of app '${app.name}' was requested, but no new execution appeared within ${FIND_EXECUTION_TIMEOUT_MS / 1000} s: the scheduler may be down, or the app's reload task was already running.`
    )
  }
  const [executionId, taskId] = outcome.value
  return { app, executionId, taskId }
}

/** Execution id → task id for every execution of the app the server knows: running ones and past results. */
async function appExecutions(api: QrsApi, appId: string): Promise<Map<string, string>> {
  // One after the other: two parallel calls could both meet an expired proxy session and both sign in.
  const sessions = await api.appExecutionSessions(appId)
  const results = await api.appExecutionResults(appId)
  const executions = new Map<string, string>()
  for (const result of results) if (result.executionID) executions.set(result.executionID.toLowerCase(), result.taskID ?? '')
  for (const session of sessions) executions.set(session.id.toLowerCase(), session.reloadTask?.id ?? executions.get(session.id.toLowerCase()) ?? '')
  return executions
}
