import { describe, expect, it } from '@jest/globals'
import type { QrsApi } from '../../src/qrs/api.js'
import { ConnectionError, QrsError, UnexpectedAnswer } from '../../src/util/errors.js'
import type { ExecutionResult, ExecutionSession, ReloadTask } from '../../src/qrs/types.js'
import { stopExecution } from '../../src/reload/stop.js'
import { taskForecast, taskForecasts } from '../../src/reload/history.js'
import { fakeClock } from '../helpers/fake-clock.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

const TASK = 'a1000000-0000-4000-8000-000000000006'
const EXEC = '6a1d3c1e-0000-4000-8000-000000000002'

const result = (status: number): ExecutionResult => ({ id: 'r', status, executionID: EXEC, startTime: '2026-01-01T10:00:00.000Z', stopTime: '2026-01-01T10:00:09.000Z' })

/**
 * A server whose execution runs (status 2) until a stop reaches it, then aborts (4, then 6).
 * `stopFailures` lists what the first stops throw instead of being received.
 */
function fakeServer(options: { endedBefore?: boolean; stopFailures?: Error[]; stopLostButReceived?: boolean; sessionFails?: Error; resultsFail?: Error }) {
  let status = options.endedBefore ? 7 : 2
  let sessionGone = options.endedBefore ?? false
  const failures = [...(options.stopFailures ?? [])]
  const server = {
    stops: 0,
    received: 0,
    /** The call options the stop's requests go out with. */
    calls: [] as unknown[],
    with: (call: unknown) => (server.calls.push(call), server),
    async executionSession(id: string): Promise<ExecutionSession | undefined> {
      if (options.sessionFails) throw options.sessionFails
      if (sessionGone) return undefined
      if (status === 4) {
        status = 6
        sessionGone = true
        return { id, executionResult: { id: 'r', status: 4 } }
      }
      return { id, executionResult: { id: 'r', status } }
    },
    async executionResults(): Promise<ExecutionResult[]> {
      if (options.resultsFail) throw options.resultsFail
      // Once stopped, the results go on to Aborted as the session would.
      if (options.sessionFails && status === 4) status = 6
      return [result(status)]
    },
    async stopTask(taskId: string): Promise<void> {
      expect(taskId).toBe(TASK)
      server.stops++
      const failure = failures.shift()
      if (failure && !options.stopLostButReceived) throw failure
      server.received++
      status = 4
      if (failure) throw failure
    }
  }
  return server
}

const api = (server: ReturnType<typeof fakeServer>) => server as unknown as QrsApi
/** The options of a stop that waits up to 10 s; `log` records what it says. */
const stopping = (log = new FakeToolkit()) => ({ clock: fakeClock(1_000), log, waitMs: 10_000 })

describe('stopExecution: only our own execution, never blindly twice', () => {
  it('sends no stop when ours has already ended (another run of the task may be active)', async () => {
    const server = fakeServer({ endedBefore: true })
    const outcome = await stopExecution(api(server), TASK, EXEC, stopping())
    expect(outcome).toEqual({ alreadyEnded: true, result: result(7) })
    expect(server.stops).toBe(0)
  })

  it('stops ours while it runs and waits for its final status', async () => {
    const server = fakeServer({})
    const outcome = await stopExecution(api(server), TASK, EXEC, stopping())
    expect(outcome.alreadyEnded).toBe(false)
    expect(outcome.result?.status).toBe(6)
    expect(server.stops).toBe(1)
  })

  it('sends the stop again after a lost answer only when ours still runs untouched', async () => {
    const server = fakeServer({ stopFailures: [new ConnectionError('socket hang up', true)] })
    const log = new FakeToolkit()
    const outcome = await stopExecution(api(server), TASK, EXEC, stopping(log))
    expect(log.log).toEqual([
      `The stop of task ${TASK} got no answer (socket hang up); reading execution ${EXEC} again before another.`,
      `Sent stop for task ${TASK}; waiting up to 10 s for execution ${EXEC} to end.`
    ])
    expect(server.stops).toBe(2)
    expect(server.received).toBe(1)
    expect(outcome.result?.status).toBe(6)
  })

  it('does not send it again when the lost stop did reach ours (it is being aborted)', async () => {
    const server = fakeServer({ stopFailures: [new ConnectionError('socket hang up', true)], stopLostButReceived: true })
    const outcome = await stopExecution(api(server), TASK, EXEC, stopping())
    expect(server.stops).toBe(1)
    expect(outcome.result?.status).toBe(6)
  })

  it('every request of the stop is bounded: its budget is the deadline, each request a third of it', async () => {
    const server = fakeServer({})
    await stopExecution(api(server), TASK, EXEC, stopping())
    expect(server.calls).toEqual([{ deadline: 1_000 + 10_000, timeoutMs: 10_000 / 3 }])
  })

  it('when ours cannot be read (a session read that times out, a wrong answer), its results tell whether it runs', async () => {
    const server = fakeServer({ sessionFails: new ConnectionError('did not answer in time', true) })
    const outcome = await stopExecution(api(server), TASK, EXEC, stopping())
    expect(server.stops).toBe(1)
    expect(outcome).toEqual({ alreadyEnded: false, result: result(6) })
    const ended = fakeServer({ endedBefore: true, sessionFails: new UnexpectedAnswer('GET', '/qrs/executionsession/x', 200, 'an HTML page') })
    expect(await stopExecution(api(ended), TASK, EXEC, stopping())).toEqual({ alreadyEnded: true, result: result(7) })
    expect(ended.stops).toBe(0)
  })

  it('a session gone is ended, even when its result cannot be read: no stop', async () => {
    const server = fakeServer({ endedBefore: true, resultsFail: new UnexpectedAnswer('GET', '/qrs/executionresult/full', 200, 'status is a string, not a whole number') })
    expect(await stopExecution(api(server), TASK, EXEC, stopping())).toEqual({ alreadyEnded: true, result: undefined })
    expect(server.stops).toBe(0)
  })

  it('reports a stop the server refuses (not transient) as it is', async () => {
    const server = fakeServer({ stopFailures: [new QrsError('POST', `/qrs/task/${TASK}/stop`, 403, 'Forbidden')] })
    await expect(stopExecution(api(server), TASK, EXEC, stopping())).rejects.toThrow(/answered 403/)
    expect(server.stops).toBe(1)
  })
})

describe('taskForecast: the lookup last run, and for long reloads the recent runs', () => {
  const run = (startTime: string, seconds: number): ExecutionResult => ({
    id: startTime,
    status: 7,
    executionID: EXEC,
    startTime,
    stopTime: new Date(Date.parse(startTime) + seconds * 1000).toISOString()
  })
  const task = (last: ExecutionResult): ReloadTask => ({ id: TASK, name: 'Reload', operational: { lastExecutionResult: last } })
  const history = (answer: () => Promise<ExecutionResult[]>) => {
    const calls: { taskId: string; since: string }[] = []
    return {
      calls,
      api: {
        recentRunsOf: async (spans: { taskId: string; sinceIso: string }[]) => {
          calls.push(...spans.map(({ taskId, sinceIso }) => ({ taskId, since: sinceIso })))
          return answer()
        }
      } as unknown as QrsApi
    }
  }

  it('uses the last run alone, with no request, for a short reload', async () => {
    const reader = history(async () => [])
    const forecast = await taskForecast(reader.api, task(run('2026-01-01T10:00:00.000Z', 4)), new FakeToolkit())
    expect(forecast).toMatchObject({ expectedMs: 4_000, runs: 1 })
    expect(reader.calls).toHaveLength(0)
  })

  it('reads the recent runs of a long reload once and takes their median and spread', async () => {
    const last = run('2026-01-01T10:00:00.000Z', 20)
    const reader = history(async () => [last, run('2026-01-01T09:00:00.000Z', 22), run('2026-01-01T08:00:00.000Z', 18)])
    const forecast = await taskForecast(reader.api, task(last), new FakeToolkit())
    expect(forecast).toEqual({ expectedMs: 20_000, lowMs: 18_000, highMs: 22_000, runs: 3 })
    // Runs that started within 100 of the last run's durations before it.
    expect(reader.calls).toEqual([{ taskId: TASK, since: new Date(Date.parse(last.startTime!) - 100 * 20_000).toISOString() }])
  })

  it('keeps the last run as the forecast when the read fails or finds nothing', async () => {
    const last = run('2026-01-01T10:00:00.000Z', 30)
    const failing = history(async () => {
      throw new QrsError('GET', '/qrs/executionresult', 403, 'Forbidden')
    })
    const log = new FakeToolkit()
    expect(await taskForecast(failing.api, task(last), log)).toMatchObject({ expectedMs: 30_000, runs: 1 })
    expect(log.log).toEqual([
      expect.stringMatching(/^debug: The tasks' recent runs could not be read \(GET \/qrs\/executionresult answered 403.*\): the last runs are the forecasts\.$/)
    ])
    expect(await taskForecast(history(async () => []).api, task(last), new FakeToolkit())).toMatchObject({ expectedMs: 30_000, runs: 1 })
  })

  it('has no forecast for a task that never ran', async () => {
    const reader = history(async () => [])
    expect(await taskForecast(reader.api, { id: TASK, name: 'New' }, new FakeToolkit())).toBeUndefined()
    expect(reader.calls).toHaveLength(0)
  })

  it('reads the recent runs of all long reloads of a step at once, each task its own forecast', async () => {
    const OTHER = 'b1000000-0000-4000-8000-00000000000b'
    const SHORT = 'b1000000-0000-4000-8000-00000000000c'
    const last = run('2026-01-01T10:00:00.000Z', 20)
    const answer = [
      { ...run('2026-01-01T09:00:00.000Z', 22), taskID: TASK },
      { ...run('2026-01-01T08:00:00.000Z', 18), taskID: TASK },
      { ...last, taskID: TASK },
      { ...run('2026-01-01T09:30:00.000Z', 40), taskID: OTHER.toUpperCase() }
    ]
    const reader = history(async () => answer)
    const tasks: ReloadTask[] = [
      { id: TASK, name: 'A', operational: { lastExecutionResult: last } },
      { id: OTHER, name: 'B', operational: { lastExecutionResult: run('2026-01-01T09:30:00.000Z', 40) } },
      { id: SHORT, name: 'C', operational: { lastExecutionResult: run('2026-01-01T09:30:00.000Z', 3) } },
      { id: 'b1000000-0000-4000-8000-00000000000d', name: 'Never' }
    ]
    const forecasts = await taskForecasts(reader.api, tasks, new FakeToolkit())
    expect(reader.calls.map(c => c.taskId)).toEqual([TASK, OTHER])
    expect(forecasts.get(TASK)).toEqual({ expectedMs: 20_000, lowMs: 18_000, highMs: 22_000, runs: 3 })
    expect(forecasts.get(OTHER)).toEqual({ expectedMs: 40_000, lowMs: 40_000, highMs: 40_000, runs: 1 })
    expect(forecasts.get(SHORT)).toMatchObject({ expectedMs: 3_000, runs: 1 })
    expect(forecasts.size).toBe(3)
  })
})
