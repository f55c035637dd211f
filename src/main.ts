import * as core from '@actions/core'
import { createAuth, type Auth } from './auth/index.js'
import { formatDuration } from './inputs/duration.js'
import { getSettings, type InputReader, type Settings } from './inputs/settings.js'
import { QrsApi } from './qrs/api.js'
import { QrsClient } from './qrs/client.js'
import type { ReloadTask } from './qrs/types.js'
import { systemClock, type Clock } from './reload/clock.js'
import { ReloadError } from './reload/errors.js'
import { startTask } from './reload/start.js'
import { describeStatus, isSuccess, statusName } from './reload/status.js'
import { findTask } from './reload/target.js'
import { latestAttempt, waitForExecution } from './reload/wait.js'
import { failureMessage, logReport } from './report/log.js'
import { setOutputs } from './report/outputs.js'
import { buildReport } from './report/report.js'

export interface Dependencies {
  readInput: InputReader
  clock: Clock
}

const defaults: Dependencies = { readInput: (name, options) => core.getInput(name, { trimWhitespace: options?.trim ?? true }), clock: systemClock }

/** The step: read inputs, connect, find the task, start it once, wait for that execution, report. */
export async function run(deps: Dependencies = defaults): Promise<void> {
  let client: QrsClient | undefined
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
    const task = await core.group('Find the task', async () => {
      const found = await findTask(api, settings.target)
      core.info(`Task '${found.name}' (${found.id})${found.app ? ` reloads app '${found.app.name ?? ''}' (${found.app.id})` : ''}`)
      return found
    })
    const executionId = await core.group(`Start '${task.name}'`, async () => {
      const id = await startTask(api, task)
      core.info(`Started: execution ${id}`)
      return id
    })
    setOutputs(buildReport(task, executionId))

    if (!settings.wait) {
      const current = latestAttempt(await api.executionResults(executionId))
      const report = buildReport(task, executionId, current ?? { id: '', status: 1 })
      setOutputs(report)
      core.info(`wait is false: not waiting for the reload (now ${report.status}).`)
      return
    }
    await waitAndReport(api, settings, task, executionId, deps.clock)
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error))
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

async function waitAndReport(api: QrsApi, settings: Settings, task: ReloadTask, executionId: string, clock: Clock): Promise<void> {
  const started = clock.now()
  const outcome = await core.group(`Wait for execution ${executionId} (timeout ${formatDuration(settings.timeoutMs)})`, () =>
    waitForExecution(api, executionId, {
      clock,
      timeoutMs: settings.timeoutMs,
      maxPollIntervalMs: settings.maxPollIntervalMs,
      onStatus: status => core.info(`+${formatDuration(clock.now() - started)} ${describeStatus(status)}`)
    })
  )
  const report = buildReport(task, executionId, outcome.result, outcome.attempts)
  if (outcome.kind === 'timeout') {
    if (!report.status && outcome.lastStatus !== undefined) {
      report.status = statusName(outcome.lastStatus)
      report.statusCode = outcome.lastStatus
    }
    setOutputs(report)
    const last = outcome.lastStatus === undefined ? 'no status seen yet' : `last status ${describeStatus(outcome.lastStatus)}`
    throw new ReloadError(
      `Timed out after ${formatDuration(outcome.elapsedMs)} waiting for task '${task.name}' (execution ${executionId}, ${last}). The reload may still be running in Qlik Sense: it was not stopped. Raise 'timeout' if reloads of this app take longer.`
    )
  }
  setOutputs(report)
  await core.group(`Result: ${report.status}`, async () => logReport(report))
  if (!isSuccess(outcome.result.status)) core.setFailed(failureMessage(report))
  else core.info(`Reload task '${task.name}' finished successfully.`)
}
