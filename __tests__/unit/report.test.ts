import { taskReport } from '../helpers/fake-runner.js'
import { describe, expect, it } from '@jest/globals'
import { EOL } from 'node:os'
import type { ExecutionResult, ReloadTask } from '../../src/qrs/types.js'
import { failureAnnotation, failureSentence } from '../../src/report/annotation.js'
import { escape, Html } from '../../src/report/html.js'
import { logReport } from '../../src/report/log.js'
import { setOutputs, setResult } from '../../src/report/outputs.js'
import { writeSummary, writeTargetsSummary } from '../../src/report/summary.js'
import type { TargetRun } from '../../src/report/target-run.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

const TASK: ReloadTask = { id: 'a1000000-0000-4000-8000-000000000002', name: 'Reload Finance', app: { id: 'b1000000-0000-4000-8000-000000000002', name: 'Finance' } }
const EXEC = '6a1d3c1e-0000-4000-8000-000000000002'

function failed(overrides: Partial<ExecutionResult> = {}): ExecutionResult {
  return {
    id: 'c1000000-0000-4000-8000-000000000002',
    status: 8,
    startTime: '2026-03-01T10:00:00.000Z',
    stopTime: '2026-03-01T10:00:09.500Z',
    duration: 9_500,
    executingNodeName: 'qliksrv02',
    details: [
      { detailsType: 2, message: 'Reload finished', detailCreatedDate: '2026-03-01T10:00:09.000Z' },
      { detailsType: 0, message: '  Field not found  ', detailCreatedDate: '2026-03-01T10:00:05.000Z' },
      { detailsType: 1, message: 'Slow source', detailCreatedDate: '1753-01-01T00:00:00.000Z' },
      { detailsType: 2, message: '   ' }
    ],
    ...overrides
  }
}

describe('buildReport: one execution as the step reports it', () => {
  it('names the status, the times, the node, and the details in time order (blank ones dropped)', () => {
    const report = taskReport(TASK, EXEC, failed(), 2)
    expect(report).toEqual({
      taskId: TASK.id,
      taskName: 'Reload Finance',
      appId: TASK.app!.id,
      appName: 'Finance',
      executionId: EXEC,
      executionResultId: 'c1000000-0000-4000-8000-000000000002',
      status: 'FinishedFail',
      statusCode: 8,
      startedAt: '2026-03-01T10:00:00.000Z',
      stoppedAt: '2026-03-01T10:00:09.500Z',
      durationMs: 9_500,
      node: 'qliksrv02',
      reloadMode: 'task',
      partial: false,
      attempts: 2,
      details: [
        { type: 'warning', message: 'Slow source', time: '' },
        { type: 'error', message: 'Field not found', time: '2026-03-01T10:00:05.000Z' },
        { type: 'info', message: 'Reload finished', time: '2026-03-01T10:00:09.000Z' }
      ]
    })
  })

  it('before a result: empty fields; the duration from the times when the server gave none; the app from the result', () => {
    expect(taskReport(TASK, EXEC)).toMatchObject({ status: '', statusCode: null, startedAt: '', durationMs: null, executionResultId: '', details: [] })
    const noDuration = taskReport({ id: TASK.id, name: TASK.name }, EXEC, failed({ duration: 0, appID: 'b2000000-0000-4000-8000-000000000002' }))
    expect(noDuration).toMatchObject({ durationMs: 9_500, appId: 'b2000000-0000-4000-8000-000000000002', appName: '' })
    // Not stopped yet (1753 is the QRS's "unset"): no duration; the empty GUID is no app.
    const running = taskReport({ id: TASK.id, name: TASK.name }, EXEC, failed({ status: 2, stopTime: '1753-01-01T00:00:00.000Z', appID: '00000000-0000-0000-0000-000000000000' }))
    expect(running).toMatchObject({ status: 'Started', stoppedAt: '', durationMs: null, appId: '' })
  })
})

describe('failureAnnotation', () => {
  it('says the status, then the scheduler errors, the script errors, the last lines and the log note', () => {
    const report = taskReport(TASK, EXEC, failed())
    const text = failureAnnotation(report, { errorLines: ['Error: Field not found'], tail: Array.from({ length: 12 }, (_, i) => `line ${i}`), lines: 40 }, 'No script log: gone.')
    expect(text.split('\n')).toEqual([
      "Reload task 'Reload Finance' ended with FinishedFail (8), not FinishedSuccess.",
      'Scheduler:',
      '  Field not found',
      'Script errors:',
      '  Error: Field not found',
      'Last lines of the script log:',
      ...Array.from({ length: 10 }, (_, i) => `  line ${i + 2}`),
      'No script log: gone.'
    ])
    expect(failureSentence(report)).toBe(text.split('\n')[0])
  })

  it('is cut at 4000 characters (GitHub cuts annotations)', () => {
    const report = taskReport(TASK, EXEC, failed({ details: [{ detailsType: 0, message: 'x'.repeat(5_000) }] }))
    const text = failureAnnotation(report)
    expect(text).toHaveLength(4_001)
    expect(text.endsWith('…')).toBe(true)
  })
})

describe('Html and escape: the job summary as GitHub renders it', () => {
  it('writes each block on a line of its own, in the shapes of GitHub’s summary builder', () => {
    const html = new Html().heading('Title').heading('Small', 4).raw('<p>x</p>').details('More', '<ul></ul>').code('a &lt; b').toString()
    expect(html).toBe(['<h3>Title</h3>', '<h4>Small</h4>', '<p>x</p>', '<details><summary>More</summary><ul></ul></details>', '<pre><code>a &lt; b</code></pre>', ''].join(EOL))
  })

  it('escapes markup, quotes and line breaks (a blank line would end the HTML block)', () => {
    expect(escape(`<img src="x"> & 'y'\r\n\n[link](http://z)`)).toBe(`&lt;img src=&quot;x&quot;&gt; &amp; 'y'&#13;&#10;&#10;[link](http://z)`)
  })
})

describe('logReport', () => {
  it('prints one line per fact and the details', () => {
    const toolkit = new FakeToolkit()
    logReport(toolkit, taskReport(TASK, EXEC, failed(), 2))
    expect(toolkit.log).toEqual([
      'Status:    FinishedFail (8)',
      `Task:      Reload Finance (${TASK.id})`,
      `App:       Finance (${TASK.app!.id})`,
      `Execution: ${EXEC} (2 attempts)`,
      'Started:   2026-03-01T10:00:00.000Z',
      'Stopped:   2026-03-01T10:00:09.500Z',
      'Duration:  10s',
      'Node:      qliksrv02',
      'Scheduler details:',
      '   [warning] Slow source',
      '  2026-03-01T10:00:05.000Z [error] Field not found',
      '  2026-03-01T10:00:09.000Z [info] Reload finished'
    ])
  })

  it('prints server text that could be a runner command with commands stopped', () => {
    const toolkit = new FakeToolkit()
    // A line break in a task name would start a line of its own: a command, unless commands are stopped.
    logReport(toolkit, taskReport({ id: TASK.id, name: 'x\n::add-mask::y' }, EXEC))
    expect(toolkit.log[0]).toMatch(/^::stop-commands::[0-9a-f]{32}$/)
    expect(toolkit.log).toContain('Task:      x\n::add-mask::y (a1000000-0000-4000-8000-000000000002)')
    expect(toolkit.log.at(-1)).toBe(`::${toolkit.log[0].slice('::stop-commands::'.length)}::`)
  })
})

describe('outputs', () => {
  it('sets every output of one execution, unknown values as empty strings', () => {
    const toolkit = new FakeToolkit()
    setOutputs(toolkit, taskReport(TASK, EXEC))
    expect(Object.keys(toolkit.outputs).sort()).toEqual(
      [
        'status',
        'status-code',
        'task-id',
        'task-name',
        'app-id',
        'app-name',
        'execution-id',
        'execution-result-id',
        'started-at',
        'stopped-at',
        'duration-ms',
        'node',
        'result'
      ].sort()
    )
    expect(toolkit.outputs['status-code']).toBe('')
    expect(toolkit.outputs['duration-ms']).toBe('')
    expect(JSON.parse(toolkit.outputs.result)).toMatchObject({ target: 'Reload Finance', 'task-id': TASK.id, status: null, success: false })
    setOutputs(toolkit, taskReport(TASK, EXEC, failed()))
    expect(toolkit.outputs).toMatchObject({ status: 'FinishedFail', 'status-code': '8', 'duration-ms': '9500', node: 'qliksrv02' })
  })

  it('`result`: one object for a single named target, else one entry per target with every key', () => {
    const done: TargetRun = {
      target: { kind: 'task-id', taskId: TASK.id },
      label: 'Reload Finance',
      report: taskReport(TASK, EXEC, failed()),
      success: false,
      scriptLogPath: '/tmp/log'
    }
    const notStarted: TargetRun = {
      target: { kind: 'app-id', appId: 'b9' },
      label: "app 'Sales'",
      resolved: { appId: 'b9', appName: 'Sales', stream: 'Finance', from: 'app-name' },
      success: false,
      error: 'No app'
    }
    const planned: TargetRun = {
      target: { kind: 'task-id', taskId: 't3' },
      label: 'Nightly',
      resolved: { taskId: 't3', taskName: 'Nightly', from: 'task-tag' },
      plan: { action: 'none', wouldStart: false, enabled: false, runningExecutionId: null, mayStart: null, reasons: ['disabled', 'locked'] },
      success: false
    }
    const one = new FakeToolkit()
    setResult(one, { singleTarget: true, reloadMode: 'task', partial: false }, [done])
    expect(JSON.parse(one.outputs.result)).toMatchObject({ target: 'Reload Finance', status: 'FinishedFail', 'script-log-path': '/tmp/log', details: expect.any(Array) })
    const many = new FakeToolkit()
    setResult(many, { singleTarget: false, reloadMode: 'task', partial: false }, [done, notStarted, planned])
    const entries = JSON.parse(many.outputs.result) as Record<string, unknown>[]
    expect(entries.map(e => Object.keys(e).length)).toEqual([24, 24, 24])
    expect(entries[0]).toMatchObject({ 'reload-mode': 'task', partial: false, tables: null })
    expect(entries[1]).toMatchObject({ target: "app 'Sales'", status: 'NotStarted', 'app-id': 'b9', 'app-name': 'Sales', stream: 'Finance', error: 'No app', 'task-id': null })
    expect(entries[2]).toMatchObject({ status: 'DryRun', 'planned-action': 'none', error: 'disabled; locked', 'may-start': null, 'task-name': 'Nightly' })
  })
})

describe('the job summary', () => {
  it('one target: the heading, the facts, the details, the script lines and the chain, all escaped', async () => {
    const toolkit = new FakeToolkit()
    const report = taskReport({ ...TASK, name: 'Reload <b>Finance</b>' }, EXEC, failed())
    await writeSummary(toolkit, {
      report,
      success: false,
      failure: 'It failed\nsecond line',
      excerpt: { errorLines: ['Error: <x>'], tail: ['last'], lines: 3 },
      scriptLogNote: 'Script log: 1 KiB at /tmp/log',
      chain: [{ taskId: 't2', taskName: 'Next', eventName: 'After', status: 'FinishedFail', statusCode: 8, durationMs: 2_000, failed: true, children: [] }]
    })
    const html = toolkit.summary
    expect(html).toContain('<h3>❌ Reload &lt;b&gt;Finance&lt;/b&gt;: FinishedFail</h3>')
    expect(html).toContain('<p><strong>It failed</strong></p>')
    expect(html).not.toContain('second line')
    expect(html).toContain('<tr><th align="left">Status</th><td>FinishedFail (8)</td></tr>')
    expect(html).toContain('<tr><th align="left">Attempts</th><td>1</td></tr>')
    expect(html).toContain('<details><summary>Scheduler details</summary><ul><li>🟠 Slow source</li><li>🔴 Field not found <sub>2026-03-01T10:00:05.000Z</sub></li>')
    expect(html).toContain('<pre><code>Error: &lt;x&gt;</code></pre>')
    expect(html).toContain('<details><summary>Last 1 lines of the script log (3 lines)</summary><pre>last</pre></details>')
    expect(html).toContain('<li>❌ <strong>Next</strong> <sub>via After</sub> — FinishedFail · 2s</li>')
    expect(html).toContain('<p><sub>Script log: 1 KiB at /tmp/log</sub></p>')
  })

  it('a step that failed before a report, and one that succeeded without waiting', async () => {
    const failedEarly = new FakeToolkit()
    await writeSummary(failedEarly, { success: false, failure: 'Input url is required' })
    expect(failedEarly.summary).toBe(['<h3>❌ Qlik Sense reload: failed</h3>', '<p><strong>Input url is required</strong></p>', ''].join(EOL))
    const started = new FakeToolkit()
    await writeSummary(started, { success: true, report: taskReport(TASK, EXEC), chain: [] })
    expect(started.summary).toContain('<h3>✅ Reload Finance: started</h3>')
    expect(started.summary).toContain('No task trigger fires on this outcome.')
  })

  it('several targets: a row each, the chains, and why each failed', async () => {
    const toolkit = new FakeToolkit()
    const ok: TargetRun = {
      target: { kind: 'task-id', taskId: 't1' },
      label: 'Sales',
      report: taskReport({ id: 't1', name: 'Sales' }, 'e1', { ...failed(), status: 7, details: [] }),
      success: true,
      chain: [{ taskId: 't9', taskName: 'After sales', eventName: 'E', failed: false, warning: true, note: 'may never fire', children: [] }]
    }
    const bad: TargetRun = {
      target: { kind: 'task-id', taskId: 't2' },
      label: 'Finance <2>',
      report: taskReport(TASK, EXEC, failed()),
      success: false,
      excerpt: { errorLines: ['Error: x'], tail: [], lines: 1 }
    }
    const never: TargetRun = { target: { kind: 'task-id', taskId: 't3' }, label: 'Never', success: false, error: 'Not started: another target failed (fail-fast).' }
    await writeTargetsSummary(toolkit, [ok, bad, never])
    const html = toolkit.summary
    expect(html).toContain('<h3>❌ 2 of 3 Qlik Sense reloads failed</h3>')
    expect(html).toContain('<tr><td>Sales</td><td>✅ FinishedSuccess</td>')
    expect(html).toContain('<tr><td>Finance &lt;2&gt;</td><td>❌ FinishedFail</td>')
    expect(html).toContain('<tr><td>Never</td><td>❌ NotStarted</td><td>—</td><td>—</td><td>—</td><td>—</td></tr>')
    expect(html).toContain(
      '<details><summary>Task chain after Sales</summary><ul><li>⚠️ <strong>After sales</strong> <sub>via E</sub> — <em>may never fire</em></li></ul></details>'
    )
    expect(html).toContain('<details><summary>Finance &lt;2&gt;: why it failed</summary><pre>Field not found&#10;Error: x</pre></details>')
    expect(html).toContain('<details><summary>Never: why it failed</summary><pre>Not started: another target failed (fail-fast).</pre></details>')
    const all = new FakeToolkit()
    await writeTargetsSummary(all, [ok], 'The selection failed')
    expect(all.summary).toContain('<h3>✅ 1 Qlik Sense reloads finished</h3>')
    expect(all.summary).toContain('<p><strong>The selection failed</strong></p>')
  })
})
