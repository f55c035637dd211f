import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { QrsApi } from '../../src/qrs/api.js'
import type { TargetRun } from '../../src/report/target-run.js'
import { runAll } from '../../src/run/all-targets.js'
import { targetContext } from '../../src/run/context.js'
import { stopAndExplain } from '../../src/run/stop.js'
import { runTarget } from '../../src/run/target.js'
import { taskReload, taskRunner, type TaskReload } from '../../src/run/task-runner.js'
import { engineRunner } from '../../src/run/engine-runner.js'
import { taskNames } from '../../src/report/started.js'
import type { EngineConnector } from '../../src/engine/connector.js'
import type { Clock } from '../../src/util/clock.js'
import { ConnectionError } from '../../src/util/errors.js'
import { fakeRunner, result, startedReload, stepContext, targetRun } from '../helpers/fake-runner.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'
import { fakeClock } from '../helpers/fake-clock.js'

const timeout = (lastStatus?: number) => ({ kind: 'timeout' as const, elapsedMs: 2_000, sessionEnded: false, lastStatus, attempts: 0 })

describe('runTarget: one target’s steps through its runner', () => {
  it('starts, tracks at once, follows to the end, reports; no script log after a success', async () => {
    const step = stepContext({ singleTarget: true })
    const runner = fakeRunner()
    let logAsked = false
    runner.scriptLog = async () => ((logAsked = true), { kind: 'none', reason: 'x' })
    const run = targetRun('Sales')
    await runTarget(runner, run, step)
    expect(run).toMatchObject({ success: true, label: 'Sales', report: { status: 'FinishedSuccess', executionId: 'exec-Sales' }, result: { status: 7 } })
    expect(run.error).toBeUndefined()
    expect(step.tracker.calls).toEqual(['started exec-Sales', 'ended exec-Sales'])
    expect(step.toolkit.groups).toEqual(['Start the reload'])
    expect(step.toolkit.log).toEqual(["Task 'Sales' (task-Sales): execution exec-Sales"])
    // One target: the outputs are set the moment the execution is known.
    expect(step.toolkit.outputs['execution-id']).toBe('exec-Sales')
    expect(logAsked).toBe(false)
    // What the cancel handler stops it with: the runner's stop, not cut by the cancellation.
    await step.tracker.running[0].stop(4_000)
    expect(runner.stops).toEqual([{ executionId: 'exec-Sales', waitMs: 4_000, afterCancel: true }])
  })

  it('a saved log that was cut (script-log-max-size) or cut short (the timeout) says so, in the note and the step log', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'qsr-run-')), 'log.txt')
    writeFileSync(path, 'Start\r\nError: Field not found\r\n')
    const step = stepContext({ scriptLogMaxBytes: 1024 * 1024 })
    const run = targetRun('Finance')
    await runTarget(
      fakeRunner({
        follow: async () => ({ kind: 'finished', result: result(8), attempts: 1 }),
        scriptLog: async () => ({ kind: 'saved', path, bytes: 31, received: 3 * 1024 * 1024, cut: 2 * 1024 * 1024, cutShort: true })
      }),
      run,
      step
    )
    const note = `Script log: 31 B at ${path} (cut: 2.0 MiB of its 3.0 MiB left out in the middle to keep within script-log-max-size (1.0 MiB); cut short: the download was still running at the timeout, so the log ends where it stopped)`
    expect(run.scriptLogNote).toBe(note)
    expect(step.toolkit.log).toContain(note)
  })

  it('a failed reload: the script log saved and scanned; a missing log said; a fetch that fails is a warning', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'qsr-run-')), 'log.txt')
    writeFileSync(path, 'Start\r\nError: Field not found\r\n')
    const saved = stepContext()
    const run = targetRun('Finance')
    await runTarget(
      fakeRunner({
        follow: async () => ({ kind: 'finished', result: result(8), attempts: 1 }),
        scriptLog: async () => ({ kind: 'saved', path, bytes: 31, received: 31, cut: 0, cutShort: false })
      }),
      run,
      saved
    )
    expect(run).toMatchObject({
      success: false,
      scriptLogPath: path,
      scriptLogBytes: 31,
      scriptLogNote: `Script log: 31 B at ${path}`,
      excerpt: { errorLines: ['Error: Field not found'] }
    })

    const none = stepContext()
    const missing = targetRun('Finance')
    await runTarget(fakeRunner({ follow: async () => ({ kind: 'finished', result: result(8), attempts: 1 }) }), missing, none)
    expect(missing.scriptLogNote).toBe('No script log: the server has no script log for this execution.')
    expect(none.toolkit.log).toContain('No script log: the server has no script log for this execution.')

    const broken = stepContext()
    const failing = targetRun('Finance')
    const runner = fakeRunner({
      follow: async () => ({ kind: 'finished', result: result(8), attempts: 1 }),
      scriptLog: async () => {
        throw new ConnectionError('reset')
      }
    })
    await runTarget(runner, failing, broken)
    expect(broken.toolkit.annotations).toEqual([{ level: 'warning', message: 'The script log could not be fetched: reset', title: undefined }])
    expect(failing.error).toBeUndefined()
  })

  it('script-log: never keeps every line of the log out of the report; external programs have no log', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'qsr-run-')), 'log.txt')
    writeFileSync(path, 'Error: secret\r\n')
    const run = targetRun('Finance')
    await runTarget(
      fakeRunner({
        follow: async () => ({ kind: 'finished', result: result(8), attempts: 1 }),
        scriptLog: async () => ({ kind: 'saved', path, bytes: 15, received: 15, cut: 0, cutShort: false })
      }),
      run,
      stepContext({ scriptLog: 'never' })
    )
    expect(run.scriptLogPath).toBe(path)
    expect(run.excerpt).toBeUndefined()
    // The runner has none to fetch (the task runner for an external program): nothing is said.
    const program = targetRun('Program')
    const runner = fakeRunner({ follow: async () => ({ kind: 'finished', result: result(8), attempts: 1 }) })
    runner.scriptLog = async () => undefined
    await runTarget(runner, program, stepContext())
    expect(program.scriptLogNote).toBeUndefined()
    const api = {} as QrsApi
    expect(
      await taskRunner(api, NO_ENGINE).scriptLog(
        taskReload({ task: { id: 't', name: 'Program', taskType: 1 }, executionId: 'e', attached: false }),
        result(8),
        targetContext(program, stepContext())
      )
    ).toBeUndefined()
  })

  it('wait: false: the status right after the start, and success', async () => {
    const step = stepContext({ wait: false })
    const run = targetRun('Sales')
    await runTarget(fakeRunner({ status: result(2) }), run, step)
    expect(run).toMatchObject({ success: true, report: { status: 'Started' } })
    expect(step.tracker.calls).toEqual(['started exec-Sales', 'ended exec-Sales'])
    expect(step.toolkit.log).toContain('wait is false: not waiting for the reload (now Started).')
    const unknown = targetRun('Sales')
    await runTarget(fakeRunner(), unknown, stepContext({ wait: false }))
    expect(unknown.report?.status).toBe('Triggered')
  })

  it('a timeout: stops ours and says what the stop did, with what to change', async () => {
    const step = stepContext({ stopOnTimeout: true })
    const run = targetRun('Slow')
    const runner = fakeRunner({ follow: async () => timeout(2) })
    await runTarget(runner, run, step)
    expect(runner.stops).toEqual([{ executionId: 'exec-Slow', waitMs: 15_000, afterCancel: false }])
    expect(run.error).toBe(
      "Timed out after 2s waiting for task 'Slow' (last status Started (2)): stopped task 'Slow' (execution exec-Slow), now Aborted (6). Raise 'timeout' if reloads of this app take longer."
    )
    expect(run.report).toMatchObject({ status: 'Aborted', statusCode: 6 })
    expect(step.tracker.calls).toEqual(['started exec-Slow', 'ended exec-Slow'])
  })

  it('a timeout whose stop finds ours ended, or fails: said so; a failed stop is left to the post step', async () => {
    const ended = targetRun('Slow')
    await runTarget(fakeRunner({ follow: async () => timeout(), stop: async () => ({ alreadyEnded: true, result: result(7) }) }), ended, stepContext())
    expect(ended.error).toBe(
      "Timed out after 2s waiting for task 'Slow' (no status seen yet); execution exec-Slow had already ended, now FinishedSuccess (7): not stopping task 'Slow' (another run of it may be going). Raise 'timeout' if reloads of this app take longer."
    )
    const step = stepContext()
    const failed = targetRun('Slow')
    const runner = fakeRunner({
      follow: async () => ({ ...timeout(2), unanswered: 'the QRS was not answering at the timeout (503)' }),
      stop: async () => {
        throw new Error('POST /qrs/task/x/stop answered 404\nhint')
      }
    })
    await runTarget(runner, failed, step)
    expect(failed.error).toBe(
      "Timed out after 2s waiting for task 'Slow' (last status Started (2); the QRS was not answering at the timeout (503)), and stopping task 'Slow' (execution exec-Slow) failed: POST /qrs/task/x/stop answered 404. Stop it in the QMC if it still runs."
    )
    expect(failed.report?.status).toBe('Started')
    expect(step.tracker.calls).toEqual(['started exec-Slow', 'stopFailed exec-Slow'])
  })

  it('a timeout with stop-on-timeout: false, or someone else’s run: left running, said why', async () => {
    const kept = targetRun('Slow')
    const runner = fakeRunner({ follow: async () => timeout(2) })
    await runTarget(runner, kept, stepContext({ stopOnTimeout: false }))
    expect(kept.error).toBe(
      "Timed out after 2s waiting for task 'Slow' (execution exec-Slow, last status Started (2)). The reload keeps running in Qlik Sense: stop-on-timeout is false. Raise 'timeout' if reloads of this app take longer."
    )
    const theirs = targetRun('Slow')
    await runTarget(fakeRunner({ start: async () => startedReload('Slow', { attached: true }), follow: async () => timeout() }), theirs, stepContext())
    expect(theirs.error).toMatch(/keeps running in Qlik Sense: it was started by someone else \(if-running: attach\)/)
    expect(runner.stops).toEqual([])
  })

  it('fail-fast while following: ours is stopped (or left, as the inputs say)', async () => {
    for (const [settings, attached, expected] of [
      [{}, false, "Another target failed (fail-fast): stopped task 'Long' (execution exec-Long), now Aborted (6)."],
      [{ stopOnCancel: false }, false, 'Another target failed (fail-fast): stopped waiting; execution exec-Long keeps running (stop-on-cancel is false).'],
      [{}, true, 'Another target failed (fail-fast): stopped waiting; execution exec-Long keeps running (someone else started it).']
    ] as const) {
      const failFast = new AbortController()
      const step = stepContext(settings, { signal: failFast.signal })
      const run = targetRun('Long')
      const runner = fakeRunner({
        start: async () => startedReload('Long', { attached }),
        follow: async () => {
          failFast.abort(new Error('fail-fast'))
          throw new Error('fail-fast')
        }
      })
      await runTarget(runner, run, step)
      expect(run.error).toBe(expected)
      expect(step.tracker.calls).toEqual(['started exec-Long', 'ended exec-Long'])
      expect(runner.stops).toEqual(attached || settings === undefined || 'stopOnCancel' in settings ? [] : [{ executionId: 'exec-Long', waitMs: 4_000, afterCancel: false }])
    }
  })

  it('fail-fast whose stop fails: left to the post step', async () => {
    const failFast = new AbortController()
    const step = stepContext({}, { signal: failFast.signal })
    const run = targetRun('Long')
    await runTarget(
      fakeRunner({
        follow: async () => {
          failFast.abort()
          throw new Error('aborted')
        },
        stop: async () => {
          throw new ConnectionError('reset')
        }
      }),
      run,
      step
    )
    expect(run.error).toBe("Another target failed (fail-fast), and stopping task 'Long' (execution exec-Long) failed: reset. The post step will try again.")
    expect(step.tracker.calls).toEqual(['started exec-Long', 'stopFailed exec-Long'])
  })

  it('a cancellation is the caller’s: rethrown; any other trouble is the target’s error', async () => {
    const cancel = new AbortController()
    const step = stepContext({}, { cancel: cancel.signal, signal: cancel.signal })
    const reason = new Error('The job was cancelled (SIGINT).')
    const runner = fakeRunner({
      follow: async () => {
        cancel.abort(reason)
        throw reason
      }
    })
    await expect(runTarget(runner, targetRun('Sales'), step)).rejects.toBe(reason)
    const run = targetRun('Sales')
    await runTarget(
      fakeRunner({
        start: async () => {
          throw new Error("Task 'Sales' is already running (execution e) and if-running is 'fail'.")
        }
      }),
      run,
      stepContext()
    )
    expect(run).toMatchObject({ success: false, error: "Task 'Sales' is already running (execution e) and if-running is 'fail'." })
    expect(run.started).toBeUndefined()
  })

  it('a start in flight stays recorded through a cancellation (for it to settle), and is forgotten once the start is over', async () => {
    const pending = (run: TargetRun, step: ReturnType<typeof stepContext>) =>
      step.tracker.starting(run, { record: { taskId: 't', name: run.label, at: '', user: '', before: [] }, settle: async () => ({ kind: 'none', message: '' }) })
    const cancel = new AbortController()
    const cancelled = stepContext({}, { cancel: cancel.signal, signal: cancel.signal })
    const reason = new Error('The job was cancelled (SIGINT).')
    const cut = targetRun('Cut')
    const cutting = fakeRunner({
      start: async run => {
        pending(run, cancelled)
        cancel.abort(reason)
        throw reason
      }
    })
    await expect(runTarget(cutting, cut, cancelled)).rejects.toBe(reason)
    expect(cancelled.tracker.calls).toEqual(['starting Cut'])
    expect(cancelled.tracker.pending.has(cut)).toBe(true)

    const step = stepContext()
    const answered = targetRun('Sales')
    await runTarget(fakeRunner({ start: async run => (pending(run, step), startedReload('Sales')) }), answered, step)
    // Tracked as started first: there is no moment when neither is saved.
    expect(step.tracker.calls.slice(0, 3)).toEqual(['starting Sales', 'started exec-Sales', 'settled Sales'])
    const failed = targetRun('Failed')
    await runTarget(fakeRunner({ start: async run => (pending(run, step), Promise.reject(new Error('no execution appeared'))) }), failed, step)
    expect(step.tracker.calls.slice(-2)).toEqual(['starting Failed', 'settled Failed'])
    expect(failed.error).toBe('no execution appeared')
  })

  it('wait-for-chain: the chain of the outcome followed and printed', async () => {
    const api = { compositeEvents: async () => [], with: () => api } as unknown as QrsApi
    const step = stepContext({ waitForChain: true }, { api })
    const run = targetRun('Sales')
    await runTarget(fakeRunner(), run, step)
    expect(run).toMatchObject({ chain: [], chainFailed: false, success: true })
    expect(step.toolkit.groups).toEqual(['Start the reload', 'Task chain'])
    expect(step.toolkit.log).toContain('No task trigger fires on this outcome.')
  })

  it('several targets: lines carry the name, no groups, no outputs until the end', async () => {
    const step = stepContext({}, { multi: true })
    await runTarget(fakeRunner(), targetRun('Sales'), step)
    expect(step.toolkit.groups).toEqual([])
    expect(step.toolkit.log).toEqual(['[Sales] Start the reload', "[Sales] Task 'Sales' (task-Sales): execution exec-Sales"])
    expect(step.toolkit.outputs).toEqual({})
  })
})

describe('targetContext', () => {
  it('puts a target’s lines through the gate, with its name when several run', async () => {
    const step = stepContext({}, { multi: true })
    const context = targetContext(targetRun('A'), step)
    context.info('line\n::warning::x')
    expect(step.toolkit.log[1]).toBe('[A] line\n::warning::x')
    expect(step.toolkit.log[0]).toMatch(/^::stop-commands::/)
    expect(await context.group('G', async () => 5)).toBe(5)
    expect(step.toolkit.log).toContain('[A] G')
  })
})

describe('runAll: max-parallel, fail-fast', () => {
  it('runs at most max-parallel at once, in order', async () => {
    let now = 0
    let most = 0
    const runner = fakeRunner({
      follow: async () => {
        most = Math.max(most, ++now)
        await new Promise(resolve => setTimeout(resolve, 5))
        now--
        return { kind: 'finished', result: result(7), attempts: 1 }
      }
    })
    const runs = ['A', 'B', 'C', 'D', 'E'].map(targetRun)
    const step = stepContext({ maxParallel: 2 })
    await runAll(runner, runs, step)
    expect(most).toBe(2)
    expect(runs.every(run => run.success)).toBe(true)
    // Several targets: their lines carry their names.
    expect(step.toolkit.log[0]).toBe('[A] Start the reload')
  })

  it('fail-fast: the first failure skips what has not started and stops what runs', async () => {
    const runs = ['Long', 'Bad', 'Later'].map(targetRun)
    let release: () => void = () => undefined
    const runner = fakeRunner({
      follow: async started => {
        if (started.executionId === 'exec-Bad') {
          return { kind: 'finished', result: result(8), attempts: 1 }
        }
        // 'Long' runs until the fail-fast abort reaches it.
        await new Promise<void>(resolve => (release = resolve))
        throw new Error('fail-fast')
      }
    })
    const step = stepContext({ maxParallel: 2, failFast: true })
    const running = runAll(runner, runs, step)
    await new Promise(resolve => setTimeout(resolve, 20))
    release()
    await running
    expect(runs.map(run => run.error)).toEqual([
      "Another target failed (fail-fast): stopped task 'Long' (execution exec-Long), now Aborted (6).",
      undefined,
      'Not started: another target failed (fail-fast).'
    ])
    expect(step.toolkit.log).toContain('Bad failed: stopping the other targets (fail-fast).')
  })

  it('a cancelled job starts nothing more', async () => {
    const cancel = AbortSignal.abort(new Error('cancelled'))
    const runs = ['A', 'B'].map(targetRun)
    await runAll(fakeRunner(), runs, stepContext({}, { cancel }))
    expect(runs.map(run => run.started)).toEqual([undefined, undefined])
  })
})

describe('stopAndExplain: one sentence for every reason to stop', () => {
  const story = { why: 'The job was cancelled', names: taskNames("task 'Sales'", 'e1'), afterFailure: 'The post step will try again.' }
  it('stopped, with the status it reached', async () => {
    expect(await stopAndExplain(async () => ({ alreadyEnded: false, result: result(6) }), story)).toEqual({
      kind: 'stopped',
      result: result(6),
      message: "The job was cancelled: stopped task 'Sales' (execution e1), now Aborted (6)."
    })
    expect((await stopAndExplain(async () => ({ alreadyEnded: false }), story)).message).toBe("The job was cancelled: stopped task 'Sales' (execution e1).")
  })
  it('not stopped because ours had ended (the stop would hit another run)', async () => {
    expect((await stopAndExplain(async () => ({ alreadyEnded: true, result: result(7) }), story)).message).toBe(
      "The job was cancelled; execution e1 had already ended, now FinishedSuccess (7): not stopping task 'Sales' (another run of it may be going)."
    )
  })
  it('a stop that failed: its first line, and what happens next', async () => {
    const failed = await stopAndExplain(async () => {
      throw new Error('POST /qrs/task/t/stop answered 500\nThe server lost the session')
    }, story)
    expect(failed).toEqual({
      kind: 'failed',
      message: "The job was cancelled, and stopping task 'Sales' (execution e1) failed: POST /qrs/task/t/stop answered 500. The post step will try again."
    })
  })
})

/** Task mode without expect-rows: the engine is never asked. */
const NO_ENGINE = {} as EngineConnector

describe('taskRunner: the QRS task scheduler behind the steps', () => {
  it('stops after a cancellation on calls the cancellation does not cut, else on the run’s own', async () => {
    const views: string[] = []
    const reader = (name: string): unknown => {
      const view = {
        executionSession: async () => (views.push(name), undefined),
        executionResults: async () => [result(7)],
        with: () => view
      }
      return view
    }
    const api = { ...(reader('run') as object), detached: () => reader('detached') } as unknown as QrsApi
    const runner = taskRunner(api, NO_ENGINE)
    const context = { toolkit: new FakeToolkit(), clock: fakeClock() }
    expect(await runner.stop(taskReload({ task: { id: 'task-A', name: 'A' }, executionId: 'exec-A', attached: false }), { waitMs: 1_000, afterCancel: true, context })).toEqual({
      alreadyEnded: true,
      result: result(7)
    })
    await runner.stop(taskReload({ task: { id: 'task-A', name: 'A' }, executionId: 'exec-A', attached: false }), { waitMs: 1_000, afterCancel: false, context })
    expect(views).toEqual(['detached', 'run'])
  })

  it('starts with the target’s deadline and our user, each start recorded before it is sent, settled on calls a cancellation does not cut', async () => {
    const sent: string[] = []
    const sessions = (view: string) => async () => (sent.push(`sessions (${view})`), [])
    const api = {
      reloadTasks: async () => [{ id: 'a1000000-0000-4000-8000-000000000001', name: 'Sales', operational: { lastExecutionResult: { status: 7 } } }],
      recentRuns: async () => [],
      startTask: async () => (sent.push('start'), Promise.reject(new Error('aborted'))),
      taskExecutionSessions: sessions('run'),
      detached: () => ({ taskExecutionSessions: sessions('detached') })
    } as unknown as QrsApi
    const step = stepContext({ timeoutMs: 3_000 }, { api })
    step.tracker.starting = (_run, start) => {
      sent.push(`recorded ${start.record.user}`)
      void start.settle({ why: 'The job was cancelled', lookMs: 0, waitMs: 0, afterward: '' })
    }
    const run = { ...targetRun('Sales'), target: { kind: 'task-id' as const, taskId: 'a1000000-0000-4000-8000-000000000001' } }
    const context = targetContext(run, step)
    await expect(taskRunner(api, NO_ENGINE).start(context)).rejects.toThrow(/no execution of the task by svc_reload appeared in 3s of looking/)
    expect(sent.slice(0, 3)).toEqual(['recorded \\svc_reload', 'sessions (detached)', 'start'])
  })

  it('reads the status without waiting: the latest attempt', async () => {
    const api = { executionResults: async () => [result(10, { startTime: '2026-03-01T10:00:00.000Z' }), result(2, { startTime: '2026-03-01T10:05:00.000Z' })] } as unknown as QrsApi
    expect((await taskRunner(api, NO_ENGINE).status(taskReload({ task: { id: 'task-A', name: 'A' }, executionId: 'exec-A', attached: false })))?.status).toBe(2)
  })

  /** A QRS where each execution of `ends` (ms on the clock) ends then; the recent runs of each task are 18-22 s. */
  function site(clock: { now(): number }, ends: Record<string, number>) {
    const calls: string[] = []
    const session = (id: string) => (clock.now() < ends[id] ? { id, executionResult: { id: `r-${id}`, status: 2 } } : undefined)
    const final = (id: string) => [result(7, { executionID: id })]
    const runs = (taskId: string) =>
      [18, 20, 22].map((s, i) => ({ ...result(7, { startTime: `2026-03-0${i + 1}T10:00:00.000Z`, stopTime: `2026-03-0${i + 1}T10:00:${s}.000Z` }), taskID: taskId }))
    const api = {
      with: () => api,
      detached: () => api,
      executionSession: async (id: string) => (calls.push(`session ${id}`), session(id)),
      executionResults: async (id: string) => (calls.push(`results ${id}`), final(id)),
      executionSessionsOf: async (ids: string[]) => (calls.push(`sessions ${ids.join(',')}`), ids.flatMap(id => session(id) ?? [])),
      executionResultsOf: async (ids: string[]) => (calls.push(`results ${ids.join(',')}`), ids.flatMap(final)),
      recentRunsOf: async (spans: { taskId: string }[]) => (calls.push(`history ${spans.map(s => s.taskId).join(',')}`), spans.flatMap(s => runs(s.taskId)))
    } as unknown as QrsApi
    return { api, calls }
  }
  const lastRun = { status: 7, startTime: '2026-03-04T10:00:00.000Z', stopTime: '2026-03-04T10:00:20.000Z', duration: 20_000 }
  const withHistory = (name: string): TaskReload => {
    const task = { id: `task-${name}`, name, operational: { lastExecutionResult: lastRun } }
    return { ...taskReload({ task, executionId: `exec-${name}`, attached: false }), forecast: { expectedMs: 20_000, lowMs: 20_000, highMs: 20_000, runs: 1 } }
  }

  it("the targets of a step share one poller and one read of their tasks' recent runs, made after the starts", async () => {
    const step = stepContext({}, { multi: true })
    const { api, calls } = site(step.clock, { 'exec-A': step.clock.now() + 21_000, 'exec-B': step.clock.now() + 19_000 })
    const [a, b] = [withHistory('A'), withHistory('B')]
    const runs = [targetRun('A'), targetRun('B')].map((run, i) => ({ ...run, started: [a, b][i] }))
    const runner = taskRunner(api, NO_ENGINE, runs)
    const outcomes = await Promise.all([runner.follow(a, targetContext(runs[0], step)), runner.follow(b, targetContext(runs[1], step))])
    expect(outcomes.map(o => o.kind)).toEqual(['finished', 'finished'])
    expect(calls.filter(c => c.startsWith('history'))).toEqual(['history task-A,task-B'])
    // Both sessions in one read a tick while both run (B ends first: A is read alone after it).
    expect(calls.filter(c => c === 'session exec-B')).toEqual([])
    expect(calls.some(c => c === 'sessions exec-A,exec-B')).toBe(true)
    // The forecast the wait tells is the recent runs'.
    expect(step.toolkit.log.filter(l => l.includes('checks gather'))).toEqual([
      "[A] The task's last 3 runs took 18s–22s, median 20s: checks gather around that.",
      "[B] The task's last 3 runs took 18s–22s, median 20s: checks gather around that."
    ])
  })

  it('a history read that has not gone out when the last wait ends is dropped: nothing keeps the step', async () => {
    const clock = fakeClock()
    // The history's delay (1-2 s) never passes on its own; every other sleep does at once.
    let released = false
    const hold = (signal?: AbortSignal) =>
      new Promise<void>((_, reject) =>
        signal?.addEventListener('abort', () => {
          released = true
          reject(signal.reason as Error)
        })
      )
    const held: Clock = { now: clock.now, sleep: (ms, signal) => (ms >= 1_000 && ms < 2_000 ? hold(signal) : clock.sleep(ms, signal)) }
    const step = stepContext({}, { clock: held })
    const { api, calls } = site(clock, { 'exec-A': clock.now() + 3_000 })
    const a = withHistory('A')
    const run = { ...targetRun('A'), started: a }
    expect(await taskRunner(api, NO_ENGINE, [run]).follow(a, targetContext(run, step))).toMatchObject({ kind: 'finished' })
    expect(calls.filter(c => c.startsWith('history'))).toEqual([])
    // Its delay was cut: no timer left to keep the process.
    expect(released).toBe(true)
    // Over before the history came: no forecast line, only the end.
    expect(step.toolkit.log).toEqual([expect.stringMatching(/^\+\d+s FinishedSuccess \(7\)$/)])
  })

  it('a history read still under way when the last wait ends is cut: it keeps neither the step nor its timeout', async () => {
    const clock = fakeClock()
    const step = stepContext({}, { clock })
    const { api: base } = site(clock, { 'exec-A': clock.now() + 3_000 })
    let cut: unknown
    // The read of the recent runs never answers; its calls carry the signal that ends it.
    const hanging = (signal: AbortSignal) => ({
      ...base,
      recentRunsOf: () =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            cut = signal.reason
            reject(signal.reason as Error)
          })
        )
    })
    const api = { ...base, with: (call: { signal?: AbortSignal }) => (call.signal ? hanging(call.signal) : api) } as unknown as QrsApi
    const a = withHistory('A')
    const run = { ...targetRun('A'), started: a }
    expect(await taskRunner(api, NO_ENGINE, [run]).follow(a, targetContext(run, step))).toMatchObject({ kind: 'finished' })
    expect(cut).toBeDefined()
    expect(step.toolkit.log.filter(l => l.includes('checks gather'))).toEqual([])
  })
})

describe('engineRunner: an engine reload recorded before DoReloadEx goes out', () => {
  const APP = 'b1000000-0000-4000-8000-000000000001'
  function engineSite(cancel: () => Promise<void> = async () => undefined) {
    const calls: string[] = []
    const step = stepContext({ reloadMode: 'engine', scriptLogMaxBytes: 1024 * 1024 })
    const session = {
      tables: async () => [],
      reload: () => {
        // What the step state holds at the moment the reload is sent.
        calls.push(`DoReloadEx (recorded: ${[...step.tracker.pending.values()].map(start => JSON.stringify(start.record)).join()})`)
        return { requestId: 7, done: new Promise(() => {}) }
      },
      cancel: async () => (calls.push('CancelReload'), cancel()),
      close: async () => void calls.push('close'),
      open: true
    }
    const engine = { open: async () => (calls.push('OpenDoc'), session) } as unknown as EngineConnector
    const api = { appRunningSessions: async () => [], with: () => api } as unknown as QrsApi
    const run = { ...targetRun('Budget'), target: { kind: 'app-id' as const, appId: APP }, resolved: { app: { id: APP, name: 'Budget' } } } as TargetRun
    return { calls, step, run, context: targetContext(run, step), runner: engineRunner(api, engine) }
  }

  it('the record (the app, our user, no execution to find) is in the state before DoReloadEx is sent', async () => {
    process.env.RUNNER_TEMP = mkdtempSync(join(tmpdir(), 'engine-record-'))
    const { calls, step, context, runner } = engineSite()
    const started = await runner.start(context)
    expect(calls[0]).toBe('OpenDoc')
    const sent = /^DoReloadEx \(recorded: (.*)\)$/.exec(calls[1])
    expect(JSON.parse(sent?.[1] ?? 'null')).toMatchObject({ engine: true, appId: APP, name: 'Budget', user: '\\svc_reload', before: [] })
    expect(step.tracker.calls).toEqual(['starting Budget'])
    expect(started.saved).toEqual({ engine: true, appId: APP, appName: 'Budget' })
    await runner.release(started)
  })

  it('a cancellation between the record and the end of the start cancels through the session; a cancel that fails says so', async () => {
    process.env.RUNNER_TEMP = mkdtempSync(join(tmpdir(), 'engine-record-'))
    const ok = engineSite()
    const started = await ok.runner.start(ok.context)
    const [pending] = ok.step.tracker.pending.values()
    expect(await pending.settle({ why: 'The job was cancelled', lookMs: 0, waitMs: 0, afterward: '' })).toEqual({
      kind: 'stopped',
      message: "The job was cancelled during the start of the engine reload of app 'Budget': cancelled it (CancelReload); nothing was saved."
    })
    expect(ok.calls).toContain('CancelReload')
    await ok.runner.release(started)
    const broken = engineSite(() => Promise.reject(new Error('The engine session closed.')))
    await broken.runner.start(broken.context)
    const [cut] = broken.step.tracker.pending.values()
    expect(await cut.settle({ why: 'The job was cancelled', lookMs: 0, waitMs: 0, afterward: '' })).toEqual({
      kind: 'failed',
      message:
        "The job was cancelled during the start of the engine reload of app 'Budget', and cancelling it failed: The engine session closed. Its session ends with this step; nothing saves it."
    })
  })
})
