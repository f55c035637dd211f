import type { IfRunning } from '../settings/settings.js'
import type { StartTarget } from '../inputs/parse-targets.js'
import type { NotKnown, QrsApi } from '../qrs/api.js'
import { ReloadError } from '../util/errors.js'
import { noneStarted, refused } from './refused.js'
import { isExternalProgram, type App, type AppRef, type ExecutionResult, type ExecutionSession, type ReloadTask } from '../qrs/types.js'
import { findLostStart } from './reconcile.js'
import type { StartRecord } from './start-record.js'
import { startAppReload } from './app-reload.js'
import type { Clock } from '../util/clock.js'
import { describeStatus } from './status.js'
import { forecastOf, type Forecast } from './schedule.js'
import { isFinal } from './status.js'
import { findTask } from './find-task.js'
import { waitForExecution } from './wait.js'
import { printUntrusted } from '../output/untrusted.js'
import type { Log } from '../toolkit/toolkit.js'

/** A task's run this step started (or attached to): run/task-runner.ts makes it a StartedReload. */
export interface TaskStart {
  task: ReloadTask
  executionId: string
  /** The app, when the target was an app (the task may not name it). */
  app?: AppRef
  /** An execution someone else started (if-running: attach): reported, never stopped. */
  attached: boolean
  /** What the task's last run took (or the run that was going before ours): the wait polls around the expected end. */
  forecast?: Forecast
}

/** What the target's lookup found: the task (with performance.now() of its lookup), or the app. */
export interface Known {
  task?: ReloadTask
  at?: number
  app?: App
}

export interface StartOptions {
  ifRunning: IfRunning
  /** clock.now() when the target's timeout passes: the wait for a run already going (if-running: wait) and the looks for what a start with a lost answer started end there. */
  deadline: number
  /** The user the calls run as (auth/ AuthMethod.user): an execution is the start's only if it runs as this user. */
  user: string
  /** Called right before a start is sent, with its record: saved first, so that a cancellation or the post step can find what it started. */
  onSend?: (record: StartRecord) => void
  maxPollIntervalMs: number
  clock: Clock
  /** Ends the wait for a run that was already going (if-running: wait): the job is cancelled, or fail-fast. */
  signal?: AbortSignal
  /**
   * The job is cancelled: ends the looks for the execution a start started. Not fail-fast: an execution
   * that started must be found to be stopped.
   */
  cancel?: AbortSignal
  /** Where the start's lines and warnings go. */
  log: Log
}

/** A task looked up this recently (the target selection) is not looked up again before its start. */
const FRESH_LOOKUP_MS = 2_000

/** Starts the target once (or attaches to its running execution) and says which execution is ours. */
export async function startReload(api: QrsApi, target: StartTarget, options: StartOptions, known?: Known): Promise<TaskStart> {
  if (target.kind === 'app-id') {
    const { app, executionId, taskId } = await startAppReload(api, target.appId, { ...options, signal: options.cancel, app: known?.app })
    const task = taskId ? await findTask(api, { taskId }) : await findTask(api, { taskName: `Manually triggered reload of ${app.name}` })
    return { task, executionId, app, attached: false }
  }
  // The operational state must be current (running? last run?): a lookup older than a moment is repeated.
  const fresh = known?.task && known.at !== undefined && performance.now() - known.at <= FRESH_LOOKUP_MS ? known.task : undefined
  const task = fresh ?? (await findTask(api, target.kind === 'task-id' ? { taskId: target.taskId } : { taskName: target.taskName }))
  // The lookup's last run; the runner reads the recent runs of all its tasks at once, after the starts.
  let forecast = forecastOf(task.operational?.lastExecutionResult)
  // Detect "running" from the server before starting, rather than assume what a start does then. The
  // lookup's last result says "not running" for free when it is final (or NeverStarted); else ask.
  const answer = mayBeRunning(task) ? await api.taskExecutionSessions(task) : []
  const running = 'notKnown' in answer ? notKnown(task, answer, options) : answer
  if (running.length > 0) {
    const current = running[0].id
    if (options.ifRunning === 'fail') {
      throw new ReloadError(`Task '${task.name}' is already running (execution ${current}) and if-running is 'fail'.`)
    }
    if (options.ifRunning === 'attach') {
      printUntrusted(options.log, `Task '${task.name}' is already running: attaching to execution ${current} (if-running: attach).`)
      return { task, executionId: current, attached: true }
    }
    // The run that was going is the freshest forecast of ours.
    forecast = forecastOf(await waitForRunning(api, task, current, options)) ?? forecast
  }
  const before = new Set(running.map(session => session.id.toLowerCase()))
  let executionId = await startTask(api, task, { ...options, before })
  if (before.has(executionId.toLowerCase())) {
    // The server answered with the execution that was already going, not a new one.
    options.log.info(`The server answered the start with execution ${executionId}, which was already running: waiting for it, then starting again.`)
    await waitForRunning(api, task, executionId, options)
    executionId = await startTask(api, task, { ...options, before })
    if (before.has(executionId.toLowerCase()))
      throw new ReloadError(`Task '${task.name}' keeps answering starts with the running execution ${executionId}: no new execution could be started.`)
  }
  return { task, executionId, attached: false, forecast }
}

/**
 * The server does not serve the session list: whether the task runs is not known. if-running: fail
 * promises not to start beside a running execution, and the task's last result (not final, or
 * missing: that is why the list was asked) cannot rule one out, so it refuses; the other modes start,
 * as a server without the list would have them do anyway.
 */
function notKnown(task: ReloadTask, answer: NotKnown, options: StartOptions): ExecutionSession[] {
  const why = `Could not check whether task '${task.name}' is already running (${answer.notKnown})`
  if (options.ifRunning === 'fail') throw new ReloadError(`${why}, and if-running is 'fail': not starting it. Allow the user to read execution sessions, or use if-running: wait.`)
  options.log.warning(`${why}: starting it without that check.`)
  return []
}

/**
 * False when the task's last execution (operational.lastExecutionResult, in the lookup's answer)
 * ended or never started: no running check is needed. Missing or not final: it may run, ask.
 */
export function mayBeRunning(task: ReloadTask): boolean {
  const status = task.operational?.lastExecutionResult?.status
  return status === undefined || (status !== 0 && !isFinal(status))
}

/** if-running: wait — the new data must not be missed by a reload that began before it landed. */
async function waitForRunning(api: QrsApi, task: ReloadTask, executionId: string, options: StartOptions): Promise<ExecutionResult> {
  printUntrusted(options.log, `Task '${task.name}' is already running (execution ${executionId}): waiting for it to end, then starting a fresh reload (if-running: wait).`)
  const outcome = await waitForExecution(api.with({ retries: 0, deadline: options.deadline }), executionId, {
    // The outage lines quote the server's answer.
    log: line => printUntrusted(options.log, line),
    clock: options.clock,
    timeoutMs: Math.max(0, options.deadline - options.clock.now()),
    maxPollIntervalMs: options.maxPollIntervalMs,
    signal: options.signal
  })
  if (outcome.kind === 'timeout') {
    throw new ReloadError(`Task '${task.name}' was already running (execution ${executionId}) and did not end within the timeout; this step started nothing and stopped nothing.`)
  }
  options.log.info(`The earlier execution ended with ${describeStatus(outcome.result.status)}.`)
  return outcome.result
}

export interface StartTaskOptions extends Pick<StartOptions, 'log' | 'clock' | 'cancel' | 'deadline' | 'user' | 'onSend'> {
  /** The executions of the task that ran before the start: none of them is ours. */
  before?: Set<string>
}

/**
 * Starts the task, once, and returns the execution session id. The start is recorded (onSend) before it
 * goes out. A refusal (refused.ts: an error status, a failed sign-in, an empty execution id) started
 * nothing; any other outcome (no answer, a timeout, a body cut or unreadable, a 2xx without an id) is
 * unknown: the execution it started is then looked for, never by starting again.
 */
export async function startTask(api: QrsApi, task: ReloadTask, options: StartTaskOptions): Promise<string> {
  const { cancel, before = new Set<string>() } = options
  const record: StartRecord = {
    taskId: task.id,
    ...(isExternalProgram(task) ? { external: true } : {}),
    name: task.name,
    at: new Date().toISOString(),
    user: options.user,
    before: [...before]
  }
  options.onSend?.(record)
  let answer: string | undefined
  try {
    answer = await api.startTask(task.id)
  } catch (error) {
    // A cancellation cut it: the cancellation finds what it started, from the record.
    if (cancel?.aborted || refused(error)) throw error
    return findLostStart(api, task, record, error, { ...options, lastResultBefore: task.operational?.lastExecutionResult?.id })
  }
  if (noneStarted(answer)) {
    const disabled = task.enabled === false ? ' The task is disabled: enable it in the QMC (Tasks > Edit > Enabled).' : ''
    throw new ReloadError(
      `Task '${task.name}' (${task.id}) did not start: the server answered with an empty execution id.${disabled} Likely causes: the task is disabled, no scheduler service is running or reachable, or the app is unavailable (deleted, or locked by another reload).`
    )
  }
  // The door (api.startTask) lets through a GUID, '' or nothing: a 2xx without an id leaves the outcome unknown.
  if (answer) return answer
  const unsaid = new Error('the server answered without an execution id')
  return findLostStart(api, task, record, unsaid, { ...options, lastResultBefore: task.operational?.lastExecutionResult?.id })
}
