import { tmpdir } from 'node:os'
import { formatBytes, formatDuration } from '../util/format.js'
import type { Settings } from '../settings/settings.js'
import { subscribe } from '../notify/subscription.js'
import type { QrsApi } from '../qrs/api.js'
import { isExternalProgram, type ExecutionResult } from '../qrs/types.js'
import { setOutputs } from '../report/outputs.js'
import { buildReport } from '../report/report.js'
import { scanLog } from '../scriptlog/excerpt.js'
import { saveScriptLog } from '../scriptlog/fetch.js'
import type { Clock } from '../util/clock.js'
import { errorMessage } from '../util/errors.js'
import { chainLines, chainNodes, followChain } from '../chain/follow.js'
import { startReload, type StartedReload } from '../reload/start.js'
import { describeStatus, isSuccess, statusName } from '../reload/status.js'
import { stopExecution } from '../reload/stop.js'
import type { Forecast } from '../reload/schedule.js'
import type { TargetRun } from '../report/target-run.js'
import { latestAttempt, waitForExecution, type Heartbeat } from '../reload/wait.js'
import { printUntrusted } from '../output/untrusted.js'
import type { Toolkit } from '../toolkit/toolkit.js'
import { firstLine } from '../util/text.js'

/** One of our executions that may still run: the cancel handler and the post step stop these. */
export interface Running {
  taskId: string
  taskName: string
  executionId: string
  attached: boolean
}

export interface RunContext {
  toolkit: Toolkit
  clock: Clock
  /** Cancellation or fail-fast. */
  signal: AbortSignal
  /** Cancellation alone: the job's end is handled by the caller. */
  cancel: AbortSignal
  /** Several targets: log lines carry the target's name instead of groups (they run in parallel). */
  multi: boolean
  tracker: {
    started(running: Running): void
    ended(executionId: string): void
    /** A stop main decided on failed: the post step tries again. */
    stopFailed(executionId: string): void
  }
}

const STOP_WAIT_ON_TIMEOUT_MS = 15_000
const STOP_WAIT_ON_FAIL_FAST_MS = 4_000

/**
 * One target: start it once (or attach), wait for that execution, stop it on timeout or fail-fast,
 * fetch what explains a failure. Never throws for the target's own trouble: it lands in `run.error`.
 * A cancellation is rethrown for the caller.
 */
export async function runTarget(api: QrsApi, settings: Settings, run: TargetRun, context: RunContext): Promise<void> {
  const { toolkit, clock, signal, multi } = context
  const startedAt = clock.now()
  const info = (line: string): void => printUntrusted(toolkit, multi ? `[${run.label}] ${line}` : line)
  const group = <T>(title: string, fn: () => Promise<T>): Promise<T> => (multi ? (info(title), fn()) : toolkit.group(title, fn))
  try {
    const started = (run.started = await group('Start the reload', async () => {
      const known = run.resolved?.task && run.resolved.lookedUpAt !== undefined ? { task: run.resolved.task, at: run.resolved.lookedUpAt } : undefined
      const reload = await startReload(api, run.target, { ...settings, clock, signal, cancel: context.cancel, log: toolkit }, known)
      // Tracked at once: if the job is killed from here on, the post step stops this execution.
      context.tracker.started({ taskId: reload.task.id, taskName: reload.task.name, executionId: reload.executionId, attached: reload.attached })
      const app = reload.app ?? reload.task.app
      info(`Task '${reload.task.name}' (${reload.task.id})${app ? ` of app '${app.name ?? ''}'` : ''}: execution ${reload.executionId}`)
      return reload
    }))
    run.label = started.task.name
    run.report = buildReport(started.task, started.executionId, undefined, 0, started.app)
    if (!multi) setOutputs(toolkit, run.report)

    if (!settings.wait) {
      run.report = buildReport(started.task, started.executionId, latestAttempt(await api.executionResults(started.executionId)) ?? { id: '', status: 1 }, 0, started.app)
      context.tracker.ended(started.executionId)
      run.success = true
      info(`wait is false: not waiting for the reload (now ${run.report.status}).`)
      return
    }
    const result = await waitFor(api, settings, run, started, context, info, group)
    if (!result) return
    context.tracker.ended(started.executionId)
    run.result = result.result
    run.report = buildReport(started.task, started.executionId, result.result, result.attempts, started.app)
    run.success = isSuccess(result.result.status)
    await fetchScriptLog(api, settings, run, context, info)
    if (settings.waitForChain) {
      run.chain = await group('Task chain', async () => {
        const chain = await followChain(
          api,
          { task: started.task, result: result.result },
          { clock, log: toolkit, signal, deadline: startedAt + settings.timeoutMs, maxPollIntervalMs: settings.maxPollIntervalMs, visited: new Set(), claimed: new Set() }
        )
        for (const line of chain.length > 0 ? chainLines(chain) : ['No task trigger fires on this outcome.']) info(line)
        return chain
      })
      run.chainFailed = chainNodes(run.chain).some(node => node.failed)
      if (run.chainFailed && settings.chainFailure === 'fail') run.success = false
    }
  } catch (error) {
    if (context.cancel.aborted) throw error
    if (signal.aborted && run.started) {
      await stopForFailFast(api, settings, run, run.started, context)
      return
    }
    run.error = errorMessage(error)
  }
}

type Group = <T>(title: string, fn: () => Promise<T>) => Promise<T>

/** C0 and C1 control characters: a line break or escape in server text could start a runner command. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g

/** "+25m still Started on qliksrv02 (previous run took 1h52m)" */
export function heartbeatLine(beat: Heartbeat, previous: string): string {
  const status = beat.status === undefined ? 'running' : statusName(beat.status)
  // The node's name is the server's text: one short line, no control characters (no runner commands).
  const node = beat.node?.replace(CONTROL_CHARACTERS, ' ').trim().slice(0, 80)
  return `+${formatDuration(beat.elapsedMs)} still ${status}${node ? ` on ${node}` : ''}${previous ? ` (${previous})` : ''}`
}

/** "previous run took 1h52m", or of several runs "last 5 runs took 1h48m–1h57m, median 1h52m". */
function forecastLine(forecast: Forecast | undefined): string {
  if (!forecast) return ''
  if (forecast.runs === 1) return `previous run took ${formatDuration(forecast.expectedMs)}`
  return `last ${forecast.runs} runs took ${formatDuration(forecast.lowMs)}–${formatDuration(forecast.highMs)}, median ${formatDuration(forecast.expectedMs)}`
}

/** Waits for our execution; on timeout stops it (stop-on-timeout) and records why. Undefined when it timed out. */
async function waitFor(
  api: QrsApi,
  settings: Settings,
  run: TargetRun,
  started: StartedReload,
  context: RunContext,
  info: (line: string) => void,
  group: Group
): Promise<{ result: ExecutionResult; attempts: number } | undefined> {
  const { task, executionId, app, forecast } = started
  const { clock, signal } = context
  const since = clock.now()
  const previous = forecastLine(forecast)
  const outcome = await group(`Wait for execution ${executionId} (timeout ${formatDuration(settings.timeoutMs)})`, async () => {
    const push = settings.notify ? await subscribe(api, settings.notify, executionId, context.toolkit) : undefined
    if (previous && !push) info(`The task's ${previous}: checks gather around that.`)
    try {
      // Reads that do not retry on their own: the wait rides out outages up to the timeout, telling each in two lines.
      return await waitForExecution(api.with({ retries: 0 }), executionId, {
        clock,
        signal,
        log: info,
        timeoutMs: settings.timeoutMs,
        maxPollIntervalMs: settings.maxPollIntervalMs,
        forecast,
        wakeUps: push && { sleep: (ms, abort) => push.listener.sleep(ms, abort), safetyPollMs: settings.maxPollIntervalMs },
        onStatus: status => info(`+${formatDuration(clock.now() - since)} ${describeStatus(status)}`),
        onHeartbeat: beat => info(heartbeatLine(beat, previous))
      })
    } finally {
      await push?.close()
    }
  })
  if (outcome.kind === 'finished') return outcome
  const waited = `Timed out after ${formatDuration(outcome.elapsedMs)} waiting for task '${task.name}' (execution ${executionId}`
  const last = `${outcome.lastStatus === undefined ? 'no status seen yet' : `last status ${describeStatus(outcome.lastStatus)}`}${outcome.unanswered ? `; ${outcome.unanswered}` : ''}`
  run.report = buildReport(task, executionId, outcome.result, outcome.attempts, app)
  if (!run.report.status && outcome.lastStatus !== undefined) {
    run.report.status = statusName(outcome.lastStatus)
    run.report.statusCode = outcome.lastStatus
  }
  if (started.attached || !settings.stopOnTimeout) {
    context.tracker.ended(executionId)
    const why = started.attached ? 'it was started by someone else (if-running: attach)' : 'stop-on-timeout is false'
    run.error = `${waited}, ${last}). The reload keeps running in Qlik Sense: ${why}. Raise 'timeout' if reloads of this app take longer.`
    return undefined
  }
  try {
    const { alreadyEnded, result } = await stopExecution(api, task.id, executionId, { clock, log: context.toolkit, waitMs: STOP_WAIT_ON_TIMEOUT_MS })
    context.tracker.ended(executionId)
    run.report = buildReport(task, executionId, result ?? outcome.result, outcome.attempts, app)
    const now = result ? `it ended ${describeStatus(result.status)}` : 'it had not reported a final status yet'
    if (alreadyEnded) info(`Execution ${executionId} had already ended: not stopping task '${task.name}' (another run of it may be going).`)
    run.error = alreadyEnded
      ? `${waited}, ${last}): it had already ended when it was read again (${result ? describeStatus(result.status) : 'no result yet'}), so the task was not stopped. Raise 'timeout' if reloads of this app take longer.`
      : `${waited}, ${last}): stopped the task (stop-on-timeout), ${now}. Raise 'timeout' if reloads of this app take longer.`
  } catch (error) {
    // The timeout is the news; a failed stop is added to it (the post step will try again).
    context.tracker.stopFailed(executionId)
    run.error = `${waited}, ${last}). Stopping the task failed: ${firstLine((error as Error).message)}. Stop it in the QMC if it still runs.`
  }
  return undefined
}

/** fail-fast: another target failed, so this one is stopped (with stop-on-cancel) or left running. */
async function stopForFailFast(api: QrsApi, settings: Settings, run: TargetRun, started: StartedReload, context: RunContext): Promise<void> {
  const { task, executionId } = started
  if (started.attached || !settings.stopOnCancel) {
    context.tracker.ended(executionId)
    run.error = `Another target failed (fail-fast): stopped waiting; execution ${executionId} keeps running${started.attached ? ' (someone else started it)' : ' (stop-on-cancel is false)'}.`
    return
  }
  let stop: Awaited<ReturnType<typeof stopExecution>>
  try {
    stop = await stopExecution(api, task.id, executionId, { clock: context.clock, log: context.toolkit, waitMs: STOP_WAIT_ON_FAIL_FAST_MS })
  } catch (error) {
    context.tracker.stopFailed(executionId)
    run.error = `Another target failed (fail-fast), and stopping task '${task.name}' (execution ${executionId}) failed: ${firstLine((error as Error).message)}. The post step will try again.`
    return
  }
  context.tracker.ended(executionId)
  const { alreadyEnded, result } = stop
  run.report = buildReport(task, executionId, result ?? run.result, 0, started.app)
  const now = result ? `, now ${describeStatus(result.status)}` : ''
  run.error = alreadyEnded
    ? `Another target failed (fail-fast); execution ${executionId} had already ended${now}: not stopping task '${task.name}'.`
    : `Another target failed (fail-fast): stopped task '${task.name}' (execution ${executionId})${now}.`
}

/** The log is fetched when it will be shown or explains a failure; external programs have none. */
async function fetchScriptLog(api: QrsApi, settings: Settings, run: TargetRun, { clock, cancel, toolkit }: RunContext, info: (line: string) => void): Promise<void> {
  const { task } = run.started!
  if ((run.success && settings.scriptLog !== 'always') || isExternalProgram(task) || !run.result) return
  try {
    const log = await saveScriptLog(api, task.id, run.result, { dir: process.env.RUNNER_TEMP || tmpdir(), clock, signal: cancel })
    if (log.kind === 'saved') {
      run.scriptLogPath = log.path
      run.scriptLogBytes = log.bytes
      // script-log: never: no line of the log reaches the step log, the annotation or the summary.
      if (!run.success && settings.scriptLog !== 'never') run.excerpt = await scanLog(log.path)
      run.scriptLogNote = `Script log: ${formatBytes(log.bytes)} at ${log.path}`
    } else {
      run.scriptLogNote = `No script log: ${log.reason}.`
      info(run.scriptLogNote)
    }
  } catch (error) {
    run.scriptLogNote = `The script log could not be fetched: ${(error as Error).message}`
    toolkit.warning(run.scriptLogNote)
  }
}
