import type { AppToOpen, EngineConnector } from '../engine/connector.js'
import type { QrsApi } from '../qrs/api.js'
import type { Settings } from '../settings/settings.js'
import type { Log } from '../toolkit/toolkit.js'
import { EngineError, errorMessage } from '../util/errors.js'
import type { Plan } from './target-run.js'

/** The engine's code for an app open with data in one session and asked without in another (or the reverse). */
const OPEN_IN_OTHER_MODE = 1009

/**
 * Dry run in engine mode: would the action reload this app? No task of it runs (or what if-running does
 * about one), and the engine opens it without its data (qNoData: proves the session and the right to
 * read it, and says whether the user may save it). Nothing is reloaded, nothing saved.
 */
export async function planEngineApp(api: QrsApi, engine: EngineConnector, settings: Settings, app: AppToOpen, log: Pick<Log, 'warning'>): Promise<Plan> {
  const reasons: string[] = []
  let action = `reload in the engine${settings.partial ? ' (partial)' : ''}, then save${settings.expectRows.length > 0 ? ' if the checks hold' : ''}`
  const sessions = await api.appRunningSessions(app.id)
  const running = 'notKnown' in sessions ? undefined : sessions[0]
  if ('notKnown' in sessions) {
    log.warning(`Could not check whether a task of app '${app.name ?? app.id}' is running (${sessions.notKnown}).`)
    if (settings.ifRunning === 'fail') reasons.push("whether a task of it is running could not be checked and if-running is 'fail'")
  }
  if (running) {
    if (settings.ifRunning === 'fail') reasons.push(`a task of it is running (execution ${running.id}) and if-running is 'fail'`)
    else action = `wait for execution ${running.id} to end, then ${action}`
  }
  let mayStart: boolean | null = null
  try {
    const readOnly = await probe(engine, app, settings.requestTimeoutMs)
    mayStart = !readOnly
    if (readOnly) reasons.push('the signed-in user may open the app but not save it (no update right): an engine reload could not be saved')
  } catch (error) {
    reasons.push(`the engine did not open it: ${errorMessage(error)}`)
  }
  return {
    action: reasons.length > 0 ? 'none' : action,
    wouldStart: reasons.length === 0,
    enabled: null,
    runningExecutionId: running?.id ?? null,
    runningNotKnown: 'notKnown' in sessions,
    mayStart,
    reasons
  }
}

/** Opens the app without data and asks GetAppLayout whether it is read-only; open with data elsewhere, it is opened with data (cheap then: the model is in memory). */
async function probe(engine: EngineConnector, app: AppToOpen, openTimeoutMs: number): Promise<boolean> {
  let session
  try {
    session = await engine.open(app, { noData: true, openTimeoutMs })
  } catch (error) {
    if (!(error instanceof EngineError && error.code === OPEN_IN_OTHER_MODE)) throw error
    session = await engine.open(app, { noData: false, openTimeoutMs })
  }
  try {
    return await session.readOnly()
  } finally {
    await session.close()
  }
}
