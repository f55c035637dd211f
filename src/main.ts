import * as core from '@actions/core'
import { createAuth, type Auth } from './auth/index.js'
import { getSettings, type InputReader, type Settings } from './inputs/settings.js'
import { QrsApi } from './qrs/api.js'
import { QrsClient } from './qrs/client.js'
import { systemClock, type Clock } from './reload/clock.js'
import { CancelledError } from './reload/errors.js'
import { describeStatus } from './reload/status.js'
import { stopExecution } from './reload/stop.js'
import { pool, type TargetRun } from './reload/target-run.js'
import { runTarget, type Running } from './reload/run.js'
import { reportRuns } from './report/finish.js'
import { setResult } from './report/outputs.js'
import { writeSummary } from './report/summary.js'
import { markMainStarted, saveRunning } from './state.js'
import { dryRun } from './targets/dry-run.js'
import { reportNotStarted } from './targets/not-started.js'
import { selectTargets } from './targets/select.js'
import { infoUntrusted } from './report/untrusted.js'

export interface Dependencies {
  readInput: InputReader
  clock: Clock
}

export const defaults: Dependencies = { readInput: (name, options) => core.getInput(name, { trimWhitespace: options?.trim ?? true }), clock: systemClock }

/** On cancel the runner kills us 10 s after SIGINT: a short wait for Aborted. */
const STOP_WAIT_ON_CANCEL_MS = 4_000

/** What the run knows so far; a cancellation needs it to clean up. */
interface Progress {
  settings?: Settings
  api?: QrsApi
  runs: TargetRun[]
  /** Our executions that have not ended, by execution id. */
  running: Map<string, Running>
}

/** The step: read inputs, connect, start each target once, wait for those executions, report. */
export async function run(deps: Dependencies = defaults): Promise<void> {
  markMainStarted()
  const cancel = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!cancel.signal.aborted) core.info(`Received ${signal}: the job is being cancelled.`)
    cancel.abort(new CancelledError(signal))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  // A Windows runner cancels with Ctrl+C, then Ctrl+Break (SIGBREAK), which ends Node at once unless listened to.
  process.on('SIGBREAK', onSignal)
  const progress: Progress = { runs: [], running: new Map() }
  let client: QrsClient | undefined
  try {
    const settings = (progress.settings = getSettings(deps.readInput))
    for (const secret of settings.secrets) core.setSecret(secret)
    if (settings.insecureSkipTlsVerify) {
      core.warning('insecure-skip-tls-verify is on: the server certificate is NOT verified, so anyone between the runner and Qlik Sense can read the credentials and answers. Set ca-cert (and tls-server-name) instead.')
    }
    const auth = createAuth(settings)
    client = createClient(settings, auth, deps.clock)
    const api = (progress.api = new QrsApi(client))
    await core.group(`Connect to ${settings.url.host}`, async () => {
      const about = await api.about()
      infoUntrusted(`Qlik Sense repository ${about.buildVersion ?? '(version not reported)'}, signed in with ${auth.description}`)
    })
    cancel.signal.throwIfAborted()
    const selection = await core.group('Targets', () => selectTargets(api, settings))
    progress.runs = selection.runs
    cancel.signal.throwIfAborted()
    if (selection.failure) return await reportNotStarted(settings, progress.runs, selection.failure)
    if (settings.dryRun) return await dryRun(api, settings, progress.runs)
    await reloadAll(api, settings, deps.clock, cancel.signal, progress)
    cancel.signal.throwIfAborted()
    await reportRuns(settings, progress.runs)
  } catch (error) {
    if (cancel.signal.aborted) await cancelled(progress, deps.clock)
    else await failed(error, progress)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.off('SIGBREAK', onSignal)
    client?.dispose()
  }
}

export function createClient(settings: Settings, auth: Auth, clock: Clock): QrsClient {
  return new QrsClient({
    url: settings.url,
    userAgent: settings.userAgent,
    auth,
    tls: { ca: settings.caCert, serverName: settings.tlsServerName, insecure: settings.insecureSkipTlsVerify },
    requestTimeoutMs: settings.requestTimeoutMs,
    clock
  })
}

/** At most max-parallel targets at once; with fail-fast, the first failure stops the rest. */
async function reloadAll(api: QrsApi, settings: Settings, clock: Clock, cancel: AbortSignal, progress: Progress): Promise<void> {
  const failFast = new AbortController()
  const signal = AbortSignal.any([cancel, failFast.signal])
  const tracker = {
    started: (running: Running) => {
      progress.running.set(running.executionId, running)
      saveRunning(ours(progress))
    },
    ended: (executionId: string) => {
      progress.running.delete(executionId)
      saveRunning(ours(progress))
    }
  }
  await pool(progress.runs, settings.maxParallel, async run => {
    if (cancel.aborted) return
    if (failFast.signal.aborted) {
      run.error = 'Not started: another target failed (fail-fast).'
      return
    }
    await runTarget(api, settings, run, { clock, signal, cancel, multi: progress.runs.length > 1, tracker })
    if (!run.success && settings.failFast && !failFast.signal.aborted) {
      infoUntrusted(`${run.label} failed: stopping the other targets (fail-fast).`)
      failFast.abort(new Error('fail-fast'))
    }
  })
}

function ours(progress: Progress): { taskId: string; executionId: string }[] {
  return [...progress.running.values()].filter(r => !r.attached).map(r => ({ taskId: r.taskId, executionId: r.executionId }))
}

async function failed(error: unknown, progress: Progress): Promise<void> {
  const message = error instanceof Error ? error.message : String(error)
  core.setFailed(message)
  await writeSummary({ report: progress.runs[0]?.report, success: false, failure: message }).catch(e => core.debug(`summary: ${e}`))
}

/**
 * The job was cancelled: stop our executions that have not ended, unless they were someone
 * else's (attach) or the user said not to. A reload that already finished is left as it is.
 */
async function cancelled(progress: Progress, clock: Clock): Promise<void> {
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
        const result = await stopExecution(api!, r.taskId, r.executionId, clock, STOP_WAIT_ON_CANCEL_MS)
        messages.push(`The job was cancelled: stopped task '${r.taskName}' (execution ${r.executionId})${result ? `, now ${describeStatus(result.status)}` : ''}.`)
      } catch (error) {
        messages.push(`The job was cancelled, and stopping task '${r.taskName}' failed: ${(error as Error).message}. The post step will try again.`)
        continue
      }
    }
    progress.running.delete(r.executionId)
  }
  // What is left is for the post step.
  saveRunning(ours(progress))
  if (settings) setResult(settings.singleTarget, progress.runs)
  const message = messages.join('\n')
  core.setFailed(message)
  await writeSummary({ report: progress.runs[0]?.report, success: false, failure: message }).catch(e => core.debug(`summary: ${e}`))
}
