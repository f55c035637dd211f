import { taskReload } from '../../src/run/task-runner.js'
import type { EngineConnector } from '../../src/engine/connector.js'
import { taskReport } from '../helpers/fake-runner.js'
import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { QrsApi } from '../../src/qrs/api.js'
import type { App, ExecutionSession, ReloadTask } from '../../src/qrs/types.js'
import { dryRun } from '../../src/report/dry-run.js'
import { reportFailure, reportRuns } from '../../src/report/finish.js'
import { reportNotStarted } from '../../src/report/not-started.js'
import type { TargetRun } from '../../src/report/target-run.js'
import { QrsError } from '../../src/util/errors.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'
import { testSettings } from '../helpers/settings.js'

/** A task id (filters take GUIDs only). */
const T = (n: number): string => `a1000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const task = (id: string, name: string, extra: Partial<ReloadTask> = {}): ReloadTask => ({ id, name, ...extra })

/** A run that ended with `status`, and what else the test gives it. */
function ended(name: string, status: number, extra: Partial<TargetRun> = {}): TargetRun {
  const t = task(`t-${name}`, name)
  const result = { id: `r-${name}`, status, startTime: '2026-03-01T10:00:00.000Z', stopTime: '2026-03-01T10:00:02.000Z', details: [{ detailsType: 0, message: `${name} broke` }] }
  return {
    target: { kind: 'task-id', taskId: t.id },
    label: name,
    started: taskReload({ task: t, executionId: `e-${name}`, attached: false }),
    report: taskReport(t, `e-${name}`, result, 1),
    result,
    success: status === 7,
    ...extra
  }
}

function logFile(lines: string[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'qsr-finish-')), 'log.txt')
  writeFileSync(path, lines.join('\r\n'))
  return path
}

/** Task mode: the dry run never opens an app in the engine. */
const NO_ENGINE = {} as EngineConnector

describe('reportRuns: one target', () => {
  it('a success: the result in a group, a line, the outputs and a green summary; the step passes', async () => {
    const toolkit = new FakeToolkit()
    await reportRuns(toolkit, testSettings({ singleTarget: true }), [ended('Sales', 7)])
    expect(toolkit.groups).toEqual(['Result: FinishedSuccess'])
    expect(toolkit.log).toContain("Reload task 'Sales' finished successfully.")
    expect(toolkit.outputs).toMatchObject({ status: 'FinishedSuccess', 'execution-id': 'e-Sales' })
    expect(JSON.parse(toolkit.outputs.result)).toMatchObject({ target: 'Sales', success: true })
    expect(toolkit.summary).toContain('✅ Sales: FinishedSuccess')
    expect(toolkit.failed).toBe(false)
    expect(toolkit.annotations).toEqual([])
  })

  it('a failure: one annotation with the scheduler errors and the script log, printed on failure; the step fails', async () => {
    const toolkit = new FakeToolkit()
    const path = logFile(['Execution started', "Error: Field 'x' not found"])
    const run = ended('Finance', 8, { scriptLogPath: path, scriptLogBytes: 45, excerpt: { errorLines: ["Error: Field 'x' not found"], tail: ['last'], lines: 2 } })
    await reportRuns(toolkit, testSettings({ singleTarget: true }), [run])
    expect(toolkit.failed).toBe(true)
    expect(toolkit.errors()).toEqual([
      {
        level: 'error',
        title: 'Qlik reload failed: Finance (FinishedFail)',
        message: expect.stringContaining("Reload task 'Finance' ended with FinishedFail (8), not FinishedSuccess.\nScheduler:\n  Finance broke\nScript errors:")
      }
    ])
    expect(toolkit.groups).toEqual(['Result: FinishedFail', 'Script log (45 B)'])
    expect(toolkit.log).toContain("Error: Field 'x' not found")
    expect(toolkit.outputs['script-log-path']).toBe(path)
    expect(toolkit.summary).toContain("<p><strong>Reload task 'Finance' ended with FinishedFail (8), not FinishedSuccess.</strong></p>")
  })

  it('script-log: never prints no log, always prints it after a success too', async () => {
    const path = logFile(['only line'])
    const never = new FakeToolkit()
    await reportRuns(never, testSettings({ scriptLog: 'never' }), [ended('Finance', 8, { scriptLogPath: path, scriptLogBytes: 9 })])
    expect(never.groups).not.toContain('Script log (9 B)')
    const always = new FakeToolkit()
    await reportRuns(always, testSettings({ scriptLog: 'always' }), [ended('Sales', 7, { scriptLogPath: path, scriptLogBytes: 9 })])
    expect(always.groups).toContain('Script log (9 B)')
    expect(always.log).toContain('only line')
  })

  it('no report or an error: the error, the verdict and the summary', async () => {
    const toolkit = new FakeToolkit()
    await reportRuns(toolkit, testSettings(), [{ target: { kind: 'task-id', taskId: 't' }, label: 'Sales', success: false, error: "No task named 'Sales'" }])
    expect(toolkit.errors().map(e => e.message)).toEqual(["No task named 'Sales'"])
    expect(toolkit.failed).toBe(true)
    expect(toolkit.summary).toContain("<p><strong>No task named 'Sales'</strong></p>")
  })

  it('wait: false (a report, no result): a summary, no verdict', async () => {
    const toolkit = new FakeToolkit()
    const run = { ...ended('Sales', 2), result: undefined, success: true }
    await reportRuns(toolkit, testSettings({ wait: false }), [run])
    expect(toolkit.failed).toBe(false)
    expect(toolkit.summary).toContain('✅ Sales: Started')
  })

  it('a chain that failed: an error with chain-failure fail, a warning with warn', async () => {
    const chain = [{ taskId: 'n', taskName: 'Next', eventName: 'E', status: 'FinishedFail', failed: true, note: 'slow', children: [] }]
    const fail = new FakeToolkit()
    await reportRuns(fail, testSettings({ chainFailure: 'fail' }), [ended('Sales', 7, { chain, chainFailed: true, success: false })])
    expect(fail.errors()).toEqual([
      { level: 'error', title: 'Qlik task chain failed after Sales', message: "The task chain after 'Sales' did not finish well: 'Next' FinishedFail (slow)." }
    ])
    expect(fail.failed).toBe(true)
    expect(fail.summary).toContain('<strong>The task chain after')
    const warn = new FakeToolkit()
    await reportRuns(warn, testSettings({ chainFailure: 'warn' }), [ended('Sales', 7, { chain, chainFailed: true })])
    expect(warn.annotations.map(a => a.level)).toEqual(['warning'])
    expect(warn.failed).toBe(false)
  })

  it('a summary that cannot be written is a warning: a good reload stays good', async () => {
    const toolkit = new FakeToolkit()
    toolkit.writeSummary = async () => {
      throw new Error('EACCES')
    }
    await reportRuns(toolkit, testSettings(), [ended('Sales', 7)])
    expect(toolkit.annotations).toEqual([{ level: 'warning', message: 'Could not write the job summary: EACCES', title: undefined }])
    expect(toolkit.failed).toBe(false)
  })
})

describe('reportRuns: several targets', () => {
  it('a group each, an annotation per failure with its name, one table; fails when one failed', async () => {
    const toolkit = new FakeToolkit()
    const never: TargetRun = { target: { kind: 'task-id', taskId: 'x' }, label: 'Never', success: false, error: 'Not started: another target failed (fail-fast).' }
    await reportRuns(toolkit, testSettings({ singleTarget: false }), [ended('Sales', 7), ended('Finance', 8), never])
    expect(toolkit.groups).toEqual(['Result: Sales: FinishedSuccess', 'Result: Finance: FinishedFail', 'Result: Never: failed'])
    expect(toolkit.errors().map(e => e.title)).toEqual(['Qlik reload failed: Finance (FinishedFail)', 'Qlik reload failed: Never'])
    expect(toolkit.log).toContain('Not started: another target failed (fail-fast).')
    expect(toolkit.failed).toBe(true)
    expect(toolkit.summary).toContain('❌ 2 of 3 Qlik Sense reloads failed')
    expect((JSON.parse(toolkit.outputs.result) as unknown[]).length).toBe(3)
  })

  it('all good: says so and passes', async () => {
    const toolkit = new FakeToolkit()
    await reportRuns(toolkit, testSettings({ singleTarget: false }), [ended('Sales', 7), ended('Finance', 7)])
    expect(toolkit.log).toContain('All 2 reloads finished successfully.')
    expect(toolkit.failed).toBe(false)
  })
})

describe('reportFailure and reportNotStarted', () => {
  it('a step that failed as a whole: the error, the verdict, the summary (a summary failure is only a debug line)', async () => {
    const toolkit = new FakeToolkit()
    toolkit.writeSummary = async () => {
      throw new Error('disk full')
    }
    await reportFailure(toolkit, 'Signing in failed', [])
    expect(toolkit.errors().map(e => e.message)).toEqual(['Signing in failed'])
    expect(toolkit.failed).toBe(true)
    expect(toolkit.log).toEqual(['debug: summary: disk full'])
  })

  it('a selection that failed: every target its entry, the step one error; one target a plain summary, several a table', async () => {
    const runs: TargetRun[] = [{ target: { kind: 'task-id', taskId: 't1' }, label: 'Sales', resolved: { taskId: 't1', taskName: 'Sales', from: 'task-id' }, success: false }]
    const one = new FakeToolkit()
    await reportNotStarted(one, testSettings({ singleTarget: true }), runs, 'No task has the tag x')
    expect(one.errors().map(e => e.message)).toEqual(['No task has the tag x'])
    expect(JSON.parse(one.outputs.result)).toMatchObject({ status: 'NotStarted', 'task-name': 'Sales' })
    expect(one.summary).toContain('<h3>❌ Qlik Sense reload: failed</h3>')
    const many = new FakeToolkit()
    await reportNotStarted(many, testSettings({ singleTarget: false }), [...runs, { ...runs[0], label: 'Finance' }], 'Too many')
    expect(many.summary).toContain('<h3>❌ 2 of 2 Qlik Sense reloads failed</h3>')
    expect(many.summary).toContain('<p><strong>Too many</strong></p>')
    expect(many.failed).toBe(true)
  })
})

describe('dryRun: what would happen, nothing started', () => {
  /** The reads a dry run makes; anything else fails the test. */
  function server(tasks: ReloadTask[], sessions: Record<string, ExecutionSession[] | 'not known'>, apps: App[] = [], appSessions: Record<string, ExecutionSession[]> = {}) {
    const calls: string[] = []
    const api = {
      reloadTasks: async (filter: string, privileges: boolean) => (calls.push(`reloadTasks ${privileges}`), tasks.filter(t => filter.includes(t.id) && !t.taskType)),
      externalProgramTasks: async (filter: string) => tasks.filter(t => filter.includes(t.id) && t.taskType === 1),
      taskExecutionSessions: async (t: ReloadTask) => (sessions[t.id] === 'not known' ? { notKnown: 'GET /qrs/executionsession/full answered 404' } : (sessions[t.id] ?? [])),
      app: async (id: string, privileges: boolean) => (calls.push(`app ${privileges}`), apps.find(a => a.id === id)),
      appExecutionSessions: async (id: string) => appSessions[id] ?? []
    } as unknown as QrsApi
    return { api, calls }
  }
  const named = (id: string, name: string): TargetRun => ({
    target: { kind: 'task-id', taskId: id },
    label: name,
    resolved: { taskId: id, taskName: name, from: 'task-tag' },
    success: false
  })
  const app = (id: string, name: string): TargetRun => ({
    target: { kind: 'app-id', appId: id },
    label: `app '${name}'`,
    resolved: { appId: id, appName: name, stream: null, from: 'app-id' },
    success: false
  })

  it('all would start: the table, the verdict, a green summary; privileges asked for', async () => {
    const { api, calls } = server([task(T(1), 'Sales', { privileges: ['read', 'update'] })], {}, [{ id: 'a1', name: 'Forecast', privileges: ['update'] }])
    const toolkit = new FakeToolkit()
    const runs = [named(T(1), 'Sales'), app('a1', 'Forecast')]
    await dryRun(toolkit, api, testSettings({ singleTarget: false }), runs, NO_ENGINE)
    expect(calls).toEqual(['reloadTasks true', 'app true'])
    expect(runs.map(r => [r.success, r.plan?.action, r.plan?.mayStart])).toEqual([
      [true, 'start', true],
      [true, 'reload the app (Reload now)', true]
    ])
    expect(toolkit.log.some(line => /^Target\s+Id\s+Stream\s+Selected by\s+Enabled\s+Running\s+May start\s+Plan$/.test(line))).toBe(true)
    expect(toolkit.log).toContain('Dry run: all 2 targets would start. Nothing was started.')
    expect(toolkit.failed).toBe(false)
    expect(toolkit.summary).toContain('<h3>✅ Dry run: all 2 targets would start. Nothing was started.</h3>')
    expect(JSON.parse(toolkit.outputs.result)).toEqual([expect.objectContaining({ status: 'DryRun', 'planned-action': 'start' }), expect.objectContaining({ status: 'DryRun' })])
  })

  it('each reason not to start, named; if-running decides what a running task would do', async () => {
    const tasks = [
      task(T(1), 'Disabled', { enabled: false }),
      task(T(2), 'Locked', { privileges: ['read'] }),
      task(T(3), 'Running'),
      task(T(4), 'Unknown', { operational: { lastExecutionResult: { status: 2 } } }),
      task(T(5), 'Program', { taskType: 1 })
    ]
    const { api } = server(tasks, { [T(3)]: [{ id: 'running-1' }], [T(4)]: 'not known' }, [{ id: 'a1', name: 'Busy', privileges: ['read'] }], { a1: [{ id: 'app-run' }] })
    const toolkit = new FakeToolkit()
    const runs = [
      named(T(1), 'Disabled'),
      named(T(2), 'Locked'),
      named(T(3), 'Running'),
      named(T(4), 'Unknown'),
      named(T(5), 'Program'),
      named(T(6), 'Gone'),
      app('a1', 'Busy'),
      app('a2', 'Lost')
    ]
    await dryRun(toolkit, api, testSettings({ ifRunning: 'fail', singleTarget: false }), runs, NO_ENGINE)
    expect(runs.map(r => r.plan?.reasons)).toEqual([
      ['the task is disabled (QMC > Tasks > Edit > Enabled)'],
      ['the signed-in user may not start it (no update right on the task)'],
      ["it is already running (execution running-1) and if-running is 'fail'"],
      ["whether it is running could not be checked and if-running is 'fail'"],
      [],
      ['the task is no longer visible to this user'],
      ['the signed-in user may not reload it (no update right on the app)', 'a reload of the app is already running (execution app-run)'],
      ['the app is no longer visible to this user']
    ])
    expect(toolkit.annotations).toContainEqual({
      level: 'warning',
      message: "Could not check whether task 'Unknown' is already running (GET /qrs/executionsession/full answered 404).",
      title: undefined
    })
    const error = toolkit.errors().map(e => e.message)
    expect(error).toHaveLength(1)
    expect(error[0]).toMatch(/^Dry run: 7 of 8 targets would not start\. Nothing was started\.\n- Disabled: the task is disabled/)
    expect(toolkit.failed).toBe(true)
    expect(toolkit.summary).toContain('<li>Locked: the signed-in user may not start it (no update right on the task)</li>')
    for (const mode of ['attach', 'wait'] as const) {
      const again = [named(T(3), 'Running')]
      await dryRun(new FakeToolkit(), api, testSettings({ ifRunning: mode }), again, NO_ENGINE)
      expect(again[0].plan?.action).toBe(mode === 'attach' ? 'attach to execution running-1 (if-running: attach)' : 'wait for execution running-1 to end, then start')
    }
  })

  it('a read that fails is the step’s failure, not a plan', async () => {
    const api = {
      reloadTasks: async () => {
        throw new QrsError('GET', '/qrs/reloadtask/full', 500, 'boom')
      }
    } as unknown as QrsApi
    await expect(dryRun(new FakeToolkit(), api, testSettings(), [named(T(1), 'Sales')], NO_ENGINE)).rejects.toThrow(/answered 500/)
  })
})
