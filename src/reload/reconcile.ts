import type { QrsApi } from '../qrs/api.js'
import { isTransient } from '../qrs/retry.js'
import type { ReloadTask } from '../qrs/types.js'
import { isGuid } from '../util/ids.js'
import type { Clock } from '../util/clock.js'
import { ReloadError, errorMessage } from '../util/errors.js'
import { formatDuration } from '../util/format.js'
import { failure, poll } from '../util/poll.js'
import { firstLine } from '../util/text.js'
import { findTask } from './find-task.js'
import { runsAs, userName, type StartRecord } from './start-record.js'
import type { Log } from '../toolkit/toolkit.js'

export interface ReconcileOptions {
  clock: Clock
  /** The job is cancelled: no more looks (the cancellation finds what the start started, from its record). */
  cancel?: AbortSignal
  /** clock.now() after which no look starts: the target's timeout. */
  deadline: number
  /** The task's last execution result before the start (the lookup's), to tell a run that already ended. */
  lastResultBefore?: string
  /** Where the warning that the answer was lost, and the execution found, are said. */
  log: Log
}

/** The first looks come soon (a start is usually visible at once), then further apart: a busy scheduler can take minutes. */
const FIRST_GAP_MS = 500
const MAX_GAP_MS = 5_000

/**
 * The start was sent and its outcome is not known (no answer, a cut or unreadable one): the execution it
 * started, if any, is found, never by sending it again (one start per target per run). Looks until the
 * deadline, for a session of the task that was not running before and runs as our user, or a last result
 * of the task that is new (a run that ended between two looks; results name no user, so one whose
 * session was seen running as another user is not taken). Several new ones of our user: not guessing.
 */
export async function findLostStart(api: QrsApi, task: ReloadTask, record: StartRecord, lost: unknown, options: ReconcileOptions): Promise<string> {
  const { clock, cancel, deadline, log } = options
  const since = clock.now()
  log.warning(
    `The answer to the start of task '${task.name}' was lost (${firstLine(errorMessage(lost))}): it may have started. The start is not sent again; looking for the execution it started (by ${userName(record)}) for up to ${formatDuration(Math.max(0, deadline - since))}, the rest of the timeout.`
  )
  const before = new Set(record.before.map(id => id.toLowerCase()))
  /** New sessions of the task seen running as another user: not ours, whatever their results say later. */
  const theirs = new Set<string>()
  const look = async (): Promise<string | undefined> => {
    const sessions = await api.taskExecutionSessions(task)
    // Ids that are not GUIDs are nobody's: they are neither followed nor printed.
    const fresh = 'notKnown' in sessions ? [] : sessions.filter(session => isGuid(session.id) && !before.has(session.id.toLowerCase()))
    for (const session of fresh) if (!runsAs(session.user, record.user)) theirs.add(session.id.toLowerCase())
    const ours = fresh.filter(session => !theirs.has(session.id.toLowerCase()))
    if (ours.length > 1) {
      throw new ReloadError(
        `${ours.length} executions of task '${task.name}' by ${userName(record)} started since the start was sent (${ours.map(s => s.id).join(', ')}), and the server does not tell which one this step started. Not guessing: check the QMC.`
      )
    }
    if (ours[0]) return ours[0].id
    const last = (await findTask(api, { taskId: task.id })).operational?.lastExecutionResult?.id
    if (!last || last === options.lastResultBefore) return undefined
    const executionId = (await api.executionResult(last))?.executionID
    return isGuid(executionId) && !before.has(executionId.toLowerCase()) && !theirs.has(executionId.toLowerCase()) ? executionId : undefined
  }
  const outcome = await poll({
    clock,
    signal: cancel,
    deadline,
    read: look,
    // A look the server could not answer now is not the end of the looking.
    retry: isTransient,
    done: found => found !== undefined,
    next: (_, attempt) => Math.min(MAX_GAP_MS, Math.round(FIRST_GAP_MS * 1.5 ** attempt))
  })
  if (outcome.done && outcome.value) {
    log.info(`Found the execution the start started: ${outcome.value}.`)
    return outcome.value
  }
  const unanswered = outcome.done ? undefined : failure(outcome.last)
  throw new ReloadError(
    `The start of task '${task.name}' was sent once (${record.at}) and its answer was lost (${firstLine(errorMessage(lost))}); no execution of the task by ${userName(record)} appeared in ${formatDuration(clock.now() - since)} of looking, until the timeout${unanswered ? `, the last look failing (${firstLine(errorMessage(unanswered))})` : ''}. It was not sent again, so that the task cannot run twice: check the QMC, then run the step again.`
  )
}
