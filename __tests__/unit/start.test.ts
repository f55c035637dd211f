import { describe, expect, it } from '@jest/globals'
import type { QrsApi } from '../../src/qrs/api.js'
import type { App, ExecutionResult, ExecutionSession, ReloadTask } from '../../src/qrs/types.js'
import { startAppReload, type AppReloadOptions } from '../../src/reload/app-reload.js'
import { startReload, startTask, type StartOptions, type StartTaskOptions } from '../../src/reload/start.js'
import type { StartRecord } from '../../src/reload/start-record.js'
import { AuthError, ConnectionError, QrsError, ReloadError, UnexpectedAnswer } from '../../src/util/errors.js'
import { noneStarted, refused } from '../../src/reload/refused.js'
import { fakeClock } from '../helpers/fake-clock.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

const TASK = 'a1000000-0000-4000-8000-000000000001'
const APP = 'b1000000-0000-4000-8000-000000000001'
const NEW = 'e1000000-0000-4000-8000-000000000001'
const THEIRS = 'e2000000-0000-4000-8000-000000000002'

/**
 * A scheduler to start against: `starts` says what each start does (an execution id it answers, '' for
 * an empty one, or an Error thrown; `lostButStarted` puts the execution there though its answer is lost,
 * as `lostAs` runs it: running as our user by default, `ended` already over, or as another user).
 */
function scheduler(
  options: {
    task?: Partial<ReloadTask>
    running?: string[] | 'not known'
    starts?: (string | Error)[]
    lostButStarted?: boolean
    lostAs?: 'ours' | 'ended' | 'theirs'
    apps?: App[]
  } = {}
) {
  const task: ReloadTask = { id: TASK, name: 'Reload Sales', ...options.task }
  let sessions: ExecutionSession[] = options.running === 'not known' ? [] : (options.running ?? []).map(id => ({ id, user: 'INTERNAL\\sa_scheduler' }))
  const results: ExecutionResult[] = []
  const starts = [...(options.starts ?? [NEW])]
  const calls: string[] = []
  let lastResult: string | undefined
  const api = {
    reloadTasks: async () => (calls.push('lookup'), [lastResult === 'r-new' ? { ...task, operational: { lastExecutionResult: { id: lastResult, status: 7 } } } : task]),
    externalProgramTasks: async () => [],
    recentRuns: async () => [],
    taskExecutionSessions: async () => (calls.push('sessions'), options.running === 'not known' ? { notKnown: 'GET /qrs/executionsession/full answered 404' } : sessions),
    startTask: async () => {
      calls.push('start')
      const next = starts.shift() ?? NEW
      if (next instanceof Error) {
        if (options.lostButStarted && options.lostAs === 'ended') {
          results.push({ id: 'r-new', executionID: NEW, status: 7 })
          lastResult = 'r-new'
        } else if (options.lostButStarted) sessions = [...sessions, { id: NEW, user: options.lostAs === 'theirs' ? 'INTERNAL\\sa_scheduler' : 'INTERNAL\\sa_api' }]
        throw next
      }
      return next
    },
    executionResult: async (id: string) => (calls.push('result'), results.find(r => r.id === id)),
    // The running execution ends at the first read (if-running: wait).
    executionSession: async (id: string): Promise<ExecutionSession | undefined> => {
      sessions = sessions.filter(s => s.id !== id)
      results.push({ id: `r-${id}`, executionID: id, status: 7, startTime: '2026-03-01T10:00:00.000Z', stopTime: '2026-03-01T10:00:04.000Z', duration: 4_000 })
      return undefined
    },
    executionResults: async (id: string) => results.filter(r => r.executionID === id),
    with: () => api
  }
  return { api: api as unknown as QrsApi, calls, task }
}

function options(extra: Partial<StartOptions> = {}): StartOptions & { log: FakeToolkit } {
  const clock = extra.clock ?? fakeClock()
  return {
    ifRunning: 'wait',
    maxPollIntervalMs: 1_000,
    clock,
    deadline: clock.now() + 60_000,
    user: 'INTERNAL\\sa_api',
    log: new FakeToolkit(),
    ...extra
  } as StartOptions & { log: FakeToolkit }
}

/** What startTask is given: a minute to find a lost start's execution, as our user. */
function taskOptions(extra: Partial<StartTaskOptions> = {}): StartTaskOptions & { log: FakeToolkit; clock: ReturnType<typeof fakeClock> } {
  const clock = fakeClock()
  return { log: new FakeToolkit(), clock, deadline: clock.now() + 60_000, user: 'INTERNAL\\sa_api', ...extra } as StartTaskOptions & {
    log: FakeToolkit
    clock: ReturnType<typeof fakeClock>
  }
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

describe('the one rule: a start refused, or its outcome unknown', () => {
  const path = `/qrs/task/${TASK}/start/synchronous`
  it('refused only on an error status that is not an unreadable answer, or a failed sign-in', () => {
    for (const error of [
      new QrsError('POST', path, 400, 'Bad'),
      new QrsError('POST', path, 403, ''),
      new QrsError('POST', path, 503, ''),
      new QrsError('POST', path, 429, ''),
      new QrsError('POST', path, 302, 'redirect'),
      new AuthError('no')
    ])
      expect([error.message, refused(error)]).toEqual([error.message, true])
    for (const error of [
      new ConnectionError('socket hang up', true),
      new ConnectionError('timeout', true),
      new UnexpectedAnswer('POST', path, 201, 'an HTML page'),
      // An unreadable answer is unknown whatever status it carries.
      new UnexpectedAnswer('POST', path, 500, 'text that is not JSON'),
      new QrsError('POST', path, 201, 'a 2xx carried in an error'),
      new ReloadError('another step said so'),
      new Error('aborted'),
      undefined
    ])
      expect([String(error), refused(error)]).toEqual([String(error), false])
  })

  it('a start answered with an empty execution id started nothing; no id at all says nothing', () => {
    expect(noneStarted('')).toBe(true)
    expect(noneStarted('00000000-0000-0000-0000-000000000000')).toBe(true)
    expect(noneStarted(undefined)).toBe(false)
    expect(noneStarted(NEW)).toBe(false)
  })
})

describe('startTask: sent once, never again', () => {
  it('an empty execution id is a task that did not start (disabled named)', async () => {
    const { api, task } = scheduler({ starts: [''], task: { enabled: false } })
    await expect(startTask(api, task, taskOptions())).rejects.toThrow(
      /^Task 'Reload Sales' \(a1000000-0000-4000-8000-000000000001\) did not start: the server answered with an empty execution id\. The task is disabled: enable it in the QMC/
    )
    const guid = scheduler({ starts: ['00000000-0000-0000-0000-000000000000'] })
    await expect(startTask(guid.api, guid.task, taskOptions())).rejects.toThrow(/did not start: the server answered with an empty execution id\. Likely causes/)
  })

  it('the start is recorded before it is sent: task, time, our user, what ran before', async () => {
    const { api, task, calls } = scheduler()
    const records: StartRecord[] = []
    const onSend = (record: StartRecord): void => void (records.push(record), calls.push('recorded'))
    expect(await startTask(api, task, taskOptions({ onSend, before: new Set([THEIRS]) }))).toBe(NEW)
    expect(calls).toEqual(['recorded', 'start'])
    expect(records).toEqual([{ taskId: TASK, name: 'Reload Sales', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), user: 'INTERNAL\\sa_api', before: [THEIRS] }])
    const external = scheduler({ task: { taskType: 1 } })
    await startTask(external.api, external.task, taskOptions({ onSend }))
    expect(records[1]).toMatchObject({ taskId: TASK, external: true })
  })

  it('a lost answer: the execution that appeared, running as our user, is ours; nothing is sent again', async () => {
    const { api, task, calls } = scheduler({ starts: [new ConnectionError('socket hang up', true)], lostButStarted: true })
    const opts = taskOptions()
    expect(await startTask(api, task, opts)).toBe(NEW)
    expect(calls.filter(c => c === 'start')).toHaveLength(1)
    expect(opts.log.annotations.map(a => a.message)).toEqual([
      "The answer to the start of task 'Reload Sales' was lost (socket hang up): it may have started. The start is not sent again; looking for the execution it started (by INTERNAL\\sa_api) for up to 1m, the rest of the timeout."
    ])
    expect(opts.log.log).toEqual([`Found the execution the start started: ${NEW}.`])
  })

  it('a lost answer whose run already ended between two looks: found by the task’s new last result', async () => {
    const { api, task, calls } = scheduler({
      starts: [new Error('aborted')],
      lostButStarted: true,
      lostAs: 'ended',
      task: { operational: { lastExecutionResult: { id: 'r-old' } } }
    })
    expect(await startTask(api, task, taskOptions())).toBe(NEW)
    expect(calls).toEqual(['start', 'sessions', 'lookup', 'result'])
  })

  it('an answer the door could not read (UnexpectedAnswer, whatever its 2xx status), or a 2xx without an execution id: its outcome is unknown, so it is looked for', async () => {
    const path = `/qrs/task/${TASK}/start/synchronous`
    for (const [answer, said] of [
      [undefined, 'the server answered without an execution id'],
      [new UnexpectedAnswer('POST', path, 201, 'value is a number, not a GUID'), `The server answered something unexpected to POST ${path}: value is a number, not a GUID`],
      [new UnexpectedAnswer('POST', path, 200, 'an HTML page (<html>)'), `The server answered something unexpected to POST ${path}: an HTML page (<html>)`]
    ] as const) {
      const { api, task, calls } = scheduler()
      ;(api as unknown as { startTask: () => Promise<unknown> }).startTask = async () => {
        calls.push('start')
        if (answer instanceof Error) throw answer
        return answer
      }
      const opts = taskOptions()
      await expect(startTask(api, task, opts)).rejects.toThrow(/no execution of the task by INTERNAL\\sa_api appeared/)
      expect(opts.log.annotations[0].message).toContain(`The answer to the start of task 'Reload Sales' was lost (${said})`)
      expect(calls.filter(c => c === 'start')).toHaveLength(1)
    }
  })

  it('a lost answer and no execution until the deadline: fails saying so, never sent again; looks grow further apart', async () => {
    const { api, task, calls } = scheduler({ starts: [new ConnectionError('reset', true)] })
    const opts = taskOptions()
    await expect(startTask(api, task, opts)).rejects.toThrow(
      /^The start of task 'Reload Sales' was sent once \(.+\) and its answer was lost \(reset\); no execution of the task by INTERNAL\\sa_api appeared in 1m of looking, until the timeout\. It was not sent again, so that the task cannot run twice/
    )
    expect(calls.filter(c => c === 'start')).toHaveLength(1)
    expect(opts.clock.sleeps.slice(0, 6)).toEqual([500, 750, 1_125, 1_688, 2_531, 3_797])
    expect(Math.max(...opts.clock.sleeps)).toBe(5_000)
    expect(opts.clock.sleeps.reduce((a, b) => a + b, 0)).toBe(60_000)
  })

  it('an execution of the task running as another user is not ours, nor its result later', async () => {
    const { api, task } = scheduler({ starts: [new ConnectionError('reset', true)], lostButStarted: true, lostAs: 'theirs' })
    await expect(startTask(api, task, taskOptions({ deadline: 1_000_000 + 5_000 }))).rejects.toThrow(/no execution of the task by INTERNAL\\sa_api appeared/)
  })

  it('several new executions of our user: not guessing', async () => {
    const { api, task } = scheduler({ starts: [new ConnectionError('reset', true)] })
    ;(api as unknown as { taskExecutionSessions: () => Promise<ExecutionSession[]> }).taskExecutionSessions = async () => [
      { id: NEW, user: 'INTERNAL\\sa_api' },
      { id: THEIRS, user: 'internal\\SA_API' }
    ]
    await expect(startTask(api, task, taskOptions())).rejects.toThrow(
      `2 executions of task 'Reload Sales' by INTERNAL\\sa_api started since the start was sent (${NEW}, ${THEIRS}), and the server does not tell which one this step started. Not guessing: check the QMC.`
    )
  })

  it('a look the server could not answer is not the end of the looking; the last one’s failure is said', async () => {
    /** Sessions that fail `failing` times (503), then list ours. */
    const site = (failing: number) => {
      const { api, task } = scheduler({ starts: [new ConnectionError('reset', true)] })
      let looks = 0
      ;(api as unknown as { taskExecutionSessions: () => Promise<ExecutionSession[]> }).taskExecutionSessions = async () => {
        if (++looks <= failing) throw new QrsError('GET', '/qrs/executionsession/full', 503, 'Service Unavailable')
        return [{ id: NEW, user: 'INTERNAL\\sa_api' }]
      }
      return { api, task }
    }
    const flaky = site(2)
    expect(await startTask(flaky.api, flaky.task, taskOptions())).toBe(NEW)
    const down = site(Infinity)
    await expect(startTask(down.api, down.task, taskOptions({ deadline: 1_000_000 + 2_000 }))).rejects.toThrow(
      /until the timeout, the last look failing \(GET \/qrs\/executionsession\/full answered 503: Service Unavailable\)/
    )
  })

  it('a refusal started nothing: thrown at once (an error status, a failed sign-in)', async () => {
    for (const refusal of [new QrsError('POST', '/qrs/task/x/start/synchronous', 403, 'Forbidden'), new QrsError('POST', '/p', 503, ''), new AuthError('signing in failed')]) {
      const { api, task, calls } = scheduler({ starts: [refusal] })
      await expect(startTask(api, task, taskOptions())).rejects.toBe(refusal)
      expect(calls).toEqual(['start'])
    }
  })

  it('a cancellation cuts the start, or ends the looks: its reason, for the cancellation to settle the start from its record', async () => {
    const reason = new Error('The job was cancelled (SIGINT).')
    const cut = scheduler({ starts: [reason] })
    await expect(startTask(cut.api, cut.task, taskOptions({ cancel: AbortSignal.abort(reason) }))).rejects.toBe(reason)
    expect(cut.calls).toEqual(['start'])
    const cancel = new AbortController()
    const { api, task } = scheduler({ starts: [new ConnectionError('reset', true)] })
    const opts = taskOptions({ cancel: cancel.signal })
    opts.log.warning = () => cancel.abort(reason)
    await expect(startTask(api, task, opts)).rejects.toBe(reason)
  })
})

describe('startAppReload: QMC’s "Reload now" and the execution it started', () => {
  /** An app whose executions appear as `appear` says: the list after each look (the first is before the reload). */
  function appSite(appear: string[][], app: App | null = { id: APP, name: 'Forecast' }, reload: () => Promise<void> = async () => undefined) {
    let looks = 0
    const reloads: string[] = []
    const api = {
      app: async () => app ?? undefined,
      appExecutionSessions: async () => (appear[Math.min(looks, appear.length - 1)] ?? []).map(id => ({ id, reloadTask: { id: TASK } })),
      appExecutionResults: async () => (looks++, [{ id: 'r0', executionID: 'OLD', taskID: TASK, status: 7 }]),
      reloadApp: async (id: string) => (reloads.push(id), reload())
    } as unknown as QrsApi
    return { api, reloads }
  }

  function appOptions(extra: Partial<AppReloadOptions> = {}): AppReloadOptions & { log: FakeToolkit; clock: ReturnType<typeof fakeClock> } {
    const clock = fakeClock()
    return { clock, deadline: clock.now() + 60_000, user: 'INTERNAL\\sa_api', log: new FakeToolkit(), ...extra } as AppReloadOptions & {
      log: FakeToolkit
      clock: ReturnType<typeof fakeClock>
    }
  }

  it('takes the one new execution once it is seen twice in a row; the request recorded before it is sent', async () => {
    const { api, reloads } = appSite([[THEIRS], [], [NEW], [NEW]])
    const records: StartRecord[] = []
    const opts = appOptions({ onSend: record => void records.push({ ...record, before: [...record.before, `reloads: ${reloads.length}`] }) })
    expect(await startAppReload(api, APP, opts)).toMatchObject({ executionId: NEW.toLowerCase(), taskId: TASK, app: { name: 'Forecast' } })
    expect(reloads).toEqual([APP])
    expect(opts.clock.sleeps).toEqual([500, 500])
    expect(records).toEqual([{ appId: APP, name: 'Forecast', at: expect.any(String), user: 'INTERNAL\\sa_api', before: [THEIRS.toLowerCase(), 'reloads: 0'] }])
  })

  it('refuses to guess between two new executions, and an app nobody can see', async () => {
    const { api } = appSite([[], [NEW, THEIRS]])
    await expect(startAppReload(api, APP, appOptions())).rejects.toThrow(
      `App 'Forecast' has 2 executions that started since the reload was requested (${NEW}, ${THEIRS}): another user or a schedule reloaded it at the same time`
    )
    await expect(startAppReload(appSite([[]], null).api, APP, appOptions())).rejects.toThrow(`No app with id ${APP} is visible to this user`)
  })

  it('gives up at the timeout without a new execution, looking less often as it goes, and stops looking on a cancellation', async () => {
    const opts = appOptions()
    await expect(startAppReload(appSite([[]]).api, APP, opts)).rejects.toThrow(
      "The reload of app 'Forecast' was requested once, but no new execution appeared in 1m, until the timeout: the scheduler may be down, or the app's reload task was already running. It was not requested again."
    )
    expect(opts.clock.sleeps.reduce((a, b) => a + b, 0)).toBe(60_000)
    expect(Math.max(...opts.clock.sleeps)).toBe(5_000)
    const reason = new Error('cancelled')
    await expect(startAppReload(appSite([[]]).api, APP, appOptions({ signal: AbortSignal.abort(reason) }))).rejects.toBe(reason)
  })

  it('a request whose answer is lost is not sent again: its execution is looked for the same way; a refusal is thrown', async () => {
    const lost = appSite([[], [NEW], [NEW]], undefined, () => Promise.reject(new ConnectionError('socket hang up', true)))
    const opts = appOptions()
    expect(await startAppReload(lost.api, APP, opts)).toMatchObject({ executionId: NEW.toLowerCase() })
    expect(lost.reloads).toEqual([APP])
    expect(opts.log.annotations.map(a => a.message)).toEqual([
      "The answer to the reload of app 'Forecast' was lost (socket hang up): it may have started. It is not requested again; looking for the execution it started for up to 1m, the rest of the timeout."
    ])
    const refusal = new QrsError('POST', `/qrs/app/${APP}/reload`, 403, 'Forbidden')
    await expect(startAppReload(appSite([[]], undefined, () => Promise.reject(refusal)).api, APP, appOptions())).rejects.toBe(refusal)
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
