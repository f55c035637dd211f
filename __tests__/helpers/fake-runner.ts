import type { QrsApi } from '../../src/qrs/api.js'
import type { AppRef, ExecutionResult, ReloadTask } from '../../src/qrs/types.js'
import { buildReport, type ReloadReport } from '../../src/report/report.js'
import type { StartedReload } from '../../src/report/started.js'
import { taskReload } from '../../src/run/task-runner.js'
import type { StopOutcome } from '../../src/reload/stop.js'
import type { WaitOutcome } from '../../src/reload/wait.js'
import type { TargetRun } from '../../src/report/target-run.js'
import type { Running, StepContext, Tracker } from '../../src/run/context.js'
import type { TargetRunner } from '../../src/run/runner.js'
import type { ScriptLog } from '../../src/scriptlog/fetch.js'
import type { TableRows } from '../../src/engine/types.js'
import type { Settings } from '../../src/settings/settings.js'
import { fakeClock } from './fake-clock.js'
import { FakeToolkit } from './fake-toolkit.js'
import { testSettings } from './settings.js'

/** What a scripted runner does at each step; a function gets the started reload. */
export interface Script {
  start?: (run: TargetRun) => Promise<StartedReload>
  status?: ExecutionResult
  follow?: (started: StartedReload) => Promise<WaitOutcome>
  stop?: (started: StartedReload) => Promise<StopOutcome>
  scriptLog?: () => Promise<ScriptLog>
  tablesAfter?: (started: StartedReload) => Promise<TableRows[] | undefined>
  save?: (started: StartedReload) => Promise<void>
}

export const result = (status: number, extra: Partial<ExecutionResult> = {}): ExecutionResult => ({
  id: 'c1000000-0000-4000-8000-000000000001',
  status,
  startTime: '2026-03-01T10:00:00.000Z',
  stopTime: '2026-03-01T10:00:03.000Z',
  ...extra
})

export function startedReload(name: string, extra: Partial<StartedReload> = {}): StartedReload {
  const task: ReloadTask = { id: `task-${name}`, name }
  return { ...taskReload({ task, executionId: `exec-${name}`, attached: false }), ...extra }
}

/** The report of a task's run (task mode), as buildReport makes it. */
export function taskReport(task: ReloadTask, executionId: string, result?: ExecutionResult, attempts = 0, app?: AppRef): ReloadReport {
  return buildReport({ task, executionId, app, mode: 'task', partial: false }, result, attempts)
}

/** A TargetRunner that follows a script and records what the steps asked of it. */
export function fakeRunner(script: Script = {}): TargetRunner & { stops: { executionId: string; waitMs: number; afterCancel: boolean }[]; releases: string[] } {
  const stops: { executionId: string; waitMs: number; afterCancel: boolean }[] = []
  const releases: string[] = []
  return {
    stops,
    releases,
    start: async ({ run }) => (script.start ? script.start(run) : startedReload(run.label)),
    status: async () => script.status,
    follow: async started => (script.follow ? script.follow(started) : { kind: 'finished', result: result(7), attempts: 1 }),
    stop: async (started, { waitMs, afterCancel }) => {
      stops.push({ executionId: started.executionId, waitMs, afterCancel })
      return script.stop ? script.stop(started) : { alreadyEnded: false, result: result(6) }
    },
    scriptLog: async () => (script.scriptLog ? script.scriptLog() : { kind: 'none', reason: 'the server has no script log for this execution' }),
    tablesAfter: async started => (script.tablesAfter ? script.tablesAfter(started) : undefined),
    save: async started => void (await script.save?.(started)),
    release: async started => void releases.push(started.key)
  }
}

/** A tracker that records the calls. */
export function fakeTracker(): Tracker & { calls: string[]; running: Running[] } {
  const calls: string[] = []
  const running: Running[] = []
  return {
    calls,
    running,
    started: r => {
      running.push(r)
      calls.push(`started ${r.key}`)
    },
    ended: id => void calls.push(`ended ${id}`),
    stopFailed: id => void calls.push(`stopFailed ${id}`)
  }
}

/** A step context on fakes; `api` answers only what a test gives it. */
export function stepContext(settings: Partial<Settings> = {}, extra: Partial<StepContext> = {}): StepContext & { toolkit: FakeToolkit; tracker: ReturnType<typeof fakeTracker> } {
  const cancel = new AbortController()
  return {
    settings: testSettings(settings),
    api: {} as QrsApi,
    toolkit: new FakeToolkit(),
    clock: fakeClock(),
    signal: cancel.signal,
    cancel: cancel.signal,
    tracker: fakeTracker(),
    multi: false,
    ...extra
  } as StepContext & { toolkit: FakeToolkit; tracker: ReturnType<typeof fakeTracker> }
}

export function targetRun(label: string): TargetRun {
  return { target: { kind: 'task-name', taskName: label }, label, success: false }
}
