import { randomUUID } from 'node:crypto'
import type { QlikUser } from './auth.js'
import type { ScenarioAttempt } from './scenario.js'
import { fileStamp, makeScriptLog, type ScriptLogStore } from './scriptlog.js'
import type { ExecutionResult } from './state.js'

/** What a result belongs to, for its script log. */
export interface AttemptOwner {
  attempt: ScenarioAttempt
  taskType: number
  user: QlikUser
}

/** The fields a script log reference changes on a result (its notification's changedProperties). */
export const logReferenceFields = ['fileReferenceID', 'scriptLogAvailable', 'scriptLogLocation', 'scriptLogSize']

/** Only reload tasks write a script log; external program tasks and `noScriptLog` attempts never do. */
export function writesLog(owner: AttemptOwner | undefined): owner is AttemptOwner {
  return owner !== undefined && owner.taskType === 0 && !owner.attempt.noScriptLog
}

/**
 * Writes the attempt's script log (ended at `stopMs`, ending the way `outcome` says) and sets the
 * result's reference to it. The caller reports the change and adds the "Reference to scriptlog added" detail.
 */
export function attachScriptLog(
  result: ExecutionResult,
  owner: AttemptOwner,
  o: { outcome: number; stopMs: number; logs: ScriptLogStore; nodeName: string; bom: boolean; availableFalse: boolean }
): void {
  const startMs = Date.parse(result.startTime)
  const log = makeScriptLog({
    resultId: result.id,
    taskId: result.taskID,
    sessionId: result.executionID,
    userDirectory: owner.user.userDirectory,
    userId: owner.user.userId,
    outcome: o.outcome,
    startMs,
    stopMs: o.stopMs,
    attempt: owner.attempt,
    bom: o.bom
  })
  o.logs.add(log)
  const node = o.nodeName
  result.fileReferenceID = randomUUID()
  // A real capture showed false here while the reference and size were set: a switch.
  result.scriptLogAvailable = !o.availableFalse
  result.scriptLogLocation = `\\\\${node}\\QlikShare\\ArchivedLogs\\${node}\\${result.appID}.${fileStamp(startMs)}.log`
  result.scriptLogSize = log.size
}
