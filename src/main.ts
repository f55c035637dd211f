import { connect, defaults, readSettings, type Dependencies } from './connect.js'
import { gate, printUntrusted } from './output/untrusted.js'
import type { EngineConnector } from './engine/connector.js'
import type { QrsClient } from './qrs/client.js'
import { dryRun } from './report/dry-run.js'
import { reportFailure, reportRuns } from './report/finish.js'
import { reportNotStarted } from './report/not-started.js'
import { runAll } from './run/all-targets.js'
import { reportCancelled } from './run/cancel.js'
import { Progress } from './run/progress.js'
import { listenForCancel } from './run/signals.js'
import { engineRunner } from './run/engine-runner.js'
import { taskRunner } from './run/task-runner.js'
import { selectTargets } from './targets/select.js'
import { errorMessage } from './util/errors.js'

/** The step: read inputs, connect, select the targets, run each once, report. */
export async function run(deps: Dependencies = defaults): Promise<void> {
  // Every line and annotation from here on passes the gate: none can be a runner command.
  const toolkit = gate(deps.toolkit)
  const { clock } = deps
  const cancellation = listenForCancel(toolkit, deps.cancel)
  const cancel = cancellation.signal
  const progress = new Progress(toolkit)
  let client: QrsClient | undefined
  let engine: EngineConnector | undefined
  try {
    const settings = (progress.settings = readSettings(toolkit))
    if (settings.insecureSkipTlsVerify) {
      toolkit.warning(
        'insecure-skip-tls-verify is on: the server certificate is NOT verified, so anyone between the runner and Qlik Sense can read the credentials and answers. Set ca-cert (and tls-server-name) instead.'
      )
    }
    const connection = await connect(settings, clock, toolkit)
    client = connection.client
    engine = connection.engine
    // The run's calls stop when the job is cancelled (retry sleeps and requests in flight); the stops after it are not cut.
    const api = connection.api.with({ signal: cancel })
    // No separate probe (GET /qrs/about): the target lookup is the first request and signs in; a wrong url,
    // virtual proxy or credential fails it with the same explanation. One request fewer per run.
    const selection = await toolkit.group(`Connect to ${settings.url.host}, targets`, async () => {
      printUntrusted(toolkit, `Signing in with ${connection.auth.description}; the target lookup is the first request.`)
      return selectTargets(api, settings, toolkit)
    })
    progress.runs = selection.runs
    cancel.throwIfAborted()
    if (selection.failure) return await reportNotStarted(toolkit, settings, progress.runs, selection.failure)
    if (settings.dryRun) return await dryRun(toolkit, api, settings, progress.runs, engine)
    const runner = settings.reloadMode === 'engine' ? engineRunner(api, engine) : taskRunner(api, engine, progress.runs)
    await runAll(runner, progress.runs, { settings, api, toolkit, clock, cancel, tracker: progress })
    cancel.throwIfAborted()
    await reportRuns(toolkit, settings, progress.runs)
  } catch (error) {
    if (cancel.aborted) await reportCancelled(progress, toolkit)
    else await reportFailure(toolkit, errorMessage(error), progress.runs)
  } finally {
    cancellation.dispose()
    client?.dispose()
    await engine?.dispose()
    // Reached on every exit but a kill: what main left running is no longer the post step's to stop.
    progress.end()
  }
}
