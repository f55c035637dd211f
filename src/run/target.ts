import { chainLines, chainNodes, followChain } from '../chain/follow.js'
import { describeFailure, runChecks } from '../engine/checks.js'
import type { ExecutionResult, ReloadTask } from '../qrs/types.js'
import { describeStatus, isSuccess, statusName } from '../reload/status.js'
import { setOutputs } from '../report/outputs.js'
import { buildReport } from '../report/report.js'
import type { StartedReload } from '../report/started.js'
import { tableLines } from '../report/tables.js'
import type { TargetRun } from '../report/target-run.js'
import { scanLog } from '../scriptlog/excerpt.js'
import { errorMessage } from '../util/errors.js'
import { formatBytes, formatDuration } from '../util/format.js'
import { deadlineOf, targetContext, type StepContext, type TargetContext } from './context.js'
import type { TargetRunner } from './runner.js'
import { stopAndExplain } from './stop.js'

const STOP_WAIT_ON_TIMEOUT_MS = 15_000
const STOP_WAIT_ON_FAIL_FAST_MS = 4_000

/**
 * One target's steps: start it once (or attach), follow that reload, stop it on timeout or fail-fast,
 * check its data, make it last, fetch what explains a failure, follow its chain. The runner does each
 * step its way; this decides which. Never throws for the target's own trouble: it lands in `run.error`.
 * A cancellation is rethrown.
 */
export async function runTarget(runner: TargetRunner, run: TargetRun, step: StepContext): Promise<void> {
  const context = targetContext(run, step)
  const { settings, toolkit, info, group } = context
  try {
    const started = (run.started = await group('Start the reload', async () => {
      const reload = await runner.start(context)
      // Tracked at once: if the job is killed from here on, the post step finds it.
      context.tracker.started({
        key: reload.key,
        names: reload.names,
        attached: reload.attached,
        saved: reload.saved,
        stop: waitMs => runner.stop(reload, { waitMs, afterCancel: true, context })
      })
      // The start is over: what it started is tracked by its key now.
      context.tracker.settled(run)
      info(startedLine(reload))
      return reload
    }))
    run.label = started.task?.name ?? run.label
    if (started.tablesBefore) run.data = { before: started.tablesBefore, checks: [] }
    run.report = buildReport(started)
    if (!context.multi) setOutputs(toolkit, run.report)

    if (!settings.wait) {
      run.report = buildReport(started, (await runner.status(started)) ?? { id: '', status: 1 })
      context.tracker.ended(started.key)
      run.success = true
      info(`wait is false: not waiting for the reload (now ${run.report.status}).`)
      return
    }
    const result = await follow(runner, started, context)
    if (!result) return
    context.tracker.ended(started.key)
    run.result = result.result
    run.report = buildReport(started, result.result, result.attempts)
    run.success = isSuccess(result.result.status)
    if (run.success) await checkData(runner, started, context)
    if (run.success) await save(runner, started, context)
    await explain(runner, started, result.result, context)
    if (settings.waitForChain && started.task) await followTheChain(started.task, result.result, context)
  } catch (error) {
    // A start in flight stays recorded for the cancellation, which finds what it started.
    if (context.cancel.aborted) throw error
    context.tracker.settled(run)
    if (context.signal.aborted && run.started) {
      await stopForFailFast(runner, run.started, context)
      return
    }
    run.error = errorMessage(error)
  } finally {
    if (run.started) await runner.release(run.started).catch((error: unknown) => toolkit.debug(`release: ${errorMessage(error)}`))
  }
}

/** "Task 'Reload Sales' (…) of app 'Sales': execution …", or "App 'Sales' (…): engine reload (partial) started". */
function startedLine(reload: StartedReload): string {
  const app = reload.app ?? reload.task?.app
  if (reload.task) return `Task '${reload.task.name}' (${reload.task.id})${app ? ` of app '${app.name ?? ''}'` : ''}: execution ${reload.executionId}`
  return `App '${app?.name ?? ''}' (${app?.id ?? ''}): ${reload.partial ? 'partial ' : ''}engine reload started`
}

/** Follows our reload to its end; on timeout stops it (stop-on-timeout) and records why. Undefined when it timed out. */
async function follow(runner: TargetRunner, started: StartedReload, context: TargetContext): Promise<{ result: ExecutionResult; attempts: number } | undefined> {
  const { run, settings, tracker } = context
  const { names } = started
  const outcome = await runner.follow(started, context)
  if (outcome.kind === 'finished') return outcome
  const last = `${outcome.lastStatus === undefined ? 'no status seen yet' : `last status ${describeStatus(outcome.lastStatus)}`}${outcome.unanswered ? `; ${outcome.unanswered}` : ''}`
  const raise = "Raise 'timeout' if reloads of this app take longer."
  // The timeout counts from the target's start, a wait for a run already going included.
  const elapsed = formatDuration(Math.max(outcome.elapsedMs, context.clock.now() - context.startedAt))
  run.report = buildReport(started, outcome.result, outcome.attempts)
  if (!run.report.status && outcome.lastStatus !== undefined) {
    run.report.status = statusName(outcome.lastStatus)
    run.report.statusCode = outcome.lastStatus
  }
  if (started.attached || !settings.stopOnTimeout) {
    tracker.ended(started.key)
    const why = started.attached ? 'it was started by someone else (if-running: attach)' : 'stop-on-timeout is false'
    run.error = `Timed out after ${elapsed} waiting for ${names.what} (${names.ended}, ${last}). The reload keeps running in Qlik Sense: ${why}. ${raise}`
    return undefined
  }
  const stop = await stopAndExplain(() => runner.stop(started, { waitMs: STOP_WAIT_ON_TIMEOUT_MS, afterCancel: false, context }), {
    why: `Timed out after ${elapsed} waiting for ${names.what} (${last})`,
    names,
    afterFailure: 'Stop it in the QMC if it still runs.'
  })
  if (stop.kind === 'failed') {
    // The timeout is the news; the failed stop is added to it (the post step will try again).
    tracker.stopFailed(started.key)
    run.error = stop.message
    return undefined
  }
  tracker.ended(started.key)
  run.report = buildReport(started, stop.result ?? outcome.result, outcome.attempts)
  run.error = `${stop.message} ${raise}`
  return undefined
}

/** fail-fast: another target failed, so this one is stopped (with stop-on-cancel) or left running. */
async function stopForFailFast(runner: TargetRunner, started: StartedReload, context: TargetContext): Promise<void> {
  const { run, settings, tracker } = context
  if (started.attached || !settings.stopOnCancel) {
    tracker.ended(started.key)
    run.error = `Another target failed (fail-fast): stopped waiting; ${started.names.ended} keeps running${started.attached ? ' (someone else started it)' : ' (stop-on-cancel is false)'}.`
    return
  }
  const stop = await stopAndExplain(() => runner.stop(started, { waitMs: STOP_WAIT_ON_FAIL_FAST_MS, afterCancel: false, context }), {
    why: 'Another target failed (fail-fast)',
    names: started.names,
    afterFailure: 'The post step will try again.'
  })
  run.error = stop.message
  if (stop.kind === 'failed') {
    tracker.stopFailed(started.key)
    return
  }
  tracker.ended(started.key)
  run.report = buildReport(started, stop.result ?? run.result)
}

/**
 * The app's tables after a successful reload (where the runner reads them), and the expect-rows checks
 * on them: a check that fails fails the target, naming the table, the expected and the actual count.
 */
async function checkData(runner: TargetRunner, started: StartedReload, context: TargetContext): Promise<void> {
  const { run, settings, info } = context
  const after = await runner.tablesAfter(started, context)
  if (!after) return
  const checks = runChecks(settings.expectRows, after)
  run.data = { ...run.data, after, checks }
  const app = started.app?.name ?? started.task?.app?.name ?? started.app?.id ?? ''
  for (const line of tableLines(run.data, app)) info(line)
  const failed = checks.filter(outcome => !outcome.held)
  if (failed.length === 0) return
  run.success = false
  const unsaved = started.mode === 'engine' ? ' The app was not saved: it keeps the data it had.' : ' The task reloaded and saved the app: it holds this data now.'
  run.error = `Data check failed for app '${app}' (expect-rows): ${failed.map(outcome => describeFailure(outcome, after)).join('; ')}.${unsaved}`
}

/** A successful reload whose checks held is made to last (the engine saves the app); a failed save fails the target. */
async function save(runner: TargetRunner, started: StartedReload, context: TargetContext): Promise<void> {
  try {
    await runner.save(started, context)
  } catch (error) {
    context.run.success = false
    context.run.error = `The reload succeeded, but saving the app failed: ${errorMessage(error)}`
  }
}

/** The script log, fetched when it will be shown or explains a failure; some reloads have none (external programs). */
async function explain(runner: TargetRunner, started: StartedReload, result: ExecutionResult, context: TargetContext): Promise<void> {
  const { run, settings, toolkit, info } = context
  if (run.success && settings.scriptLog !== 'always') return
  try {
    const log = await runner.scriptLog(started, result, context)
    if (!log) return
    if (log.kind === 'saved') {
      run.scriptLogPath = log.path
      run.scriptLogBytes = log.bytes
      run.scriptLogPrinted = log.printed
      // script-log: never: no line of the log reaches the step log, the annotation or the summary.
      if (!run.success && settings.scriptLog !== 'never') {
        const excerpt = await scanLog(log.path)
        run.excerpt = log.errorLines?.length ? { ...excerpt, errorLines: log.errorLines } : excerpt
      }
      run.scriptLogNote = `Script log: ${formatBytes(log.bytes)} at ${log.path}${cutNote(log, settings.scriptLogMaxBytes)}`
      // A log that was cut says so in the step log too, not only in the summary.
      if (log.cut > 0 || log.cutShort) info(run.scriptLogNote)
    } else {
      run.scriptLogNote = `No script log: ${log.reason}.`
      info(run.scriptLogNote)
    }
  } catch (error) {
    run.scriptLogNote = `The script log could not be fetched: ${errorMessage(error)}`
    toolkit.warning(run.scriptLogNote)
  }
}

/** What was left out of a saved log: its middle (script-log-max-size), its end (the timeout). */
function cutNote(log: { received: number; cut: number; cutShort: boolean }, maxBytes: number): string {
  const notes: string[] = []
  if (log.cut > 0)
    notes.push(`cut: ${formatBytes(log.cut)} of its ${formatBytes(log.received)} left out in the middle to keep within script-log-max-size (${formatBytes(maxBytes)})`)
  if (log.cutShort) notes.push(`cut short: the download was still running at the timeout, so the log ends where it stopped`)
  return notes.length > 0 ? ` (${notes.join('; ')})` : ''
}

/** wait-for-chain: the tasks the outcome triggers, waited for within the target's timeout. */
async function followTheChain(task: ReloadTask, result: ExecutionResult, context: TargetContext): Promise<void> {
  const { run, settings, api, clock, signal, toolkit, info, group } = context
  const deadline = deadlineOf(context)
  run.chain = await group('Task chain', async () => {
    // No request of the chain outlives the timeout either.
    const chain = await followChain(
      api.with({ deadline }),
      { task, result },
      { clock, log: toolkit, signal, deadline, maxPollIntervalMs: settings.maxPollIntervalMs, visited: new Set(), claimed: new Set() }
    )
    for (const line of chain.length > 0 ? chainLines(chain) : ['No task trigger fires on this outcome.']) info(line)
    return chain
  })
  run.chainFailed = chainNodes(run.chain).some(node => node.failed)
  if (run.chainFailed && settings.chainFailure === 'fail') run.success = false
}
