import { chainLines, chainNodes, followChain } from '../chain/follow.js'
import { isExternalProgram, type ExecutionResult } from '../qrs/types.js'
import type { StartedReload } from '../reload/start.js'
import { describeStatus, isSuccess, statusName } from '../reload/status.js'
import { setOutputs } from '../report/outputs.js'
import { buildReport } from '../report/report.js'
import type { TargetRun } from '../report/target-run.js'
import { scanLog } from '../scriptlog/excerpt.js'
import { errorMessage } from '../util/errors.js'
import { formatBytes, formatDuration } from '../util/format.js'
import { targetContext, type StepContext, type TargetContext } from './context.js'
import type { TargetRunner } from './runner.js'
import { stopAndExplain } from './stop.js'

const STOP_WAIT_ON_TIMEOUT_MS = 15_000
const STOP_WAIT_ON_FAIL_FAST_MS = 4_000

/**
 * One target's steps: start it once (or attach), follow that execution, stop it on timeout or fail-fast,
 * fetch what explains a failure, follow its chain. The runner does each step its way; this decides which.
 * Never throws for the target's own trouble: it lands in `run.error`. A cancellation is rethrown.
 */
export async function runTarget(runner: TargetRunner, run: TargetRun, step: StepContext): Promise<void> {
  const context = targetContext(run, step)
  const { settings, toolkit, info, group } = context
  try {
    const started = (run.started = await group('Start the reload', async () => {
      const reload = await runner.start(context)
      // Tracked at once: if the job is killed from here on, the post step stops this execution.
      context.tracker.started({
        taskId: reload.task.id,
        taskName: reload.task.name,
        executionId: reload.executionId,
        attached: reload.attached,
        stop: waitMs => runner.stop(reload, { waitMs, afterCancel: true, context })
      })
      // The start is over: its execution is known (a start sent again, after a server's answer of the execution that was going, is recorded again).
      context.tracker.settled(run)
      const app = reload.app ?? reload.task.app
      info(`Task '${reload.task.name}' (${reload.task.id})${app ? ` of app '${app.name ?? ''}'` : ''}: execution ${reload.executionId}`)
      return reload
    }))
    run.label = started.task.name
    run.report = buildReport(started.task, started.executionId, undefined, 0, started.app)
    if (!context.multi) setOutputs(toolkit, run.report)

    if (!settings.wait) {
      run.report = buildReport(started.task, started.executionId, (await runner.status(started)) ?? { id: '', status: 1 }, 0, started.app)
      context.tracker.ended(started.executionId)
      run.success = true
      info(`wait is false: not waiting for the reload (now ${run.report.status}).`)
      return
    }
    const result = await follow(runner, started, context)
    if (!result) return
    context.tracker.ended(started.executionId)
    run.result = result.result
    run.report = buildReport(started.task, started.executionId, result.result, result.attempts, started.app)
    run.success = isSuccess(result.result.status)
    await explain(runner, started, result.result, context)
    if (settings.waitForChain) await followTheChain(started, result.result, context)
  } catch (error) {
    // A start in flight stays recorded for the cancellation, which finds what it started.
    if (context.cancel.aborted) throw error
    context.tracker.settled(run)
    if (context.signal.aborted && run.started) {
      await stopForFailFast(runner, run.started, context)
      return
    }
    run.error = errorMessage(error)
  }
}

/** Follows our execution to its end; on timeout stops it (stop-on-timeout) and records why. Undefined when it timed out. */
async function follow(runner: TargetRunner, started: StartedReload, context: TargetContext): Promise<{ result: ExecutionResult; attempts: number } | undefined> {
  const { run, settings, tracker } = context
  const { task, executionId, app } = started
  const outcome = await runner.follow(started, context)
  if (outcome.kind === 'finished') return outcome
  const last = `${outcome.lastStatus === undefined ? 'no status seen yet' : `last status ${describeStatus(outcome.lastStatus)}`}${outcome.unanswered ? `; ${outcome.unanswered}` : ''}`
  const raise = "Raise 'timeout' if reloads of this app take longer."
  run.report = buildReport(task, executionId, outcome.result, outcome.attempts, app)
  if (!run.report.status && outcome.lastStatus !== undefined) {
    run.report.status = statusName(outcome.lastStatus)
    run.report.statusCode = outcome.lastStatus
  }
  if (started.attached || !settings.stopOnTimeout) {
    tracker.ended(executionId)
    const why = started.attached ? 'it was started by someone else (if-running: attach)' : 'stop-on-timeout is false'
    run.error = `Timed out after ${formatDuration(outcome.elapsedMs)} waiting for task '${task.name}' (execution ${executionId}, ${last}). The reload keeps running in Qlik Sense: ${why}. ${raise}`
    return undefined
  }
  const stop = await stopAndExplain(() => runner.stop(started, { waitMs: STOP_WAIT_ON_TIMEOUT_MS, afterCancel: false, context }), {
    why: `Timed out after ${formatDuration(outcome.elapsedMs)} waiting for task '${task.name}' (${last})`,
    task: `task '${task.name}'`,
    executionId,
    afterFailure: 'Stop it in the QMC if it still runs.'
  })
  if (stop.kind === 'failed') {
    // The timeout is the news; the failed stop is added to it (the post step will try again).
    tracker.stopFailed(executionId)
    run.error = stop.message
    return undefined
  }
  tracker.ended(executionId)
  run.report = buildReport(task, executionId, stop.result ?? outcome.result, outcome.attempts, app)
  run.error = `${stop.message} ${raise}`
  return undefined
}

/** fail-fast: another target failed, so this one is stopped (with stop-on-cancel) or left running. */
async function stopForFailFast(runner: TargetRunner, started: StartedReload, context: TargetContext): Promise<void> {
  const { run, settings, tracker } = context
  const { task, executionId } = started
  if (started.attached || !settings.stopOnCancel) {
    tracker.ended(executionId)
    run.error = `Another target failed (fail-fast): stopped waiting; execution ${executionId} keeps running${started.attached ? ' (someone else started it)' : ' (stop-on-cancel is false)'}.`
    return
  }
  const stop = await stopAndExplain(() => runner.stop(started, { waitMs: STOP_WAIT_ON_FAIL_FAST_MS, afterCancel: false, context }), {
    why: 'Another target failed (fail-fast)',
    task: `task '${task.name}'`,
    executionId,
    afterFailure: 'The post step will try again.'
  })
  run.error = stop.message
  if (stop.kind === 'failed') {
    tracker.stopFailed(executionId)
    return
  }
  tracker.ended(executionId)
  run.report = buildReport(task, executionId, stop.result ?? run.result, 0, started.app)
}

/** The script log, fetched when it will be shown or explains a failure; external programs have none. */
async function explain(runner: TargetRunner, started: StartedReload, result: ExecutionResult, context: TargetContext): Promise<void> {
  const { run, settings, toolkit, info } = context
  if ((run.success && settings.scriptLog !== 'always') || isExternalProgram(started.task)) return
  try {
    const log = await runner.scriptLog(started, result, context)
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
    run.scriptLogNote = `The script log could not be fetched: ${errorMessage(error)}`
    toolkit.warning(run.scriptLogNote)
  }
}

/** wait-for-chain: the tasks the outcome triggers, waited for within the target's timeout. */
async function followTheChain(started: StartedReload, result: ExecutionResult, context: TargetContext): Promise<void> {
  const { run, settings, api, clock, signal, toolkit, info, group } = context
  run.chain = await group('Task chain', async () => {
    const chain = await followChain(
      api,
      { task: started.task, result },
      { clock, log: toolkit, signal, deadline: context.startedAt + settings.timeoutMs, maxPollIntervalMs: settings.maxPollIntervalMs, visited: new Set(), claimed: new Set() }
    )
    for (const line of chain.length > 0 ? chainLines(chain) : ['No task trigger fires on this outcome.']) info(line)
    return chain
  })
  run.chainFailed = chainNodes(run.chain).some(node => node.failed)
  if (run.chainFailed && settings.chainFailure === 'fail') run.success = false
}
