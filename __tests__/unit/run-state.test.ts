import { taskNames } from '../../src/report/started.js'
import { afterEach, describe, expect, it } from '@jest/globals'
import { reportCancelled } from '../../src/run/cancel.js'
import type { Running } from '../../src/run/context.js'
import { Progress } from '../../src/run/progress.js'
import { listenForCancel } from '../../src/run/signals.js'
import type { StartRecord } from '../../src/reload/start-record.js'
import type { PendingStart, SettleStory } from '../../src/run/pending-start.js'
import { leftToStop, markMainEnded, saveRunning, STATE } from '../../src/run/state.js'
import { CancelledError } from '../../src/util/errors.js'
import { result, startedReload, targetRun, taskReport } from '../helpers/fake-runner.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'
import { testSettings } from '../helpers/settings.js'

const RECORD: StartRecord = { taskId: 't3', name: 'Reload Sales', at: '2026-03-01T10:00:00.000Z', user: 'INTERNAL\\sa_api', before: ['e0'] }
const none = { executions: [], starts: [] }

describe('the step state the post step reads', () => {
  it('keeps the lists of ours that may run and of starts in flight; the first execution also under its own keys', () => {
    const store = new FakeToolkit()
    const executions = [
      { taskId: 't1', executionId: 'e1' },
      { taskId: 't2', executionId: 'e2' }
    ]
    saveRunning({ executions, starts: [RECORD] }, store)
    expect(store.state).toEqual({
      'task-id': 't1',
      'execution-id': 'e1',
      executions: JSON.stringify(executions),
      starting: JSON.stringify([RECORD]),
      done: 'false'
    })
    expect(leftToStop(store)).toEqual({ executions, starts: [RECORD] })
    // A start in flight alone keeps the post step's work: the single keys of an execution that ended do not come back.
    saveRunning({ executions: [], starts: [RECORD] }, store)
    expect(store.state.done).toBe('false')
    expect(leftToStop(store)).toEqual({ executions: [], starts: [RECORD] })
    saveRunning(none, store)
    expect(store.state.done).toBe('true')
    expect(leftToStop(store)).toEqual(none)
  })

  it('a main killed before its end: everything of ours; one that ended: only what it could not stop or settle', () => {
    const store = new FakeToolkit()
    saveRunning({ executions: [{ taskId: 't1', executionId: 'e1' }], starts: [RECORD] }, store)
    markMainEnded(none, store)
    expect(leftToStop(store)).toEqual(none)
    markMainEnded({ executions: [{ taskId: 't1', executionId: 'e1' }], starts: [RECORD] }, store)
    expect(leftToStop(store)).toEqual({ executions: [{ taskId: 't1', executionId: 'e1' }], starts: [RECORD] })
    store.state[STATE.stopPending] = '{not json'
    store.state[STATE.startPending] = JSON.stringify([{ taskId: 't3' }, RECORD, null])
    expect(leftToStop(store)).toEqual({ executions: [], starts: [RECORD] })
  })

  it('reads the single keys when the list is missing or broken (a state written by an older main)', () => {
    const store = new FakeToolkit()
    Object.assign(store.state, { 'task-id': 't1', 'execution-id': 'e1', executions: 'broken' })
    expect(leftToStop(store)).toEqual({ executions: [{ taskId: 't1', executionId: 'e1' }], starts: [] })
    expect(leftToStop(new FakeToolkit())).toEqual(none)
  })
})

/** One of ours, whose stop does what `stop` says. */
function running(name: string, stop: Running['stop'], extra: Partial<Running> = {}): Running {
  return {
    key: `exec-${name}`,
    names: taskNames(`task '${name}'`, `exec-${name}`),
    saved: { taskId: `task-${name}`, executionId: `exec-${name}` },
    attached: false,
    stop,
    ...extra
  }
}

describe('Progress: what main knows, saved as it changes', () => {
  it('saves ours at each start and end (not someone else’s), and at its end only what it could not stop', () => {
    const store = new FakeToolkit()
    const progress = new Progress(store)
    const stop: Running['stop'] = async () => ({ alreadyEnded: false })
    progress.started(running('A', stop))
    progress.started(running('B', stop, { attached: true }))
    expect(JSON.parse(store.state.executions)).toEqual([{ taskId: 'task-A', executionId: 'exec-A' }])
    progress.started(running('C', stop))
    progress.ended('exec-A')
    expect(JSON.parse(store.state.executions)).toEqual([{ taskId: 'task-C', executionId: 'exec-C' }])
    progress.stopFailed('exec-C')
    progress.end()
    expect(store.state[STATE.mainEnded]).toBe('true')
    expect(JSON.parse(store.state[STATE.stopPending])).toEqual([{ taskId: 'task-C', executionId: 'exec-C' }])
  })
})

/** A start in flight whose settling does what `settle` says, recording the story it was told. */
function pendingStart(name: string, settle: (story: SettleStory) => Awaited<ReturnType<PendingStart['settle']>>): PendingStart & { stories: SettleStory[] } {
  const stories: SettleStory[] = []
  return { record: { ...RECORD, name }, stories, settle: async story => (stories.push(story), settle(story)) }
}

describe('Progress: starts in flight', () => {
  it('saves a start before it goes out, forgets it once settled, and leaves only what a cancellation left to the post step', () => {
    const store = new FakeToolkit()
    const progress = new Progress(store)
    const [a, b] = [targetRun('A'), targetRun('B')]
    progress.starting(
      a,
      pendingStart('A', () => ({ kind: 'none', message: '' }))
    )
    expect(JSON.parse(store.state.starting)).toEqual([{ ...RECORD, name: 'A' }])
    expect(store.state.done).toBe('false')
    progress.starting(
      b,
      pendingStart('B', () => ({ kind: 'none', message: '' }))
    )
    progress.settled(a)
    expect(JSON.parse(store.state.starting)).toEqual([{ ...RECORD, name: 'B' }])
    // Settled twice (a start that failed after its execution was known): nothing more is saved.
    store.state.starting = 'untouched'
    progress.settled(a)
    expect(store.state.starting).toBe('untouched')
    progress.end()
    expect(JSON.parse(store.state[STATE.startPending])).toEqual([])
    progress.pendingLeft.add(b)
    progress.end()
    expect(JSON.parse(store.state[STATE.startPending])).toEqual([{ ...RECORD, name: 'B' }])
  })
})

describe('reportCancelled: what a cancellation did to each of ours', () => {
  it('settles each start in flight: what it started stopped, or left to the post step when nothing showed or the stop failed', async () => {
    const toolkit = new FakeToolkit()
    const progress = new Progress(toolkit)
    progress.settings = testSettings({ singleTarget: false })
    const runs = ['Found', 'Nothing yet', 'Stop failed', 'Several'].map(name => targetRun(name))
    progress.runs = runs
    const kinds = ['stopped', 'none', 'failed', 'several'] as const
    const starts = runs.map((run, i) => pendingStart(run.label, story => ({ kind: kinds[i], message: `${story.why}: ${kinds[i]} (${run.label})` })))
    runs.forEach((run, i) => progress.starting(run, starts[i]))
    await reportCancelled(progress, toolkit)
    expect(toolkit.errors().map(e => e.message.split('\n'))).toEqual([
      [
        'The job was cancelled: stopped (Found)',
        'The job was cancelled: none (Nothing yet)',
        'The job was cancelled: failed (Stop failed)',
        'The job was cancelled: several (Several)'
      ]
    ])
    expect(starts[0].stories).toEqual([{ why: 'The job was cancelled', lookMs: 2_500, waitMs: 4_000, afterward: 'The post step looks again.' }])
    // Still in flight for a kill from here on, and left to the post step at main's end: nothing found yet, and the failed stop.
    expect((JSON.parse(toolkit.state.starting) as StartRecord[]).map(r => r.name)).toEqual(['Nothing yet', 'Stop failed'])
    progress.end()
    expect((JSON.parse(toolkit.state[STATE.startPending]) as StartRecord[]).map(r => r.name)).toEqual(['Nothing yet', 'Stop failed'])
  })

  it('a start in flight with stop-on-cancel: false is left alone, said so', async () => {
    const toolkit = new FakeToolkit()
    const progress = new Progress(toolkit)
    progress.settings = testSettings({ stopOnCancel: false })
    const run = targetRun('A')
    progress.runs = [run]
    const start = pendingStart('Reload Sales', () => ({ kind: 'stopped', message: 'never' }))
    progress.starting(run, start)
    await reportCancelled(progress, toolkit)
    expect(toolkit.errors()[0].message).toBe(
      "The job was cancelled during the start of task 'Reload Sales'; what it started keeps running in Qlik Sense because stop-on-cancel is false."
    )
    expect(start.stories).toEqual([])
    expect(toolkit.state.done).toBe('true')
  })

  it('stops ours, leaves someone else’s and what the user said to keep, and fails the step saying each', async () => {
    const toolkit = new FakeToolkit()
    const progress = new Progress(toolkit)
    progress.settings = testSettings({ singleTarget: false })
    const done = { ...targetRun('Done'), started: startedReload('Done'), report: taskReport(startedReload('Done').task!, 'exec-Done', result(7)) }
    const stopped = { ...targetRun('A'), started: startedReload('A') }
    progress.runs = [done, stopped]
    progress.started(running('A', async waitMs => ({ alreadyEnded: false, result: result(6, { id: String(waitMs) }) })))
    progress.started(running('Ended', async () => ({ alreadyEnded: true, result: result(7) })))
    progress.started(running('Broken', async () => Promise.reject(new Error('socket hang up'))))
    progress.started(running('Theirs', async () => Promise.reject(new Error('never called')), { attached: true }))
    await reportCancelled(progress, toolkit)
    expect(toolkit.errors().map(e => e.message.split('\n'))).toEqual([
      [
        "The job was cancelled after the reload of 'Done' had ended (FinishedSuccess); nothing to stop.",
        "The job was cancelled: stopped task 'A' (execution exec-A), now Aborted (6).",
        "The job was cancelled; execution exec-Ended had already ended, now FinishedSuccess (7): not stopping task 'Ended' (another run of it may be going).",
        "The job was cancelled, and stopping task 'Broken' (execution exec-Broken) failed: socket hang up. The post step will try again.",
        'The job was cancelled; execution exec-Theirs was started by someone else (if-running: attach) and keeps running.'
      ]
    ])
    expect(toolkit.failed).toBe(true)
    // What is left for the post step: the one whose stop failed.
    expect(JSON.parse(toolkit.state.executions)).toEqual([{ taskId: 'task-Broken', executionId: 'exec-Broken' }])
    progress.end()
    expect(JSON.parse(toolkit.state[STATE.stopPending])).toEqual([{ taskId: 'task-Broken', executionId: 'exec-Broken' }])
    expect((JSON.parse(toolkit.outputs.result) as unknown[]).length).toBe(2)
    expect(toolkit.summary).toContain('<strong>The job was cancelled after the reload of')
    // The one stopped reports its final status in the result; several targets leave the single outputs empty.
    expect(stopped.report?.status).toBe('Aborted')
    expect((JSON.parse(toolkit.outputs.result) as { status: string }[]).map(entry => entry.status)).toEqual(['FinishedSuccess', 'Aborted'])
    expect(toolkit.outputs.status).toBeUndefined()
  })

  it('stops all of ours at once (the runner kills the step seconds after the cancel), saying each in order', async () => {
    const toolkit = new FakeToolkit()
    const progress = new Progress(toolkit)
    progress.settings = testSettings({ singleTarget: false })
    const names = ['A', 'B', 'C', 'D']
    progress.runs = names.map(name => ({ ...targetRun(name), started: startedReload(name) }))
    const slowStop = (delayMs: number) => async () => {
      await new Promise(done => setTimeout(done, delayMs))
      return { alreadyEnded: false, result: result(6) }
    }
    names.forEach((name, i) => progress.started(running(name, slowStop(400 - i * 50))))
    const began = performance.now()
    await reportCancelled(progress, toolkit)
    expect(performance.now() - began).toBeLessThan(1_000)
    expect(toolkit.errors()[0].message.split('\n')).toEqual(names.map(name => `The job was cancelled: stopped task '${name}' (execution exec-${name}), now Aborted (6).`))
    expect(progress.running.size).toBe(0)
  })

  it('a single target stopped: its outputs, result and summary say Aborted, and script-log-path names the progress log', async () => {
    const toolkit = new FakeToolkit()
    const progress = new Progress(toolkit)
    progress.settings = testSettings()
    const run = { ...targetRun('A'), started: startedReload('A', { logPath: '/runner/temp/qlik-engine-log-a.log' }) }
    progress.runs = [run]
    progress.started(running('A', async () => ({ alreadyEnded: false, result: result(6) })))
    await reportCancelled(progress, toolkit)
    expect(toolkit.outputs).toMatchObject({
      status: 'Aborted',
      'status-code': '6',
      'execution-id': 'exec-A',
      'stopped-at': '2026-03-01T10:00:03.000Z',
      'script-log-path': '/runner/temp/qlik-engine-log-a.log'
    })
    expect(JSON.parse(toolkit.outputs.result)).toMatchObject({ status: 'Aborted', success: false })
    expect(toolkit.summary).toContain('Aborted')
  })

  it('stop-on-cancel: false leaves ours running; before any start it says so', async () => {
    const toolkit = new FakeToolkit()
    const progress = new Progress(toolkit)
    progress.settings = testSettings({ stopOnCancel: false })
    progress.runs = [{ ...targetRun('A'), started: startedReload('A') }]
    progress.started(running('A', async () => Promise.reject(new Error('never called'))))
    await reportCancelled(progress, toolkit)
    expect(toolkit.errors()[0].message).toBe("The job was cancelled; task 'A' (execution exec-A) keeps running in Qlik Sense because stop-on-cancel is false.")
    const early = new FakeToolkit()
    await reportCancelled(new Progress(early), early)
    expect(early.errors()[0].message).toBe('The job was cancelled before a reload was started.')
    expect(early.outputs).toEqual({})
  })
})

describe('listenForCancel: the runner’s signals as one abort signal', () => {
  let disposers: (() => void)[] = []
  afterEach(() => {
    for (const dispose of disposers) dispose()
    disposers = []
  })

  it('SIGINT, SIGTERM or SIGBREAK abort it with a CancelledError, said once', () => {
    const toolkit = new FakeToolkit()
    const cancel = listenForCancel(toolkit)
    disposers.push(cancel.dispose)
    // As Node calls a signal's listeners: with the signal's name.
    process.emit('SIGINT', 'SIGINT')
    process.emit('SIGTERM', 'SIGTERM')
    expect(cancel.signal.aborted).toBe(true)
    expect(cancel.signal.reason).toBeInstanceOf(CancelledError)
    expect((cancel.signal.reason as CancelledError).signal).toBe('SIGINT')
    expect(toolkit.log).toEqual(['Received SIGINT: the job is being cancelled.'])
  })

  it('another signal cancels too (the in-process tests’); dispose stops listening', () => {
    const toolkit = new FakeToolkit()
    const also = new AbortController()
    const before = process.listenerCount('SIGBREAK')
    const cancel = listenForCancel(toolkit, also.signal)
    expect(process.listenerCount('SIGBREAK')).toBe(before + 1)
    also.abort()
    expect((cancel.signal.reason as CancelledError).message).toBe('The job was cancelled (SIGTERM).')
    cancel.dispose()
    expect(process.listenerCount('SIGBREAK')).toBe(before)
    const quiet = listenForCancel(toolkit)
    quiet.dispose()
    process.emit('SIGTERM', 'SIGTERM')
    expect(quiet.signal.aborted).toBe(false)
  })
})
