import type { QrsApi } from '../qrs/api.js'
import type { ExecutionSession } from '../qrs/types.js'
import { isGuid, sameText } from '../util/ids.js'
import type { Clock } from '../util/clock.js'
import { poll } from '../util/poll.js'
import { isTransient } from '../qrs/retry.js'
import { parseUser } from '../qrs/user.js'

/**
 * A start about to be sent, recorded before it goes out (and saved in the step state): from this alone,
 * what the start started can be found again, by this step after a cancellation cut the start, or by the
 * post step after main was killed. The QRS has no "who started this": an execution is the start's if it
 * is of that task (or app), was not running before the start, and runs as our user. An engine reload
 * (`engine`) is recorded too, before its DoReloadEx goes out, but has no execution to find: it lives in
 * main's session, and the post step can only say what became of it.
 */
export interface StartRecord {
  /** The task started; for an app reload the app (its task may not exist before its first reload). */
  taskId?: string
  /** An external program task: its sessions are listed by `externalProgramTask.id`. */
  external?: boolean
  appId?: string
  /** An engine reload of the app (reload-mode: engine): DoReloadEx in main's own session. */
  engine?: true
  /** The task's or the app's name, for the messages. */
  name: string
  /** When it was sent, by the runner's clock (ISO 8601): for the messages only (the server's clock may differ). */
  at: string
  /** The user the calls run as (`DIRECTORY\userId`, the directory empty when not known; '' not known at all). */
  user: string
  /** Executions of the task (or app) that were running before the start, lower case: none of them is ours. */
  before: string[]
}

/** One execution the start may have started: it runs now. */
export interface StartedExecution {
  executionId: string
  taskId: string
}

/** "task 'Reload Sales'" or "app 'Budget'": what a message names. */
export function startedWhat(record: StartRecord): string {
  if (record.engine) return `the engine reload of app '${record.name}'`
  return record.appId ? `app '${record.name}'` : `task '${record.name}'`
}

/** Our user as a message names it. */
export function userName(record: StartRecord): string {
  if (!record.user) return 'any user (the inputs do not name one)'
  return record.user.startsWith('\\') ? record.user.slice(1) : record.user
}

/** The executions of the record's task (or app) running now that were not running before it, run by our user. */
export async function startedSince(api: QrsApi, record: StartRecord): Promise<StartedExecution[]> {
  const before = new Set(record.before.map(id => id.toLowerCase()))
  return (
    (await runningSessions(api, record))
      .filter(session => isGuid(session.id) && !before.has(session.id.toLowerCase()) && runsAs(session.user, record.user))
      .map(session => ({ executionId: session.id, taskId: record.taskId ?? session.reloadTask?.id ?? session.externalProgramTask?.id ?? '' }))
      // Both go into request paths: GUIDs only.
      .filter(found => isGuid(found.taskId))
  )
}

/** The sessions of the record's task (or app); none when the server does not serve the list (nothing can be told). */
async function runningSessions(api: QrsApi, record: StartRecord): Promise<ExecutionSession[]> {
  if (record.appId) return api.appExecutionSessions(record.appId)
  const sessions = await api.taskExecutionSessions({ id: record.taskId ?? '', name: record.name, taskType: record.external ? 1 : 0 })
  return 'notKnown' in sessions ? [] : sessions
}

/** Looks at most `lookMs` for what the start started (a start just sent may take a moment to show): none, one, or several. */
export async function lookForStarted(api: QrsApi, record: StartRecord, { clock, lookMs }: { clock: Clock; lookMs: number }): Promise<StartedExecution[]> {
  const outcome = await poll({
    clock,
    deadline: clock.now() + lookMs,
    read: () => startedSince(api, record),
    retry: isTransient,
    done: found => found.length > 0,
    next: () => LOOK_GAP_MS
  })
  return outcome.done ? outcome.value : []
}

const LOOK_GAP_MS = 500

/**
 * Whether a session's `user` is our user. The QRS writes it as one string, `DIRECTORY\userId` (the
 * `UserDirectory=...; UserId=...` form is read too); names compare case-insensitively, as Qlik's do.
 * A directory either side does not know is not compared; a session without a user is nobody's we know.
 */
export function runsAs(sessionUser: string | null | undefined, ours: string): boolean {
  if (!ours) return true
  const them = parseUser(sessionUser ?? '')
  const us = parseUser(ours)
  if (!them.userId) return false
  return sameText(them.userId, us.userId) && (!them.directory || !us.directory || sameText(them.directory, us.directory))
}
