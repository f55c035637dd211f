import { describe, expect, it } from '@jest/globals'
import type { ExecutionSession } from '../../src/qrs/types.js'
import type { Clock } from '../../src/util/clock.js'
import { heartbeatLine } from '../../src/reload/run.js'
import { DENSE_POLL_MS, expectedDuration, jittered, pollGap } from '../../src/reload/schedule.js'
import { waitForExecution, type ExecutionReader } from '../../src/reload/wait.js'

const EXEC = '6a1d3c1e-0000-4000-8000-000000000001'
const settings = { maxPollIntervalMs: 15_000 }

/** A clock whose sleep advances time at once: the tests never wait. */
function fakeClock(): Clock {
  let now = 5_000_000
  return { now: () => now, sleep: async ms => void (now += ms) }
}

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
async function waitFor(durationMs: number, expectedMs: number | undefined, random: () => number = Math.random, maxPollIntervalMs = settings.maxPollIntervalMs) {
  const clock = fakeClock()
  const reader = reload(clock, durationMs)
  const outcome = await waitForExecution(reader, EXEC, { clock, timeoutMs: 3_600_000, maxPollIntervalMs, expectedMs, random })
  expect(outcome.kind).toBe('finished')
  return { polls: reader.polls, lagMs: clock.now() - reader.endsAt }
}

/** A seeded [0, 1) source: the same jitter on every run of the suite. */
function seeded(seed: number): () => number {
  let x = seed
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
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
    expect(gap(0)).toBe(15_000) // first poll at E/8
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

  it('history right at 120 s: no more than a fifth of the polls of a fixed 1 s loop', async () => {
    const random = seeded(7)
    for (const error of [-0.05, 0, 0.05]) expect((await waitFor(120_000, 120_000 * (1 + error), random)).polls).toBeLessThanOrEqual(24)
  })

  it('history wrong, the run takes 3x longer: gaps grow again, lag within about a tenth of the duration', async () => {
    const random = seeded(3)
    for (const duration of [20_000, 120_000, 600_000]) {
      const { lagMs } = await waitFor(duration, duration / 3, random)
      expect(lagMs).toBeLessThanOrEqual(Math.max(0.12 * duration, 1_000))
    }
  })

  it('history wrong, the run takes 3x shorter: noticed within the sparse gaps (half its age at most)', async () => {
    const random = seeded(5)
    for (const duration of [20_000, 120_000, 600_000]) {
      // A cap far off, so that the schedule itself is seen.
      const { lagMs } = await waitFor(duration, duration * 3, random, 3_600_000)
      expect(lagMs).toBeLessThanOrEqual(Math.max(0.6 * duration, 2_400))
      // The usual cap bounds it as well.
      expect((await waitFor(duration, duration * 3, random)).lagMs).toBeLessThanOrEqual(settings.maxPollIntervalMs * 1.2)
    }
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
    const clock = fakeClock()
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
    expect(lines).toEqual([
      'status 3',
      '+5m still Queued on qliksrv02 (previous run took 20m)',
      'status 2',
      '+12m still Started on qliksrv02 (previous run took 20m)',
      'status 7'
    ])
  })

  it('a node name from the server cannot start a runner command', () => {
    expect(heartbeatLine({ elapsedMs: 120_000, status: 2, node: 'qliksrv02\n::set-output name=status::FinishedSuccess' }, '')).toBe(
      '+2m still Started on qliksrv02 ::set-output name=status::FinishedSuccess'
    )
    expect(heartbeatLine({ elapsedMs: 60_000 }, '')).toBe('+1m still running')
  })
})
