import { reportFailure } from '../report/finish.js'
import { setResult, setRunOutputs } from '../report/outputs.js'
import { buildReport } from '../report/report.js'
import { startedWhat } from '../reload/start-record.js'
import type { Toolkit } from '../toolkit/toolkit.js'
import type { Progress } from './progress.js'
import { stopAndExplain } from './stop.js'

/** On cancel the runner kills us 10 s after SIGINT: a short wait for Aborted. */
const STOP_WAIT_ON_CANCEL_MS = 4_000
/** How long a cancellation looks for what a start in flight started (the rest is the post step's). */
const LOOK_ON_CANCEL_MS = 2_500

/**
 * The job was cancelled: stop our executions that have not ended, unless they were someone else's
 * (attach) or the user said not to (stop-on-cancel: false); a reload that already finished is left as it
 * is. A start in flight is settled: what it started is found and stopped. What could not be stopped or
 * found is left to the post step. The step fails, saying what happened to each.
 */
export async function reportCancelled(progress: Progress, toolkit: Toolkit): Promise<void> {
  const { settings, runs, running, pending } = progress
  const messages: string[] = []
  if (!settings || (runs.every(run => !run.started) && pending.size === 0)) messages.push('The job was cancelled before a reload was started.')
  for (const run of runs) {
    if (run.started && !running.has(run.started.key)) {
      messages.push(`The job was cancelled after the reload of '${run.label}' had ended (${run.report?.status || 'ended'}); nothing to stop.`)
    }
  }
  // All at once: the runner kills the step seconds after the cancel, and each stop may wait for its Aborted.
  const stopped = [...running.values()].map(async (r): Promise<string> => {
    if (r.attached) {
      running.delete(r.key)
      return `The job was cancelled; ${r.names.ended} was started by someone else (if-running: attach) and keeps running.`
    }
    if (settings?.stopOnCancel === false) {
      running.delete(r.key)
      return `The job was cancelled; ${r.names.subject} keeps running in Qlik Sense because stop-on-cancel is false.`
    }
    const stop = await stopAndExplain(() => r.stop(STOP_WAIT_ON_CANCEL_MS), { why: 'The job was cancelled', names: r.names, afterFailure: 'The post step will try again.' })
    if (stop.kind === 'failed') {
      progress.stopFailed(r.key)
      return stop.message
    }
    // Its final status is the outcome the outputs and the summary report (Aborted), as after a timeout.
    const run = runs.find(candidate => candidate.started?.key === r.key)
    if (run?.started && stop.result) run.report = buildReport(run.started, stop.result)
    running.delete(r.key)
    return stop.message
  })
  const settled = [...pending].map(async ([run, start]): Promise<string> => {
    if (settings?.stopOnCancel === false) {
      pending.delete(run)
      return `The job was cancelled during the start of ${startedWhat(start.record)}; what it started keeps running in Qlik Sense because stop-on-cancel is false.`
    }
    const outcome = await start.settle({ why: 'The job was cancelled', lookMs: LOOK_ON_CANCEL_MS, waitMs: STOP_WAIT_ON_CANCEL_MS, afterward: 'The post step looks again.' })
    // Nothing found yet, or its stop failed: the post step looks again, under the same rule.
    if (outcome.kind === 'none' || outcome.kind === 'failed') progress.pendingLeft.add(run)
    else pending.delete(run)
    return outcome.message
  })
  messages.push(...(await Promise.all([...stopped, ...settled])))
  // What is left is for the post step.
  progress.save()
  if (runs.length === 1) setRunOutputs(toolkit, runs[0])
  if (settings) setResult(toolkit, settings, runs)
  await reportFailure(toolkit, messages.join('\n'), runs)
}
