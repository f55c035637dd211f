import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { ConnectionError, QrsError, UnexpectedAnswer } from '../../src/util/errors.js'
import { BACKOFF_CAP_MS, MIN_RETRY_GAP_MS, isOutage, isTransient, retryDelay } from '../../src/qrs/retry.js'
import type { ExecutionResult, ExecutionSession } from '../../src/qrs/types.js'
import { systemClock, type Clock } from '../../src/util/clock.js'
import { Outage } from '../../src/reload/outage.js'
import { waitForExecution, type ExecutionReader } from '../../src/reload/wait.js'
import { fakeClock } from '../helpers/fake-clock.js'

const EXEC = '6a1d3c1e-0000-4000-8000-000000000001'

const unavailable = (retryAfterMs?: number) => new QrsError('GET', `/qrs/executionsession/${EXEC}`, 503, 'Service Unavailable', undefined, retryAfterMs)
const refused = () => new ConnectionError('Nothing accepts connections at qliksrv01:4242 (ECONNREFUSED)', true)
const done: ExecutionResult = { id: 'r', status: 7, executionID: EXEC, startTime: '2026-01-01T10:00:00.000Z', stopTime: '2026-01-01T10:00:30.000Z' }

/** The session runs until `endAt` on `clock`; between `downFrom` and `downTo` every read fails with `failure()`. */
function flakyServer(clock: Clock, downFrom: number, downTo: number, endAt: number, failure: () => Error): ExecutionReader & { reads: number } {
  const reader = {
    reads: 0,
    async executionSession(id: string) {
      reader.reads++
      const t = clock.now()
      if (t >= downFrom && t < downTo) throw failure()
      return t < endAt ? ({ id, executionResult: { id: 'r', status: 2 } } as ExecutionSession) : undefined
    },
    async executionResults() {
      const t = clock.now()
      if (t >= downFrom && t < downTo) throw failure()
      return [done]
    }
  }
  return reader
}

describe('retry policy', () => {
  it('classifies 5xx, 429 and transient connection errors as worth another try, nothing else', () => {
    expect(isTransient(unavailable())).toBe(true)
    expect(isTransient(new QrsError('GET', '/qrs/about', 429, ''))).toBe(true)
    expect(isTransient(refused())).toBe(true)
    expect(isTransient(new QrsError('GET', '/qrs/about', 404, ''))).toBe(false)
    expect(isTransient(new QrsError('GET', '/qrs/about', 403, ''))).toBe(false)
    expect(isTransient(new ConnectionError('TLS: the certificate is not trusted'))).toBe(false)
  })

  it('backs off exponentially with jitter above a floor that grows with it, capped however long the outage lasts', () => {
    expect([0, 1, 2, 3].map(a => retryDelay(unavailable(), a, () => 0.999999))).toEqual([500, 1_000, 2_000, 4_000])
    // The floor: never under half the ceiling, never under MIN_RETRY_GAP_MS.
    expect([0, 1, 2, 3].map(a => retryDelay(unavailable(), a, () => 0))).toEqual([MIN_RETRY_GAP_MS, 500, 1_000, 2_000])
    expect(retryDelay(unavailable(), 200, () => 0.999999)).toBe(BACKOFF_CAP_MS)
    expect(retryDelay(unavailable(), 200, () => 0)).toBe(BACKOFF_CAP_MS / 2)
    expect(retryDelay(unavailable(), 3, () => 0.25)).toBe(2_500)
  })

  it("honours the server's Retry-After, capped at a minute, never below the backoff's floor", () => {
    expect(retryDelay(unavailable(7_000), 0, () => 0)).toBe(7_000)
    expect(retryDelay(unavailable(3_600_000), 0, () => 0)).toBe(60_000)
    // Retry-After: 0 or a date in the past: the floor, which grows with the attempts.
    expect([0, 1, 2, 3, 30].map(a => retryDelay(unavailable(0), a, () => 0.5))).toEqual([500, 500, 1_000, 2_000, BACKOFF_CAP_MS / 2])
  })

  it('rides out, in a wait, what else may pass while the reload runs: a wrong answer, a DNS failure, a 401; not a 404 or a TLS failure', () => {
    expect(isOutage(new UnexpectedAnswer('GET', '/qrs/executionsession/x', 200, 'an HTML page (maintenance)'))).toBe(true)
    expect(isOutage(new ConnectionError('Cannot resolve qlik (ENOTFOUND)', false, 'ENOTFOUND'))).toBe(true)
    expect(isOutage(new QrsError('GET', '/qrs/about', 401, ''))).toBe(true)
    expect(isOutage(unavailable())).toBe(true)
    expect(isOutage(new QrsError('GET', '/qrs/about', 404, ''))).toBe(false)
    expect(isOutage(new ConnectionError('TLS: the certificate is not trusted'))).toBe(false)
  })
})

describe('Outage', () => {
  it('logs one line when the server stops answering and one when it is back, with how long it was gone', () => {
    const clock = fakeClock(5_000)
    const lines: string[] = []
    const outage = new Outage(clock, line => lines.push(line), `still waiting for execution ${EXEC}`)
    outage.answered()
    for (let i = 0; i < 10; i++) {
      outage.failed(unavailable(), 60_000)
      void clock.sleep(4_800)
    }
    outage.answered()
    outage.answered()
    expect(lines).toEqual([
      `QRS is not answering (GET /qrs/executionsession/${EXEC} answered 503: Service Unavailable); trying again for up to 60 s (the timeout), still waiting for execution ${EXEC}.`,
      `QRS did not answer for 48 s; still waiting for execution ${EXEC}.`
    ])
  })
})

describe('the wait rides out outages up to the timeout', () => {
  it.each([
    ['503s', () => unavailable()],
    ['refused connections', () => refused()]
  ])('25 s of %s in a 30 s reload: finished, two log lines', async (_name, failure) => {
    const clock = fakeClock(5_000)
    const lines: string[] = []
    const reader = flakyServer(clock, 5_000 + 3_000, 5_000 + 28_000, 5_000 + 30_000, failure)
    const outcome = await waitForExecution(reader, EXEC, { clock, timeoutMs: 60_000, maxPollIntervalMs: 2_000, random: () => 0.5, log: line => lines.push(line) })
    expect(outcome).toMatchObject({ kind: 'finished', result: { status: 7 } })
    expect(lines).toHaveLength(2)
    expect(lines[1]).toMatch(/^QRS did not answer for (2[5-9]|3\d) s; still waiting for execution/)
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(BACKOFF_CAP_MS)
  })

  it('an outage that outlasts the timeout ends the wait as a timeout (not an error), at the timeout', async () => {
    const clock = fakeClock(5_000)
    const reader = flakyServer(clock, 5_000 + 1_000, Infinity, Infinity, () => unavailable())
    const outcome = await waitForExecution(reader, EXEC, { clock, timeoutMs: 20_000, maxPollIntervalMs: 2_000, random: () => 0.5 })
    expect(outcome).toMatchObject({ kind: 'timeout', lastStatus: 2, unanswered: expect.stringMatching(/not answering at the timeout.*503/) })
    if (outcome.kind === 'timeout') expect(outcome.elapsedMs).toBe(20_000)
  })

  it('an answer that is not transient (403) still fails at once', async () => {
    const clock = fakeClock(5_000)
    const reader = flakyServer(clock, 5_000, Infinity, Infinity, () => new QrsError('GET', '/qrs/executionsession', 403, 'Forbidden'))
    await expect(waitForExecution(reader, EXEC, { clock, timeoutMs: 20_000, maxPollIntervalMs: 2_000 })).rejects.toThrow(/403/)
  })

  it('a cancellation cuts a Retry-After sleep at once', async () => {
    const cancel = new AbortController()
    const reader: ExecutionReader = {
      executionSession: async () => {
        setTimeout(() => cancel.abort(new Error('cancelled')), 50)
        throw unavailable(60_000)
      },
      executionResults: async () => []
    }
    const since = performance.now()
    await expect(waitForExecution(reader, EXEC, { clock: systemClock, timeoutMs: 120_000, maxPollIntervalMs: 1_000, signal: cancel.signal })).rejects.toThrow('cancelled')
    expect(performance.now() - since).toBeLessThan(1_000)
  })
})

describe('the system clock is monotonic', () => {
  afterEach(() => {
    jest.restoreAllMocks()
  })

  it.each([
    ['forward', 3_600_000],
    ['backward', -3_600_000]
  ])('a wall-clock jump %s neither times out a wait nor stretches its timeout', async (_name, jump) => {
    const wall = Date.now()
    let jumped = false
    jest.spyOn(Date, 'now').mockImplementation(() => wall + (jumped ? jump : 0))
    const reader: ExecutionReader = {
      executionSession: async id => {
        jumped = true
        return { id, executionResult: { id: 'r', status: 2 } }
      },
      executionResults: async () => []
    }
    const since = performance.now()
    const outcome = await waitForExecution(reader, EXEC, { clock: systemClock, timeoutMs: 600, maxPollIntervalMs: 100 })
    const took = performance.now() - since
    expect(outcome.kind).toBe('timeout')
    expect(took).toBeGreaterThanOrEqual(590)
    expect(took).toBeLessThan(2_000)
  })
})
