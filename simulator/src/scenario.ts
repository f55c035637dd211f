import { readFileSync } from 'node:fs'

/** Behaviours no source confirms: each one can be flipped per scenario or per test. */
export interface Switches {
  /** "403": answer 403 text; "handshake": refuse during the TLS handshake. */
  untrustedClientCert: '403' | 'handshake'
  /** Status of a failed attempt that another attempt follows: 8 FinishedFail or 10 Retry. */
  retryResultStatus: number
  /** Hand out details[] in random order (Qlik does not promise an order). */
  shuffleDetails: boolean
  /** Order of result lists by creation time. */
  resultsOrder: 'asc' | 'desc'
  /** HTTP status of POST /qrs/task/{id}/stop. */
  stopStatus: number
  /** "reuse": one "Manually triggered reload of <app>" task per app; "new": a new task per reload. */
  appReloadTask: 'reuse' | 'new'
  /** The session disappears this many ms before the last result shows its final status. */
  resultLagMs: number
  /** Delay before a start request is answered. */
  startLatencyMs: number
  /** Start of a task that is running: "parallel" runs another, "ignore" starts nothing, "existing" hands back the running session. */
  startWhileRunning: 'parallel' | 'ignore' | 'existing'
}

export const defaultSwitches: Switches = {
  untrustedClientCert: '403',
  retryResultStatus: 8,
  shuffleDetails: true,
  resultsOrder: 'desc',
  stopStatus: 204,
  appReloadTask: 'reuse',
  resultLagMs: 0,
  startLatencyMs: 0,
  startWhileRunning: 'parallel'
}

export interface ScenarioAttempt {
  /** Final TaskExecutionStatus of the attempt: 7 success, 8 FinishedFail, 11 Error, 9 Skipped, 12 Reset, 6 Aborted. */
  outcome: number
  queuedMs?: number
  durationMs?: number
  /** Extra detail messages (Error details on failure, Information on success). */
  details?: string[]
}

export interface ScenarioRun {
  attempts: ScenarioAttempt[]
}

export interface ScenarioApp {
  id: string
  name: string
  published?: boolean
  /** Runs of the "Manually triggered reload of <name>" task (POST /qrs/app/{id}/reload). */
  reloadRuns?: ScenarioRun[]
}

export interface ScenarioTask {
  id: string
  name: string
  /** 0 Reload, 1 ExternalProgram, 2 UserSync, 3 Distribute. */
  taskType?: number
  appId?: string
  enabled?: boolean
  /** false: the scheduler refuses to start it (start/synchronous answers the empty GUID). */
  startable?: boolean
  maxRetries?: number
  taskSessionTimeout?: number
  /** Each start consumes the next run; the last one repeats. */
  runs?: ScenarioRun[]
}

export interface ScenarioUser {
  directory: string
  id: string
  inactive?: boolean
}

export interface Scenario {
  machineName: string
  serverNames?: string[]
  nodeName?: string
  switches?: Partial<Switches>
  apps?: ScenarioApp[]
  tasks?: ScenarioTask[]
  users?: ScenarioUser[]
}

export const defaultRun: ScenarioRun = { attempts: [{ outcome: 7, durationMs: 300 }] }

export function loadScenario(file: string): Scenario {
  const scenario = JSON.parse(readFileSync(file, 'utf8')) as Scenario
  checkScenario(scenario, file)
  return scenario
}

/** Fails early with a readable message instead of odd behaviour at run time. */
export function checkScenario(scenario: Scenario, source = 'scenario'): void {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`)
  }
  if (typeof scenario !== 'object' || scenario === null) fail('not a JSON object')
  if (typeof scenario.machineName !== 'string' || !scenario.machineName) fail('machineName is required')
  const appIds = new Set((scenario.apps ?? []).map((a) => a.id.toLowerCase()))
  for (const app of scenario.apps ?? []) {
    if (!app.id || !app.name) fail('every app needs id and name')
  }
  for (const task of scenario.tasks ?? []) {
    if (!task.id || !task.name) fail('every task needs id and name')
    if ((task.taskType ?? 0) === 0 && task.appId && !appIds.has(task.appId.toLowerCase())) {
      fail(`task "${task.name}" refers to unknown app ${task.appId}`)
    }
    for (const run of task.runs ?? []) {
      if (!Array.isArray(run.attempts) || run.attempts.length === 0) fail(`task "${task.name}": every run needs attempts`)
    }
  }
}
