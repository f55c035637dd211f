import { reportFailure } from '../report/finish.js'
import { setResult } from '../report/outputs.js'
import type { Toolkit } from '../toolkit/toolkit.js'
import type { Progress } from './progress.js'
import { stopAndExplain } from './stop.js'

/** On cancel the runner kills us 10 s after SIGINT: a short wait for Aborted. */
const STOP_WAIT_ON_CANCEL_MS = 4_000

/**
 * The job was cancelled: stop our executions that have not ended, unless they were someone else's
 * (attach) or the user said not to (stop-on-cancel: false); a reload that already finished is left as it
 * is. What could not be stopped is left to the post step. The step fails, saying what happened to each.
 */
export async function reportCancelled(progress: Progress, toolkit: Toolkit): Promise<void> {
  const { settings, runs, running } = progress
  const messages: string[] = []
  if (!settings || runs.every(run => !run.started)) messages.push('The job was cancelled before a reload was started.')
  for (const run of runs) {
    if (run.started && !running.has(run.started.key)) {
      messages.push(`The job was cancelled after the reload of '${run.label}' had ended (${run.report?.status || 'ended'}); nothing to stop.`)
    }
  }
  for (const r of [...running.values()]) {
    if (r.attached) {
      messages.push(`The job was cancelled; ${r.names.ended} was started by someone else (if-running: attach) and keeps running.`)
    } else if (settings?.stopOnCancel === false) {
      messages.push(`The job was cancelled; ${r.names.subject} keeps running in Qlik Sense because stop-on-cancel is false.`)
    } else {
      const stop = await stopAndExplain(() => r.stop(STOP_WAIT_ON_CANCEL_MS), { why: 'The job was cancelled', names: r.names, afterFailure: 'The post step will try again.' })
      messages.push(stop.message)
      if (stop.kind === 'failed') {
        progress.stopFailed(r.key)
        continue
      }
    }
    running.delete(r.key)
  }
  // What is left is for the post step.
  progress.save()
  if (settings) setResult(toolkit, settings, runs)
  await reportFailure(toolkit, messages.join('\n'), runs)
}
