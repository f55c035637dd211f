import { describe, expect, it } from '@jest/globals'
import type { ExecutionResult } from '../../src/qrs/types.js'
import type { Clock } from '../../src/util/clock.js'
import { latestAttempt, pollInterval, waitForExecution, type ExecutionReader } from '../../src/reload/wait.js'
import { fakeClock } from '../helpers/fake-clock.js'

const UNSET = '1753-01-01T00:00:00.000Z'
const EXEC = '6a1d3c1e-0000-4000-8000-000000000001'

function result(id: string, status: number, startTime = UNSET, stopTime = UNSET): ExecutionResult {
  return { id, status, startTime, stopTime, executionID: EXEC }
}

/**
 * A server script: each poll of the session takes the next session answer (undefined = 404);
 * each read of the results takes the next results answer (the last one repeats).
 */
function scriptedReader(sessions: (number | undefined)[], results: ExecutionResult[][]): ExecutionReader & { calls: string[] } {
  const calls: string[] = []
  let s = 0
  let r = 0
  return {
    calls,
    executionSession: async id => {
      calls.push(`session ${id}`)
      const status = sessions[Math.min(s++, sessions.length - 1)]
      return status === undefined ? undefined : { id, executionResult: { id: 'r', status } }
    },
    executionResults: async id => {
      calls.push(`results ${id}`)
      return results[Math.min(r++, results.length - 1)]
    }
  }
}

const options = (clock: Clock, statuses: number[] = []) => ({
  clock,
  timeoutMs: 60_000,
  maxPollIntervalMs: 15_000,
  random: () => 0.5,
  onStatus: (status: number) => statuses.push(status)
})

describe('waitForExecution', () => {
  it('polls the session until 404, then takes the result of that execution', async () => {
    const clock = fakeClock()
    const statuses: number[] = []
    const reader = scriptedReader([1, 3, 3, 2, 2, undefined], [[result('r1', 7, '2026-01-01T10:00:00.000Z', '2026-01-01T10:00:05.000Z')]])
    const outcome = await waitForExecution(reader, EXEC, options(clock, statuses))
    expect(outcome.kind).toBe('finished')
    expect(outcome.result?.id).toBe('r1')
    expect(statuses).toEqual([1, 3, 2, 7])
    expect(reader.calls).toEqual([...Array(6).fill(`session ${EXEC}`), `results ${EXEC}`])
  })

  it('lets the last attempt decide when the task retried', async () => {
    const clock = fakeClock()
    const attempts = [result('second', 7, '2026-01-01T10:01:00.000Z', '2026-01-01T10:01:09.000Z'), result('first', 8, '2026-01-01T10:00:00.000Z', '2026-01-01T10:00:09.000Z')]
    const outcome = await waitForExecution(scriptedReader([2, 10, 2, undefined], [attempts]), EXEC, options(clock))
    expect(outcome).toMatchObject({ kind: 'finished', attempts: 2, result: { id: 'second', status: 7 } })
  })

  it('fails on the last attempt even when an earlier one succeeded', async () => {
    const attempts = [result('a', 7, '2026-01-01T10:00:00.000Z', '2026-01-01T10:00:09.000Z'), result('b', 8, '2026-01-01T10:01:00.000Z', '2026-01-01T10:01:09.000Z')]
    const outcome = await waitForExecution(scriptedReader([undefined], [attempts]), EXEC, options(fakeClock()))
    expect(outcome).toMatchObject({ kind: 'finished', result: { id: 'b', status: 8 } })
  })

  it.each([6, 8, 9, 11, 12])('ends on final status %d', async status => {
    const outcome = await waitForExecution(scriptedReader([undefined], [[result('r', status, '2026-01-01T10:00:00.000Z')]]), EXEC, options(fakeClock()))
    expect(outcome).toMatchObject({ kind: 'finished', result: { status } })
  })

  it.each([0, 1, 2, 3, 4, 5, 10, 13, 14])('keeps reading results while the last one is %d after the session ended', async status => {
    const clock = fakeClock()
    const reader = scriptedReader([undefined], [[], [result('r', status)], [result('r', status)], [result('r', 7, '2026-01-01T10:00:00.000Z')]])
    const outcome = await waitForExecution(reader, EXEC, options(clock))
    expect(outcome).toMatchObject({ kind: 'finished', result: { status: 7 } })
    expect(reader.calls.filter(call => call.startsWith('results'))).toHaveLength(4)
  })

  it('times out with the last status seen when the reload runs too long', async () => {
    const clock = fakeClock()
    const outcome = await waitForExecution(scriptedReader([3, 2], [[]]), EXEC, { ...options(clock), timeoutMs: 90_000 })
    expect(outcome).toMatchObject({ kind: 'timeout', lastStatus: 2, sessionEnded: false, elapsedMs: 90_000 })
    // The last sleep is cut to the deadline rather than overshooting it.
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(90_000)
  })

  it('never sleeps longer than max-poll-interval and starts with short gaps', async () => {
    const clock = fakeClock()
    await waitForExecution(scriptedReader([2], [[]]), EXEC, { ...options(clock), timeoutMs: 3_600_000, maxPollIntervalMs: 20_000 })
    expect(clock.sleeps[0]).toBeLessThanOrEqual(1_000)
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(20_000)
    // An hour at a 20 s cap: about 200 polls, not Qlik-Cli's 3,600.
    expect(clock.sleeps.length).toBeLessThan(250)
  })
})

describe('pollInterval', () => {
  it('grows with the elapsed time, is capped and jittered', () => {
    expect(pollInterval(0, 15_000, () => 0.5)).toBe(500)
    expect(pollInterval(60_000, 15_000, () => 0.5)).toBe(6_000)
    expect(pollInterval(3_600_000, 15_000, () => 0.5)).toBe(15_000)
    expect(pollInterval(60_000, 15_000, () => 0)).toBe(4_800)
    expect(pollInterval(60_000, 15_000, () => 0.999)).toBeLessThan(7_200)
  })
})

describe('latestAttempt', () => {
  it('orders by start time; an attempt not started yet is the newest', () => {
    const results = [result('queued', 3), result('done', 8, '2026-01-01T10:00:00.000Z', '2026-01-01T10:00:01.000Z')]
    expect(latestAttempt(results)?.id).toBe('queued')
    expect(latestAttempt([])).toBeUndefined()
  })
})
