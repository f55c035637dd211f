import * as core from '@actions/core'
import { tmpdir } from 'node:os'
import { createAuth, type Auth } from './auth/index.js'
import { formatDuration } from './inputs/duration.js'
import { getSettings, type InputReader, type Settings } from './inputs/settings.js'
import { QrsApi } from './qrs/api.js'
import { QrsClient } from './qrs/client.js'
import type { ExecutionResult } from './qrs/types.js'
import { systemClock, type Clock } from './reload/clock.js'
import { CancelledError, ReloadError } from './reload/errors.js'
import { startReload, type StartedReload } from './reload/start.js'
import { describeStatus, isSuccess, statusName } from './reload/status.js'
import { stopExecution } from './reload/stop.js'
import { latestAttempt, waitForExecution } from './reload/wait.js'
import { failureAnnotation } from './report/annotation.js'
import { logReport } from './report/log.js'
import { setOutputs } from './report/outputs.js'
import { buildReport, type ReloadReport } from './report/report.js'
import { writeSummary } from './report/summary.js'
import { subscribe } from './notify/subscription.js'
import { scanLog, type LogExcerpt } from './scriptlog/excerpt.js'
import { saveScriptLog } from './scriptlog/fetch.js'
import { formatBytes, printScriptLog } from './scriptlog/print.js'
import { markDone, markMainStarted, saveExecution } from './state.js'

export interface Dependencies {
  readInput: InputReader
  clock: Clock
}

export const defaults: Dependencies = { readInput: (name, options) => core.getInput(name, { trimWhitespace: options?.trim ?? true }), clock: systemClock }

/** How long to wait for Aborted after a stop: on timeout there is time; on cancel the runner kills us 10 s after SIGINT. */
const STOP_WAIT_ON_TIMEOUT_MS = 15_000
const STOP_WAIT_ON_CANCEL_MS = 4_000

/** What the run knows so far; a cancellation needs it to clean up. */
interface Progress {
  settings?: Settings
  api?: QrsApi
  started?: StartedReload
  /** Our execution has ended: nothing to stop any more. */
  ended: boolean
  report?: ReloadReport
}

/** The step: read inputs, connect, start the reload once, wait for that execution, report. */
export async function run(deps: Dependencies = defaults): Promise<void> {
  markMainStarted()
  const cancel = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!cancel.signal.aborted) core.info(`Received ${signal}: the job is being cancelled.`)
    cancel.abort(new CancelledError(signal))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const progress: Progress = { ended: false }
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
    await reload(api, settings, auth, deps.clock, cancel.signal, progress)
  } catch (error) {
    if (cancel.signal.aborted) await cancelled(progress, deps.clock)
    else await failed(error, progress)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    client?.dispose()
  }
}

async function reload(api: QrsApi, settings: Settings, auth: Auth, clock: Clock, signal: AbortSignal, progress: Progress): Promise<void> {
  await core.group(`Connect to ${settings.url.host}`, async () => {
    const about = await api.about()
    core.info(`Qlik Sense repository ${about.buildVersion ?? '(version not reported)'}, signed in with ${auth.description}`)
  })
  signal.throwIfAborted()
  const started = await core.group('Start the reload', async () => {
    const reload = await startReload(api, settings.target, { ...settings, clock, signal })
    // Saved at once: if the job is killed from here on, the post step stops this execution.
    if (!reload.attached) saveExecution(reload.task.id, reload.executionId)
    const app = reload.app ?? reload.task.app
    core.info(`Task '${reload.task.name}' (${reload.task.id})${app ? ` of app '${app.name ?? ''}'` : ''}: execution ${reload.executionId}`)
    return reload
  })
  progress.started = started
  progress.report = buildReport(started.task, started.executionId, undefined, 0, started.app)
  setOutputs(progress.report)

  if (!settings.wait) {
    progress.report = buildReport(started.task, started.executionId, latestAttempt(await api.executionResults(started.executionId)) ?? { id: '', status: 1 }, 0, started.app)
    setOutputs(progress.report)
    markDone()
    core.info(`wait is false: not waiting for the reload (now ${progress.report.status}).`)
    await writeSummary({ report: progress.report, success: true })
    return
  }
  const { result, attempts } = await waitFor(api, settings, started, clock, signal, progress)
  progress.ended = true
  markDone()
  const report = (progress.report = buildReport(started.task, started.executionId, result, attempts, started.app))
  setOutputs(report)
  await core.group(`Result: ${report.status}`, async () => logReport(report))
  await finish(api, settings, started, result, report, clock)
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

async function waitFor(api: QrsApi, settings: Settings, started: StartedReload, clock: Clock, signal: AbortSignal, progress: Progress): Promise<{ result: ExecutionResult; attempts: number }> {
  const { task, executionId, app } = started
  const since = clock.now()
  const outcome = await core.group(`Wait for execution ${executionId} (timeout ${formatDuration(settings.timeoutMs)})`, async () => {
    const push = settings.notify ? await subscribe(api, settings.notify, executionId) : undefined
    try {
      return await waitForExecution(api, executionId, {
        clock,
        signal,
        timeoutMs: settings.timeoutMs,
        maxPollIntervalMs: settings.maxPollIntervalMs,
        wakeUps: push && { sleep: (ms, abort) => push.listener.sleep(ms, abort), safetyPollMs: settings.maxPollIntervalMs },
        onStatus: status => core.info(`+${formatDuration(clock.now() - since)} ${describeStatus(status)}`)
      })
    } finally {
      await push?.close()
    }
  })
  if (outcome.kind === 'finished') return outcome
  const waited = `Timed out after ${formatDuration(outcome.elapsedMs)} waiting for task '${task.name}' (execution ${executionId}`
  let report = buildReport(task, executionId, outcome.result, outcome.attempts, app)
  if (!report.status && outcome.lastStatus !== undefined) {
    report.status = statusName(outcome.lastStatus)
    report.statusCode = outcome.lastStatus
  }
  const last = outcome.lastStatus === undefined ? 'no status seen yet' : `last status ${describeStatus(outcome.lastStatus)}`
  if (started.attached || !settings.stopOnTimeout) {
    progress.report = report
    setOutputs(report)
    markDone()
    const why = started.attached ? 'it was started by someone else (if-running: attach)' : 'stop-on-timeout is false'
    throw new ReloadError(`${waited}, ${last}). The reload keeps running in Qlik Sense: ${why}. Raise 'timeout' if reloads of this app take longer.`)
  }
  const stopped = await stopExecution(api, task.id, executionId, clock, STOP_WAIT_ON_TIMEOUT_MS)
  progress.ended = true
  markDone()
  report = progress.report = buildReport(task, executionId, stopped ?? outcome.result, outcome.attempts, app)
  setOutputs(report)
  const now = stopped ? `it ended ${describeStatus(stopped.status)}` : 'it had not reported a final status yet'
  throw new ReloadError(`${waited}, ${last}): stopped the task (stop-on-timeout), ${now}. Raise 'timeout' if reloads of this app take longer.`)
}

/** Script log, annotation, summary and the step's verdict for an execution that ended. */
async function finish(api: QrsApi, settings: Settings, { task }: StartedReload, result: ExecutionResult, report: ReloadReport, clock: Clock): Promise<void> {
  const success = isSuccess(result.status)
  let excerpt: LogExcerpt | undefined
  let note: string | undefined
  // The log is fetched when it is shown or explains a failure; external programs have none.
  if ((!success || settings.scriptLog === 'always') && task.taskType !== 1) {
    try {
      const log = await saveScriptLog(api, task.id, result, process.env.RUNNER_TEMP || tmpdir(), clock)
      if (log.kind === 'saved') {
        core.setOutput('script-log-path', log.path)
        if (!success) excerpt = await scanLog(log.path)
        if (settings.scriptLog === 'always' || (settings.scriptLog === 'on-failure' && !success)) await printScriptLog(log.path, log.bytes)
        note = `Script log: ${formatBytes(log.bytes)} at ${log.path}`
      } else {
        note = `No script log: ${log.reason}.`
        core.info(note)
      }
    } catch (error) {
      note = `The script log could not be fetched: ${(error as Error).message}`
      core.warning(note)
    }
  }
  if (success) {
    core.info(`Reload task '${task.name}' finished successfully.`)
  } else {
    core.error(failureAnnotation(report, excerpt, note?.startsWith('No script log') ? note : undefined), { title: `Qlik reload failed: ${task.name} (${report.status})` })
    process.exitCode = core.ExitCode.Failure
  }
  const failure = success ? undefined : `Reload task '${task.name}' ended with ${report.status} (${report.statusCode}), not FinishedSuccess.`
  await writeSummary({ report, success, failure, excerpt, scriptLogNote: note })
}

async function failed(error: unknown, progress: Progress): Promise<void> {
  const message = error instanceof Error ? error.message : String(error)
  core.setFailed(message)
  await writeSummary({ report: progress.report, success: false, failure: message }).catch(e => core.debug(`summary: ${e}`))
}

/**
 * The job was cancelled: stop our execution unless it already ended, was someone else's, or the
 * user said not to. A reload that already finished is left as it is (a stop cannot change it).
 */
async function cancelled(progress: Progress, clock: Clock): Promise<void> {
  const { started, api, settings } = progress
  let message: string
  if (!started || !api || !settings) {
    message = 'The job was cancelled before a reload was started.'
  } else if (progress.ended) {
    message = `The job was cancelled after the reload had ended (${progress.report?.status ?? 'ended'}); nothing to stop.`
  } else if (started.attached) {
    message = `The job was cancelled; execution ${started.executionId} was started by someone else (if-running: attach) and keeps running.`
  } else if (!settings.stopOnCancel) {
    markDone()
    message = `The job was cancelled; task '${started.task.name}' (execution ${started.executionId}) keeps running in Qlik Sense because stop-on-cancel is false.`
  } else {
    try {
      const result = await stopExecution(api, started.task.id, started.executionId, clock, STOP_WAIT_ON_CANCEL_MS)
      markDone()
      message = `The job was cancelled: stopped task '${started.task.name}' (execution ${started.executionId})${result ? `, now ${describeStatus(result.status)}` : ''}.`
    } catch (error) {
      message = `The job was cancelled, and stopping task '${started.task.name}' failed: ${(error as Error).message}. The post step will try again.`
    }
  }
  core.setFailed(message)
  await writeSummary({ report: progress.report, success: false, failure: message }).catch(e => core.debug(`summary: ${e}`))
}
