import { taskNames } from '../../src/report/started.js'
import { afterEach, describe, expect, it } from '@jest/globals'
import { reportCancelled } from '../../src/run/cancel.js'
import type { Running } from '../../src/run/context.js'
import { Progress } from '../../src/run/progress.js'
import { listenForCancel } from '../../src/run/signals.js'
import { isPost, leftToStop, markMainEnded, markMainStarted, saveRunning, STATE } from '../../src/run/state.js'
import { CancelledError } from '../../src/util/errors.js'
import { result, startedReload, targetRun, taskReport } from '../helpers/fake-runner.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'
import { testSettings } from '../helpers/settings.js'

describe('the step state the post step reads', () => {
  it('main marks its start (so the one bundle runs post next time) and its end', () => {
    const store = new FakeToolkit()
    expect(isPost(store)).toBe(false)
    markMainStarted(store)
    expect(isPost(store)).toBe(true)
  })

  it('keeps the list of ours that may run; the first also under its own keys', () => {
    const store = new FakeToolkit()
    saveRunning(
      [
        { taskId: 't1', executionId: 'e1' },
        { taskId: 't2', executionId: 'e2' }
      ],
      store
    )
    expect(store.state).toEqual({
      'task-id': 't1',
      'execution-id': 'e1',
      executions: JSON.stringify([
        { taskId: 't1', executionId: 'e1' },
        { taskId: 't2', executionId: 'e2' }
      ]),
      done: 'false'
    })
    expect(leftToStop(store)).toEqual([
      { taskId: 't1', executionId: 'e1' },
      { taskId: 't2', executionId: 'e2' }
    ])
    saveRunning([], store)
    expect(store.state.done).toBe('true')
    expect(leftToStop(store)).toEqual([])
  })

  it('a main killed before its end: everything of ours; one that ended: only what it could not stop', () => {
    const store = new FakeToolkit()
    saveRunning([{ taskId: 't1', executionId: 'e1' }], store)
    markMainEnded([], store)
    expect(leftToStop(store)).toEqual([])
    markMainEnded([{ taskId: 't1', executionId: 'e1' }], store)
    expect(leftToStop(store)).toEqual([{ taskId: 't1', executionId: 'e1' }])
    store.state[STATE.stopPending] = '{not json'
    expect(leftToStop(store)).toEqual([])
  })

  it('reads the single keys when the list is missing or broken (a state written by an older main)', () => {
    const store = new FakeToolkit()
    Object.assign(store.state, { 'task-id': 't1', 'execution-id': 'e1', executions: 'broken' })
    expect(leftToStop(store)).toEqual([{ taskId: 't1', executionId: 'e1' }])
    expect(leftToStop(new FakeToolkit())).toEqual([])
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

describe('reportCancelled: what a cancellation did to each of ours', () => {
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
