import { describe, expect, it } from '@jest/globals'
import type { QrsApi } from '../../src/qrs/api.js'
import type { App, ExecutionResult, ExecutionSession, ReloadTask } from '../../src/qrs/types.js'
import { startAppReload } from '../../src/reload/app-reload.js'
import { startReload, startTask, type StartOptions } from '../../src/reload/start.js'
import { ConnectionError } from '../../src/util/errors.js'
import { fakeClock } from '../helpers/fake-clock.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

const TASK = 'a1000000-0000-4000-8000-000000000001'
const APP = 'b1000000-0000-4000-8000-000000000001'
const NEW = 'e1000000-0000-4000-8000-000000000001'
const THEIRS = 'e2000000-0000-4000-8000-000000000002'

/**
 * A scheduler to start against: `starts` says what each start does (an execution id it answers, '' for
 * an empty one, or an Error thrown; `lostButStarted` puts the execution there though its answer is lost).
 */
function scheduler(options: { task?: Partial<ReloadTask>; running?: string[] | 'not known'; starts?: (string | Error)[]; lostButStarted?: boolean; apps?: App[] } = {}) {
  const task: ReloadTask = { id: TASK, name: 'Reload Sales', ...options.task }
  let sessions: string[] = options.running === 'not known' ? [] : [...(options.running ?? [])]
  const results: ExecutionResult[] = []
  const starts = [...(options.starts ?? [NEW])]
  const calls: string[] = []
  const api = {
    reloadTasks: async () => (calls.push('lookup'), [task]),
    externalProgramTasks: async () => [],
    recentRuns: async () => [],
    taskExecutionSessions: async () => (
      calls.push('sessions'),
      options.running === 'not known' ? { notKnown: 'GET /qrs/executionsession/full answered 404' } : sessions.map(id => ({ id }))
    ),
    startTask: async () => {
      calls.push('start')
      const next = starts.shift() ?? NEW
      if (next instanceof Error) {
        if (options.lostButStarted) sessions = [...sessions, NEW]
        throw next
      }
      return next
    },
    executionResult: async () => undefined,
    // The running execution ends at the first read (if-running: wait).
    executionSession: async (id: string): Promise<ExecutionSession | undefined> => {
      sessions = sessions.filter(s => s !== id)
      results.push({ id: `r-${id}`, executionID: id, status: 7, startTime: '2026-03-01T10:00:00.000Z', stopTime: '2026-03-01T10:00:04.000Z', duration: 4_000 })
      return undefined
    },
    executionResults: async (id: string) => results.filter(r => r.executionID === id),
    with: () => api
  }
  return { api: api as unknown as QrsApi, calls, task }
}

function options(extra: Partial<StartOptions> = {}): StartOptions & { log: FakeToolkit } {
  return { ifRunning: 'wait', timeoutMs: 60_000, maxPollIntervalMs: 1_000, clock: fakeClock(), log: new FakeToolkit(), ...extra } as StartOptions & { log: FakeToolkit }
}

describe('startReload: the target once, or the execution that runs', () => {
  it('a task whose last run ended: looked up, started, no running check', async () => {
    const { api, calls } = scheduler({ task: { operational: { lastExecutionResult: { status: 7, duration: 3_000 } } } })
    const started = await startReload(api, { kind: 'task-id', taskId: TASK }, options())
    expect(started).toEqual({
      task: expect.objectContaining({ id: TASK }),
      executionId: NEW,
      attached: false,
      forecast: { expectedMs: 3_000, lowMs: 3_000, highMs: 3_000, runs: 1 }
    })
    expect(calls).toEqual(['lookup', 'start'])
  })

  it('a lookup made a moment ago (the selection) is not repeated', async () => {
    const { api, calls, task } = scheduler({ task: { operational: { lastExecutionResult: { status: 8 } } } })
    await startReload(api, { kind: 'task-name', taskName: 'Reload Sales' }, options(), { task, at: performance.now() })
    expect(calls).toEqual(['start'])
    await startReload(api, { kind: 'task-name', taskName: 'Reload Sales' }, options(), { task, at: performance.now() - 60_000 })
    expect(calls).toEqual(['start', 'lookup', 'start'])
  })

  it('already running: fail refuses, attach reports it, wait waits for it and then starts', async () => {
    const fail = scheduler({ running: [THEIRS] })
    await expect(startReload(fail.api, { kind: 'task-id', taskId: TASK }, options({ ifRunning: 'fail' }))).rejects.toThrow(
      `Task 'Reload Sales' is already running (execution ${THEIRS}) and if-running is 'fail'.`
    )
    expect(fail.calls).not.toContain('start')

    const attach = scheduler({ running: [THEIRS] })
    const log = new FakeToolkit()
    expect(await startReload(attach.api, { kind: 'task-id', taskId: TASK }, options({ ifRunning: 'attach', log }))).toMatchObject({ executionId: THEIRS, attached: true })
    expect(log.log).toEqual([`Task 'Reload Sales' is already running: attaching to execution ${THEIRS} (if-running: attach).`])

    const wait = scheduler({ running: [THEIRS] })
    const waiting = options()
    const started = await startReload(wait.api, { kind: 'task-id', taskId: TASK }, waiting)
    expect(started).toMatchObject({ executionId: NEW, attached: false, forecast: { expectedMs: 4_000 } })
    expect(waiting.log.log).toEqual([
      `Task 'Reload Sales' is already running (execution ${THEIRS}): waiting for it to end, then starting a fresh reload (if-running: wait).`,
      'The earlier execution ended with FinishedSuccess (7).'
    ])
  })

  it('a start answered with the running execution: waits for it and starts again, but not forever', async () => {
    const again = scheduler({ running: [THEIRS], starts: [THEIRS, NEW] })
    const opts = options()
    expect((await startReload(again.api, { kind: 'task-id', taskId: TASK }, opts)).executionId).toBe(NEW)
    expect(again.calls.filter(c => c === 'start')).toHaveLength(2)
    expect(opts.log.log).toContain(`The server answered the start with execution ${THEIRS}, which was already running: waiting for it, then starting again.`)
    const stubborn = scheduler({ running: [THEIRS], starts: [THEIRS, THEIRS] })
    await expect(startReload(stubborn.api, { kind: 'task-id', taskId: TASK }, options())).rejects.toThrow(
      `Task 'Reload Sales' keeps answering starts with the running execution ${THEIRS}: no new execution could be started.`
    )
  })

  it('whether it runs is not known: fail refuses, the others warn and start', async () => {
    const fail = scheduler({ running: 'not known' })
    await expect(startReload(fail.api, { kind: 'task-id', taskId: TASK }, options({ ifRunning: 'fail' }))).rejects.toThrow(
      "Could not check whether task 'Reload Sales' is already running (GET /qrs/executionsession/full answered 404), and if-running is 'fail': not starting it. Allow the user to read execution sessions, or use if-running: wait."
    )
    const wait = scheduler({ running: 'not known' })
    const opts = options()
    expect((await startReload(wait.api, { kind: 'task-id', taskId: TASK }, opts)).executionId).toBe(NEW)
    expect(opts.log.annotations).toEqual([
      {
        level: 'warning',
        message: "Could not check whether task 'Reload Sales' is already running (GET /qrs/executionsession/full answered 404): starting it without that check.",
        title: undefined
      }
    ])
  })
})

describe('startTask: sent once, never blindly again', () => {
  it('an empty execution id is a task that did not start (disabled named)', async () => {
    const { api, task } = scheduler({ starts: [''], task: { enabled: false } })
    await expect(startTask(api, task, { log: new FakeToolkit(), clock: fakeClock() })).rejects.toThrow(
      /^Task 'Reload Sales' \(a1000000-0000-4000-8000-000000000001\) did not start: the server answered with an empty execution id\. The task is disabled: enable it in the QMC/
    )
    const guid = scheduler({ starts: ['00000000-0000-0000-0000-000000000000'] })
    await expect(startTask(guid.api, guid.task, { log: new FakeToolkit(), clock: fakeClock() })).rejects.toThrow(
      /did not start: the server answered with an empty execution id\. Likely causes/
    )
  })

  it('a lost answer: the server is asked; an execution that appeared is ours, and nothing is sent again', async () => {
    const { api, task, calls } = scheduler({ starts: [new ConnectionError('socket hang up', true)], lostButStarted: true })
    const log = new FakeToolkit()
    expect(await startTask(api, task, { log, clock: fakeClock() })).toBe(NEW)
    expect(calls.filter(c => c === 'start')).toHaveLength(1)
    expect(log.annotations.map(a => a.message)).toEqual(["The answer to the start of 'Reload Sales' was lost (socket hang up). Asking the server whether it started."])
    expect(log.log).toEqual([`It did: execution ${NEW}.`])
  })

  it('a lost answer and no execution after five looks a second apart: started once more; a third loss is the error', async () => {
    const clock = fakeClock()
    const once = scheduler({ starts: [new ConnectionError('reset', true), NEW] })
    const log = new FakeToolkit()
    expect(await startTask(once.api, once.task, { log, clock })).toBe(NEW)
    expect(clock.sleeps).toEqual([0, 1_000, 1_000, 1_000, 1_000])
    expect(log.log).toEqual(['No execution of the task appeared: it did not start. Starting it once more.'])
    const lost = scheduler({ starts: [new ConnectionError('reset 1', true), new ConnectionError('reset 2', true), new ConnectionError('reset 3', true)] })
    await expect(startTask(lost.api, lost.task, { log: new FakeToolkit(), clock: fakeClock() })).rejects.toThrow('reset 3')
    expect(lost.calls.filter(c => c === 'start')).toHaveLength(3)
  })

  it('a refusal is not a lost answer: thrown at once', async () => {
    const { api, task, calls } = scheduler({ starts: [new Error('POST answered 403')] })
    await expect(startTask(api, task, { log: new FakeToolkit(), clock: fakeClock() })).rejects.toThrow('POST answered 403')
    expect(calls).toEqual(['start'])
  })

  it('a cancellation ends the looks for a lost start', async () => {
    const cancel = new AbortController()
    const { api, task } = scheduler({ starts: [new ConnectionError('reset', true)] })
    const reason = new Error('The job was cancelled (SIGINT).')
    const log = new FakeToolkit()
    log.warning = () => cancel.abort(reason)
    await expect(startTask(api, task, { log, clock: fakeClock(), cancel: cancel.signal })).rejects.toBe(reason)
  })
})

describe('startAppReload: QMC’s "Reload now" and the execution it started', () => {
  /** An app whose executions appear as `appear` says: the list after each look. */
  function appSite(appear: string[][], app: App | null = { id: APP, name: 'Forecast' }) {
    let looks = 0
    const reloads: string[] = []
    const api = {
      app: async () => app ?? undefined,
      appExecutionSessions: async () => (appear[Math.min(looks, appear.length - 1)] ?? []).map(id => ({ id, reloadTask: { id: TASK } })),
      appExecutionResults: async () => (looks++, [{ id: 'r0', executionID: 'OLD', taskID: TASK, status: 7 }]),
      reloadApp: async (id: string) => void reloads.push(id)
    } as unknown as QrsApi
    return { api, reloads }
  }

  it('takes the one new execution once it is seen twice in a row', async () => {
    const { api, reloads } = appSite([[], [], [NEW], [NEW]])
    const clock = fakeClock()
    expect(await startAppReload(api, APP, { clock })).toMatchObject({ executionId: NEW.toLowerCase(), taskId: TASK, app: { name: 'Forecast' } })
    expect(reloads).toEqual([APP])
    expect(clock.sleeps).toEqual([500, 500])
  })

  it('refuses to guess between two new executions, and an app nobody can see', async () => {
    const { api } = appSite([[], [NEW, THEIRS]])
    await expect(startAppReload(api, APP, { clock: fakeClock() })).rejects.toThrow(
      `App 'Forecast' has 2 executions that started since the reload was requested (${NEW}, ${THEIRS}): another user or a schedule reloaded it at the same time`
    )
    await expect(startAppReload(appSite([[]], null).api, APP, { clock: fakeClock() })).rejects.toThrow(`No app with id ${APP} is visible to this user`)
  })

  it('gives up after a minute without a new execution, and stops looking on a cancellation', async () => {
    const clock = fakeClock()
    await expect(startAppReload(appSite([[]]).api, APP, { clock })).rejects.toThrow(
      "The reload of app 'Forecast' was requested, but no new execution appeared within 60 s: the scheduler may be down, or the app's reload task was already running."
    )
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(60_000)
    const reason = new Error('cancelled')
    await expect(startAppReload(appSite([[]]).api, APP, { clock: fakeClock(), signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
  })

  it('an app target: the app reloaded, its task named in the report', async () => {
    const { api } = appSite([[], [NEW], [NEW]])
    const full = { ...api, reloadTasks: async () => [{ id: TASK, name: 'Manually triggered reload of Forecast' }], externalProgramTasks: async () => [] } as unknown as QrsApi
    expect(await startReload(full, { kind: 'app-id', appId: APP }, options())).toMatchObject({
      executionId: NEW.toLowerCase(),
      attached: false,
      task: { name: 'Manually triggered reload of Forecast' },
      app: { id: APP }
    })
  })
})
