import * as core from '@actions/core'
import { tmpdir } from 'node:os'
import { createAuth, type Auth } from './auth/index.js'
import { formatDuration } from './inputs/duration.js'
import { getSettings, type InputReader, type Settings } from './inputs/settings.js'
import { QrsApi } from './qrs/api.js'
import { QrsClient } from './qrs/client.js'
import type { ExecutionResult } from './qrs/types.js'
import { systemClock, type Clock } from './reload/clock.js'
import { ReloadError } from './reload/errors.js'
import { startReload, type StartedReload } from './reload/start.js'
import { describeStatus, isSuccess, statusName } from './reload/status.js'
import { latestAttempt, waitForExecution } from './reload/wait.js'
import { failureAnnotation } from './report/annotation.js'
import { logReport } from './report/log.js'
import { setOutputs } from './report/outputs.js'
import { buildReport, type ReloadReport } from './report/report.js'
import { writeSummary } from './report/summary.js'
import { scanLog, type LogExcerpt } from './scriptlog/excerpt.js'
import { saveScriptLog } from './scriptlog/fetch.js'
import { formatBytes, printScriptLog } from './scriptlog/print.js'

export interface Dependencies {
  readInput: InputReader
  clock: Clock
}

const defaults: Dependencies = { readInput: (name, options) => core.getInput(name, { trimWhitespace: options?.trim ?? true }), clock: systemClock }

/** The step: read inputs, connect, start the reload once, wait for that execution, report. */
export async function run(deps: Dependencies = defaults): Promise<void> {
  let client: QrsClient | undefined
  let report: ReloadReport | undefined
  try {
    const settings = getSettings(deps.readInput)
    for (const secret of settings.secrets) core.setSecret(secret)
    if (settings.insecureSkipTlsVerify) {
      core.warning('insecure-skip-tls-verify is on: the server certificate is NOT verified, so anyone between the runner and Qlik Sense can read the credentials and answers. Set ca-cert (and tls-server-name) instead.')
    }
    const auth = createAuth(settings)
    client = createClient(settings, auth)
    const api = new QrsApi(client)

    await core.group(`Connect to ${settings.url.host}`, async () => {
      const about = await api.about()
      core.info(`Qlik Sense repository ${about.buildVersion ?? '(version not reported)'}, signed in with ${auth.description}`)
    })
    const started = await core.group('Start the reload', async () => {
      const reload = await startReload(api, settings.target, deps.clock)
      core.info(`Task '${reload.task.name}' (${reload.task.id})${reload.app ?? reload.task.app ? ` of app '${(reload.app ?? reload.task.app)!.name ?? ''}'` : ''}: execution ${reload.executionId}`)
      return reload
    })
    report = buildReport(started.task, started.executionId, undefined, 0, started.app)
    setOutputs(report)

    if (!settings.wait) {
      report = buildReport(started.task, started.executionId, latestAttempt(await api.executionResults(started.executionId)) ?? { id: '', status: 1 }, 0, started.app)
      setOutputs(report)
      core.info(`wait is false: not waiting for the reload (now ${report.status}).`)
      await writeSummary({ report, success: true })
      return
    }
    const result = await waitFor(api, settings, started, deps.clock, timedOut => (report = timedOut))
    report = buildReport(started.task, started.executionId, result.result, result.attempts, started.app)
    setOutputs(report)
    await core.group(`Result: ${report.status}`, async () => logReport(report!))
    await finish(api, settings, started, result.result, report, deps.clock)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    core.setFailed(message)
    await writeSummary({ report, success: false, failure: message }).catch(e => core.debug(`summary: ${e}`))
  } finally {
    client?.dispose()
  }
}

function createClient(settings: Settings, auth: Auth): QrsClient {
  return new QrsClient({
    url: settings.url,
    userAgent: settings.userAgent,
    auth,
    tls: { ca: settings.caCert, serverName: settings.tlsServerName, insecure: settings.insecureSkipTlsVerify }
  })
}

async function waitFor(
  api: QrsApi,
  settings: Settings,
  { task, executionId, app }: StartedReload,
  clock: Clock,
  onTimeout: (report: ReloadReport) => void
): Promise<{ result: ExecutionResult; attempts: number }> {
  const started = clock.now()
  const outcome = await core.group(`Wait for execution ${executionId} (timeout ${formatDuration(settings.timeoutMs)})`, () =>
    waitForExecution(api, executionId, {
      clock,
      timeoutMs: settings.timeoutMs,
      maxPollIntervalMs: settings.maxPollIntervalMs,
      onStatus: status => core.info(`+${formatDuration(clock.now() - started)} ${describeStatus(status)}`)
    })
  )
  if (outcome.kind === 'finished') return outcome
  const report = buildReport(task, executionId, outcome.result, outcome.attempts, app)
  if (!report.status && outcome.lastStatus !== undefined) {
    report.status = statusName(outcome.lastStatus)
    report.statusCode = outcome.lastStatus
  }
  setOutputs(report)
  onTimeout(report)
  const last = outcome.lastStatus === undefined ? 'no status seen yet' : `last status ${describeStatus(outcome.lastStatus)}`
  throw new ReloadError(
    `Timed out after ${formatDuration(outcome.elapsedMs)} waiting for task '${task.name}' (execution ${executionId}, ${last}). The reload may still be running in Qlik Sense: it was not stopped. Raise 'timeout' if reloads of this app take longer.`
  )
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
