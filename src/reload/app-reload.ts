import type { QrsApi } from '../qrs/api.js'
import type { App } from '../qrs/types.js'
import { isGuid } from '../util/ids.js'
import type { Log } from '../toolkit/toolkit.js'
import type { Clock } from '../util/clock.js'
import { errorMessage, ReloadError } from '../util/errors.js'
import { formatDuration } from '../util/format.js'
import { poll } from '../util/poll.js'
import { firstLine } from '../util/text.js'
import { refused } from './refused.js'
import type { StartRecord } from './start-record.js'

const FIND_POLL_MS = 500
const MAX_GAP_MS = 5_000

export interface AppReloadStart {
  app: App
  executionId: string
  /** The task that ran: QMC's "Manually triggered reload of <app name>". */
  taskId: string
}

export interface AppReloadOptions {
  clock: Clock
  /** The job is cancelled: no more looks (the cancellation finds what the reload started, from its record). */
  signal?: AbortSignal
  /** clock.now() when the target's timeout passes: the looks for the execution end there. */
  deadline: number
  /** The user the calls run as, for the record. */
  user: string
  /** Called right before the reload is requested, with its record (see StartOptions.onSend). */
  onSend?: (record: StartRecord) => void
  log: Log
  /** The app as the target's lookup found it: not read again. */
  app?: App
}

/**
 * QMC's "Reload now" (`POST /qrs/app/{id}/reload`) answers 204 with no handle. The execution it
 * started is found by comparing the app's executions before and after the call: exactly one new
 * one is ours; several new ones at once cannot be told apart, and the action says so. The request is
 * sent once: when its answer is lost, the looking is the same (its outcome is not known either way).
 */
export async function startAppReload(api: QrsApi, appId: string, { clock, signal, deadline, user, onSend, log, app: known }: AppReloadOptions): Promise<AppReloadStart> {
  const app = known ?? (await api.app(appId))
  if (!app) throw new ReloadError(`No app with id ${appId} is visible to this user: check the id (QMC > Apps) and the user's read rights.`)
  const before = await appExecutions(api, appId)
  onSend?.({ appId, name: app.name, at: new Date().toISOString(), user, before: before.running })
  const since = clock.now()
  try {
    await api.reloadApp(appId)
  } catch (error) {
    if (signal?.aborted || refused(error)) throw error
    log.warning(
      `The answer to the reload of app '${app.name}' was lost (${firstLine(errorMessage(error))}): it may have started. It is not requested again; looking for the execution it started for up to ${formatDuration(Math.max(0, deadline - since))}, the rest of the timeout.`
    )
  }
  let seen: Map<string, string> | undefined
  const outcome = await poll({
    clock,
    signal,
    deadline,
    read: async () => {
      const now = (await appExecutions(api, appId)).all
      const fresh = new Map([...now].filter(([id]) => !before.all.has(id)))
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
    // Soon while one new execution waits to be seen again; further apart while none has shown (a busy scheduler).
    next: (_, attempt) => (seen?.size === 1 ? FIND_POLL_MS : Math.min(MAX_GAP_MS, Math.round(FIND_POLL_MS * 1.5 ** attempt)))
  })
  if (!outcome.done || !outcome.value) {
    throw new ReloadError(
      `The reload of app '${app.name}' was requested once, but no new execution appeared in ${formatDuration(clock.now() - since)}, until the timeout: the scheduler may be down, or the app's reload task was already running. It was not requested again.`
    )
  }
  const [executionId, taskId] = outcome.value
  return { app, executionId, taskId }
}

/**
 * The app's executions the server knows: execution id → task id for running ones and past results, and
 * the ids of those running now (a record lists those: the results of every past run would not fit).
 */
async function appExecutions(api: QrsApi, appId: string): Promise<{ all: Map<string, string>; running: string[] }> {
  // One after the other: two parallel calls could both meet an expired proxy session and both sign in.
  const sessions = await api.appExecutionSessions(appId)
  const results = await api.appExecutionResults(appId)
  // Ids go into request paths and the log: those that are not GUIDs are nobody's.
  const all = new Map<string, string>()
  for (const result of results) if (isGuid(result.executionID)) all.set(result.executionID.toLowerCase(), isGuid(result.taskID) ? result.taskID : '')
  for (const session of sessions.filter(s => isGuid(s.id))) {
    const taskId = session.reloadTask?.id
    all.set(session.id.toLowerCase(), isGuid(taskId) ? taskId : (all.get(session.id.toLowerCase()) ?? ''))
  }
  return { all, running: sessions.filter(s => isGuid(s.id)).map(session => session.id.toLowerCase()) }
}
