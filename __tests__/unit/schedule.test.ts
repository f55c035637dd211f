import { describe, expect, it } from '@jest/globals'
import type { ExecutionSession } from '../../src/qrs/types.js'
import type { Clock } from '../../src/util/clock.js'
import { heartbeatLine } from '../../src/run/task-runner.js'
import { DENSE_POLL_MS, denseWindow, expectedDuration, forecastFrom, jittered, pollGap, type Forecast } from '../../src/reload/schedule.js'
import { waitForExecution, type ExecutionReader } from '../../src/reload/wait.js'
import { fakeClock } from '../helpers/fake-clock.js'

const EXEC = '6a1d3c1e-0000-4000-8000-000000000001'
const settings = { maxPollIntervalMs: 15_000 }

/**
 * A reload that ends `durationMs` after the wait began, on the fake clock: the session answers
 * Started (on qliksrv02) until then, 404 after; the result is FinishedSuccess.
 */
function reload(clock: Clock, durationMs: number, statuses: (elapsed: number) => number = () => 2): ExecutionReader & { polls: number; endsAt: number } {
  const endsAt = clock.now() + durationMs
  const reader = {
    polls: 0,
    endsAt,
    executionSession: async (id: string) => {
      reader.polls++
      if (clock.now() >= endsAt) return undefined
      return { id, executionResult: { id: 'r', status: statuses(durationMs - (endsAt - clock.now())), executingNodeName: 'qliksrv02' } } as ExecutionSession
    },
    executionResults: async () => [{ id: 'r', status: 7, executionID: EXEC, startTime: '2026-12-01T10:00:00.000Z', stopTime: '2026-12-01T10:02:00.000Z' }]
  }
  return reader
}

/** Waits for a reload of `durationMs` whose previous run took `expectedMs`; lag on the fake clock. */
async function waitFor(durationMs: number, expected: number | Forecast | undefined, random: () => number = Math.random, maxPollIntervalMs = settings.maxPollIntervalMs) {
  const clock = fakeClock(5_000_000)
  const reader = reload(clock, durationMs)
  const forecast = typeof expected === 'number' ? { expectedMs: expected, lowMs: expected, highMs: expected, runs: 1 } : expected
  const outcome = await waitForExecution(reader, EXEC, { clock, timeoutMs: 3_600_000, maxPollIntervalMs, forecast, random })
  expect(outcome.kind).toBe('finished')
  return { polls: reader.polls, lagMs: clock.now() - reader.endsAt }
}

/** A seeded [0, 1) source: the same jitter on every run of the suite. */
function seeded(seed: number): () => number {
  let x = seed
  return () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
}

describe('pollGap without history (as before: half a second, growing to a tenth of the age, capped)', () => {
  it.each([
    [0, 500],
    [3_000, 500],
    [60_000, 6_000],
    [3_600_000, 15_000]
  ])('at %d ms: %d ms', (elapsed, gap) => {
    expect(pollGap(elapsed, undefined, settings)).toBe(gap)
  })

  it('a 20 s reload costs as many polls as before and is noticed within a tenth of its age', async () => {
    const { polls, lagMs } = await waitFor(20_000, undefined, () => 0.5)
    expect(polls).toBeGreaterThan(20)
    expect(lagMs).toBeLessThanOrEqual(2_400)
  })
})

describe('pollGap with the previous run as the forecast', () => {
  it('is sparse long before the expected end, densest at it, and grows again after it', () => {
    const E = 120_000
    const gap = (t: number) => pollGap(t, E, settings)
    expect(gap(0)).toBe(15_000) // first poll at E/4, capped
    expect(gap(60_000)).toBe(15_000) // sparse, at the cap
    expect(gap(E * 0.95)).toBeLessThan(gap(E * 0.9))
    expect(gap(E)).toBe(DENSE_POLL_MS)
    expect(gap(E * 1.05)).toBeGreaterThan(gap(E * 1.01))
    expect(gap(E * 3)).toBe(15_000)
    for (let t = 0; t < 4 * E; t += 997) expect(gap(t)).toBeGreaterThanOrEqual(DENSE_POLL_MS)
  })

  it('never waits past max-poll-interval', () => {
    for (let t = 0; t < 7_200_000; t += 4_999) expect(pollGap(t, 7_200_000, { maxPollIntervalMs: 30_000 })).toBeLessThanOrEqual(30_000)
  })

  it('jitters by ±20 %', () => {
    expect(jittered(1_000, () => 0)).toBe(800)
    expect(jittered(1_000, () => 0.5)).toBe(1_000)
    expect(jittered(1_000, () => 0.9999)).toBe(1_200)
  })

  it.each([2_000, 20_000, 120_000])('history right (±10 %%), %d ms: noticed near its end with fewer polls than without history', async duration => {
    const random = seeded(duration)
    for (const error of [-0.1, -0.03, 0, 0.04, 0.1]) {
      const withHistory = await waitFor(duration, duration * (1 + error), random)
      const without = await waitFor(duration, undefined, random)
      expect(withHistory.polls).toBeLessThan(without.polls)
      // Within half the distance to the forecast (the dense window), or the densest gap.
      expect(withHistory.lagMs).toBeLessThanOrEqual(Math.max(0.6 * Math.abs(error) * duration, 1.2 * DENSE_POLL_MS))
    }
  })

  it('history right at 120 s (the last five runs within ±5 %): no more than a fifth of the requests of a fixed 1 s loop', async () => {
    const random = seeded(7)
    const history = forecastFrom(runsOf(120_000, [-0.05, -0.02, 0, 0.03, 0.05]))
    // 24 requests for fixed 1 s at 120 s, less lookup, history, start and result: 20 polls.
    const polls: number[] = []
    for (const error of [-0.04, -0.03, -0.02, -0.01, 0, 0.01, 0.02, 0.03, 0.04]) polls.push((await waitFor(120_000 * (1 + error), history, random)).polls)
    // The target compares medians; a run at the window's edge costs a few more.
    expect(polls.sort((a, b) => a - b)[4]).toBeLessThanOrEqual(20)
    expect(Math.max(...polls)).toBeLessThanOrEqual(30)
  })

  it('history wrong, the run takes 3x longer: gaps grow again, lag within about a tenth of the duration', async () => {
    const random = seeded(3)
    for (const duration of [20_000, 120_000, 600_000]) {
      const { lagMs } = await waitFor(duration, duration / 3, random)
      expect(lagMs).toBeLessThanOrEqual(Math.max(0.12 * duration, 1_000))
    }
  })

  it('history wrong, the run takes 3x shorter: noticed within the sparse gaps (its own duration at most)', async () => {
    const random = seeded(5)
    for (const duration of [20_000, 120_000, 600_000]) {
      // A cap far off, so that the schedule itself is seen.
      const { lagMs } = await waitFor(duration, duration * 3, random, 3_600_000)
      expect(lagMs).toBeLessThanOrEqual(Math.max(1.2 * duration, 2_400))
      // The usual cap bounds it as well.
      expect((await waitFor(duration, duration * 3, random)).lagMs).toBeLessThanOrEqual(settings.maxPollIntervalMs * 1.2)
    }
  })

  it('a 2 s reload whose previous run took as long is checked once at its expected end', async () => {
    // No check at once: the first is at E (the window is too narrow to enter before it).
    expect((await waitFor(2_000, 2_000, () => 0.5)).polls).toBe(1)
    expect((await waitFor(1_950, 2_000, () => 0.5)).lagMs).toBeLessThanOrEqual(100)
  })
})

/** Five runs of `ms` (1 + each share), an hour apart, oldest first. */
const runsOf = (ms: number, shares: number[]) =>
  shares.map((share, i) => ({ status: 7, duration: Math.round(ms * (1 + share)), startTime: new Date(Date.UTC(2026, 11, 1, i)).toISOString() }))

describe('the median of the last runs and their spread', () => {
  it('forecastFrom: the median and the spread of the five latest successful runs', () => {
    const results = [...runsOf(20_000, [0.5, -0.05, 0.02, 0, 0.04, -0.01]), { status: 8, duration: 1_000, startTime: '2026-12-02T00:00:00.000Z' }]
    // The oldest (+50 %) is the sixth successful run: left out; the failed one too.
    expect(forecastFrom(results)).toEqual({ expectedMs: 20_000, lowMs: 19_000, highMs: 20_800, runs: 5 })
    expect(forecastFrom(runsOf(10_000, [0, 0.1]))).toEqual({ expectedMs: 10_500, lowMs: 10_000, highMs: 11_000, runs: 2 })
    expect(forecastFrom([{ status: 6, duration: 3_000 }])).toBeUndefined()
    expect(forecastFrom([])).toBeUndefined()
  })

  it('a tight history makes a tight window; a loose one a wide window; one run the default ±10 %', () => {
    const tight = forecastFrom(runsOf(120_000, [-0.005, 0, 0.005, 0.002, -0.002]))!
    const loose = forecastFrom(runsOf(120_000, [-0.1, -0.05, 0, 0.05, 0.1]))!
    const one = forecastFrom(runsOf(120_000, [0]))!
    expect(denseWindow(tight)).toEqual({ startMs: 120_000 - 3_000, endMs: 120_000 + 3_000 }) // the spread + 2 %
    expect(denseWindow(loose)).toEqual({ startMs: 120_000 - 14_400, endMs: 120_000 + 14_400 })
    expect(denseWindow({ expectedMs: 100_000, lowMs: 100_000, highMs: 100_000, runs: 5 })).toEqual({ startMs: 98_000, endMs: 102_000 })
    expect(denseWindow(one)).toEqual({ startMs: 108_000, endMs: 132_000 })
    // Before the tight window the gaps are still sparse where the loose one is already dense.
    expect(pollGap(110_000, tight, settings)).toBeGreaterThan(pollGap(110_000, loose, settings))
  })

  it('history right and tight (±0.5 %): fewer polls than a loose history, and less lag than the last run alone gives', async () => {
    const random = seeded(11)
    const shares = [-0.005, 0.003, 0, -0.002, 0.005]
    let tightPolls = 0
    let loosePolls = 0
    for (const error of [-0.004, 0, 0.004]) {
      const duration = 120_000 * (1 + error)
      const tight = await waitFor(duration, forecastFrom(runsOf(120_000, shares)), random)
      const loose = await waitFor(
        duration,
        forecastFrom(
          runsOf(
            120_000,
            shares.map(s => s * 20)
          )
        ),
        random
      )
      tightPolls += tight.polls
      loosePolls += loose.polls
      expect(tight.lagMs).toBeLessThanOrEqual(1.2 * DENSE_POLL_MS)
    }
    expect(tightPolls).toBeLessThan(loosePolls)
  })

  it('history wrong (the runs took 3x longer or shorter than this one): the spread does not keep it from being noticed', async () => {
    const random = seeded(13)
    const history = forecastFrom(runsOf(60_000, [-0.02, 0, 0.02, 0.01, -0.01]))!
    expect((await waitFor(180_000, history, random)).lagMs).toBeLessThanOrEqual(0.12 * 180_000)
    expect((await waitFor(20_000, history, random)).lagMs).toBeLessThanOrEqual(1.2 * 20_000)
  })

  it('no history: as without a forecast', async () => {
    expect(forecastFrom([])).toBeUndefined()
    for (const t of [0, 5_000, 60_000]) expect(pollGap(t, undefined, settings)).toBe(pollGap(t, forecastFrom([]), settings))
  })
})

describe('expectedDuration', () => {
  it('takes the duration of a previous successful run', () => {
    expect(expectedDuration({ status: 7, duration: 65_000 })).toBe(65_000)
    expect(expectedDuration({ status: 7, startTime: '2026-12-01T10:00:00.000Z', stopTime: '2026-12-01T11:52:00.000Z' })).toBe(6_720_000)
  })

  it.each([
    ['no history', undefined],
    ['never started', { status: 0, duration: 0 }],
    ['running now', { status: 2, startTime: '2026-12-01T10:00:00.000Z', stopTime: '1753-01-01T00:00:00.000Z' }],
    ['failed (it stopped early)', { status: 8, duration: 4_000 }],
    ['aborted', { status: 6, duration: 4_000 }],
    ['no duration', { status: 7, duration: 0, startTime: '1753-01-01T00:00:00.000Z', stopTime: '1753-01-01T00:00:00.000Z' }]
  ])('none when %s', (_, last) => {
    expect(expectedDuration(last)).toBeUndefined()
  })
})

describe('heartbeat', () => {
  it('says every five minutes that nothing changed, with the node and the previous run', async () => {
    const clock = fakeClock(5_000_000)
    const reader = reload(clock, 17 * 60_000, elapsed => (elapsed < 7 * 60_000 ? 3 : 2))
    const lines: string[] = []
    const outcome = await waitForExecution(reader, EXEC, {
      clock,
      timeoutMs: 3_600_000,
      maxPollIntervalMs: 15_000,
      expectedMs: 20 * 60_000,
      random: () => 0.5,
      onStatus: status => lines.push(`status ${status}`),
      onHeartbeat: beat => lines.push(heartbeatLine({ ...beat, elapsedMs: Math.floor(beat.elapsedMs / 60_000) * 60_000 }, 'previous run took 20m'))
    })
    expect(outcome.kind).toBe('finished')
    // Queued at once, Started at 7 min: heartbeats at 5 min (Queued), then 12 min (Started), then the end at 17 min.
    expect(lines).toEqual(['status 3', '+5m still Queued on qliksrv02 (previous run took 20m)', 'status 2', '+12m still Started on qliksrv02 (previous run took 20m)', 'status 7'])
  })

  it('a node name from the server cannot start a runner command', () => {
    expect(heartbeatLine({ elapsedMs: 120_000, status: 2, node: 'qliksrv02\n::set-output name=status::FinishedSuccess' }, '')).toBe(
      '+2m still Started on qliksrv02 ::set-output name=status::FinishedSuccess'
    )
    expect(heartbeatLine({ elapsedMs: 60_000 }, '')).toBe('+1m still running')
  })
})
