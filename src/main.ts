import { connect, readSettings } from './connect.js'
import type { Settings } from './settings/settings.js'
import type { QrsApi } from './qrs/api.js'
import type { QrsClient } from './qrs/client.js'
import { systemClock, type Clock } from './util/clock.js'
import { describeStatus } from './reload/status.js'
import { stopExecution } from './reload/stop.js'
import type { TargetRun } from './report/target-run.js'
import { pool } from './util/pool.js'
import { CancelledError, errorMessage } from './util/errors.js'
import { runTarget, type Running } from './run/target.js'
import { reportRuns } from './report/finish.js'
import { setResult } from './report/outputs.js'
import { writeSummary } from './report/summary.js'
import { markMainEnded, markMainStarted, saveRunning } from './run/state.js'
import { printUntrusted } from './output/untrusted.js'
import { actionsToolkit } from './toolkit/actions.js'
import type { Toolkit } from './toolkit/toolkit.js'
import { dryRun } from './report/dry-run.js'
import { reportNotStarted } from './report/not-started.js'
import { selectTargets } from './targets/select.js'

export interface Dependencies {
  toolkit: Toolkit
  clock: Clock
  /** Aborted: the job is being cancelled (as on SIGINT/SIGTERM); in-process tests use it. */
  cancel?: AbortSignal
}

export const defaults: Dependencies = { toolkit: actionsToolkit, clock: systemClock }

/** On cancel the runner kills us 10 s after SIGINT: a short wait for Aborted. */
const STOP_WAIT_ON_CANCEL_MS = 4_000

/** What the run knows so far; a cancellation needs it to clean up. */
interface Progress {
  settings?: Settings
  api?: QrsApi
  runs: TargetRun[]
  /** Our executions that have not ended, by execution id. */
  running: Map<string, Running>
  /** Of those, the ones main meant to stop and could not: the post step tries again. */
  stopPending: Set<string>
}

/** The step: read inputs, connect, start each target once, wait for those executions, report. */
export async function run(deps: Dependencies = defaults): Promise<void> {
  const { toolkit } = deps
  markMainStarted(toolkit)
  const cancel = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!cancel.signal.aborted) toolkit.info(`Received ${signal}: the job is being cancelled.`)
    cancel.abort(new CancelledError(signal))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  // A Windows runner cancels with Ctrl+C, then Ctrl+Break (SIGBREAK), which ends Node at once unless listened to.
  process.on('SIGBREAK', onSignal)
  const onCancel = (): void => onSignal('SIGTERM')
  deps.cancel?.addEventListener('abort', onCancel)
  const progress: Progress = { runs: [], running: new Map(), stopPending: new Set() }
  let client: QrsClient | undefined
  try {
    const settings = (progress.settings = readSettings(toolkit))
    if (settings.insecureSkipTlsVerify) {
      toolkit.warning(
        'insecure-skip-tls-verify is on: the server certificate is NOT verified, so anyone between the runner and Qlik Sense can read the credentials and answers. Set ca-cert (and tls-server-name) instead.'
      )
    }
    const connection = connect(settings, deps.clock, toolkit)
    client = connection.client
    const { auth } = connection
    // The run's calls stop when the job is cancelled (retry sleeps and requests in flight); the stops after it use the plain API.
    const api = connection.api.with({ signal: cancel.signal })
    progress.api = connection.api
    // No separate probe (GET /qrs/about): the target lookup is the first request and signs in; a wrong url,
    // virtual proxy or credential fails it with the same explanation. One request fewer per run.
    const selection = await toolkit.group(`Connect to ${settings.url.host}, targets`, async () => {
      printUntrusted(toolkit, `Signing in with ${auth.description}; the target lookup is the first request.`)
      return selectTargets(api, settings, toolkit)
    })
    progress.runs = selection.runs
    cancel.signal.throwIfAborted()
    if (selection.failure) return await reportNotStarted(toolkit, settings, progress.runs, selection.failure)
    if (settings.dryRun) return await dryRun(toolkit, api, settings, progress.runs)
    await reloadAll(api, settings, deps, cancel.signal, progress)
    cancel.signal.throwIfAborted()
    await reportRuns(toolkit, settings, progress.runs)
  } catch (error) {
    if (cancel.signal.aborted) await cancelled(progress, deps)
    else await failed(toolkit, error, progress)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.off('SIGBREAK', onSignal)
    deps.cancel?.removeEventListener('abort', onCancel)
    client?.dispose()
    // Reached on every exit but a kill: what main left running is no longer the post step's to stop.
    markMainEnded(
      ours(progress).filter(r => progress.stopPending.has(r.executionId)),
      toolkit
    )
  }
}

/** At most max-parallel targets at once; with fail-fast, the first failure stops the rest. */
async function reloadAll(api: QrsApi, settings: Settings, { toolkit, clock }: Dependencies, cancel: AbortSignal, progress: Progress): Promise<void> {
  const failFast = new AbortController()
  const signal = AbortSignal.any([cancel, failFast.signal])
  const tracker = {
    started: (running: Running) => {
      progress.running.set(running.executionId, running)
      saveRunning(ours(progress), toolkit)
    },
    ended: (executionId: string) => {
      progress.running.delete(executionId)
      saveRunning(ours(progress), toolkit)
    },
    stopFailed: (executionId: string) => void progress.stopPending.add(executionId)
  }
  await pool(progress.runs, settings.maxParallel, async run => {
    if (cancel.aborted) return
    if (failFast.signal.aborted) {
      run.error = 'Not started: another target failed (fail-fast).'
      return
    }
    await runTarget(api, settings, run, { toolkit, clock, signal, cancel, multi: progress.runs.length > 1, tracker })
    if (!run.success && settings.failFast && !failFast.signal.aborted) {
      printUntrusted(toolkit, `${run.label} failed: stopping the other targets (fail-fast).`)
      failFast.abort(new Error('fail-fast'))
    }
  })
}

function ours(progress: Progress): { taskId: string; executionId: string }[] {
  return [...progress.running.values()].filter(r => !r.attached).map(r => ({ taskId: r.taskId, executionId: r.executionId }))
}

async function failed(toolkit: Toolkit, error: unknown, progress: Progress): Promise<void> {
  const message = errorMessage(error)
  toolkit.error(message)
  toolkit.fail()
  await writeSummary(toolkit, { report: progress.runs[0]?.report, success: false, failure: message }).catch(e => toolkit.debug(`summary: ${e}`))
}

/**
 * The job was cancelled: stop our executions that have not ended, unless they were someone
 * else's (attach) or the user said not to. A reload that already finished is left as it is.
 */
async function cancelled(progress: Progress, { toolkit, clock }: Dependencies): Promise<void> {
  const { api, settings } = progress
  const running = [...progress.running.values()]
  const messages: string[] = []
  if (!api || !settings || progress.runs.every(r => !r.started)) {
    messages.push('The job was cancelled before a reload was started.')
  }
  for (const run of progress.runs.filter(r => r.started && !progress.running.has(r.started.executionId))) {
    messages.push(`The job was cancelled after the reload of '${run.started!.task.name}' had ended (${run.report?.status || 'ended'}); nothing to stop.`)
  }
  for (const r of running) {
    if (r.attached) {
      messages.push(`The job was cancelled; execution ${r.executionId} was started by someone else (if-running: attach) and keeps running.`)
    } else if (!settings!.stopOnCancel) {
      messages.push(`The job was cancelled; task '${r.taskName}' (execution ${r.executionId}) keeps running in Qlik Sense because stop-on-cancel is false.`)
    } else {
      try {
        const { alreadyEnded, result } = await stopExecution(api!, r.taskId, r.executionId, { clock, log: toolkit, waitMs: STOP_WAIT_ON_CANCEL_MS })
        const now = result ? `, now ${describeStatus(result.status)}` : ''
        messages.push(
          alreadyEnded
            ? `The job was cancelled after execution ${r.executionId} had already ended${now}: not stopping task '${r.taskName}' (another run of it may be going).`
            : `The job was cancelled: stopped task '${r.taskName}' (execution ${r.executionId})${now}.`
        )
      } catch (error) {
        messages.push(`The job was cancelled, and stopping task '${r.taskName}' failed: ${(error as Error).message}. The post step will try again.`)
        progress.stopPending.add(r.executionId)
        continue
      }
    }
    progress.running.delete(r.executionId)
  }
  // What is left is for the post step.
  saveRunning(ours(progress), toolkit)
  if (settings) setResult(toolkit, settings.singleTarget, progress.runs)
  const message = messages.join('\n')
  toolkit.error(message)
  toolkit.fail()
  await writeSummary(toolkit, { report: progress.runs[0]?.report, success: false, failure: message }).catch(e => toolkit.debug(`summary: ${e}`))
}
