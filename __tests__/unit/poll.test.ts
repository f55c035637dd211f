import { describe, expect, it } from '@jest/globals'
import { poll, untilAnswered } from '../../src/util/poll.js'
import { systemClock } from '../../src/util/clock.js'
import { fakeClock } from '../helpers/fake-clock.js'

/** A read that answers the given values in turn (an Error is thrown), and counts its calls with their clock times. */
function script<T>(clock: { now(): number }, answers: (T | Error)[]) {
  const calls: { attempt: number; at: number }[] = []
  return {
    calls,
    read: async (attempt: number): Promise<T> => {
      calls.push({ attempt, at: clock.now() })
      const answer = answers[Math.min(attempt, answers.length - 1)]
      if (answer instanceof Error) throw answer
      return answer
    }
  }
}

describe('poll: the one loop that looks again with sleeps in between', () => {
  it('looks until an answer is done, sleeping the gap `next` gives after each look', async () => {
    const clock = fakeClock(0)
    const { read, calls } = script(clock, ['running', 'running', 'ended'])
    const gaps: unknown[] = []
    const outcome = await poll({
      clock,
      read,
      done: value => value === 'ended',
      next: (seen, attempt) => {
        gaps.push(seen)
        return 100 * (attempt + 1)
      }
    })
    expect(outcome).toEqual({ done: true, value: 'ended', attempts: 3 })
    expect(calls).toEqual([
      { attempt: 0, at: 0 },
      { attempt: 1, at: 100 },
      { attempt: 2, at: 300 }
    ])
    expect(clock.sleeps).toEqual([100, 200])
    expect(gaps).toEqual([{ value: 'running' }, { value: 'running' }])
  })

  it('takes any answer as done by default', async () => {
    const clock = fakeClock()
    expect(await poll({ clock, read: async () => 0, next: () => 1 })).toEqual({ done: true, value: 0, attempts: 1 })
    expect(clock.sleeps).toEqual([])
  })

  it('stops when `next` says no more, with what the last look saw', async () => {
    const clock = fakeClock()
    const outcome = await poll({ clock, read: async attempt => attempt, done: () => false, next: (_, attempt) => (attempt < 2 ? 500 : undefined) })
    expect(outcome).toEqual({ done: false, last: { value: 2 }, attempts: 3, expired: false })
    expect(clock.sleeps).toEqual([500, 500])
  })

  it('starts no look after the deadline, and cuts the gap before the last one to end at it', async () => {
    const clock = fakeClock(0)
    const { read, calls } = script(clock, ['running'])
    const outcome = await poll({ clock, read, done: () => false, next: () => 400, deadline: 1_000 })
    expect(calls.map(call => call.at)).toEqual([0, 400, 800, 1_000])
    expect(clock.sleeps).toEqual([400, 400, 200])
    expect(outcome).toEqual({ done: false, last: { value: 'running' }, attempts: 4, expired: true })
  })

  it('sleeps a first gap before the first look, cut by the deadline too', async () => {
    const clock = fakeClock(0)
    const { read, calls } = script(clock, ['x'])
    await poll({ clock, read, next: () => 1, firstGap: 5_000, deadline: 3_000 })
    expect(clock.sleeps).toEqual([3_000])
    expect(calls).toEqual([{ attempt: 0, at: 3_000 }])
  })

  it('retries a failed look when `retry` takes it (the error is what `next` sees), and throws any other at once', async () => {
    const clock = fakeClock(0)
    const busy = new Error('503')
    const refused = new Error('403')
    const seen: unknown[] = []
    const ok = script(clock, [busy, busy, 'answer'])
    const outcome = await poll({ clock, read: ok.read, retry: error => error === busy, next: s => (seen.push(s), 250) })
    expect(outcome).toEqual({ done: true, value: 'answer', attempts: 3 })
    expect(seen).toEqual([{ error: busy }, { error: busy }])
    const bad = script(clock, [busy, refused])
    await expect(poll({ clock, read: bad.read, retry: error => error === busy, next: () => 250 })).rejects.toBe(refused)
    expect(bad.calls).toHaveLength(2)
    // Without `retry`, a failure is never tried again.
    await expect(poll({ clock, read: script(clock, [busy]).read, next: () => 1 })).rejects.toBe(busy)
  })

  it('sleeps through the sleep it is given (push wake-ups), with the signal', async () => {
    const clock = fakeClock(0)
    const slept: [number, AbortSignal | undefined][] = []
    const cancel = new AbortController()
    await poll({ clock, signal: cancel.signal, read: async attempt => attempt, done: n => n === 2, next: () => 700, sleep: async (ms, signal) => void slept.push([ms, signal]) })
    expect(slept).toEqual([
      [700, cancel.signal],
      [700, cancel.signal]
    ])
    expect(clock.sleeps).toEqual([])
  })

  describe('cancellation', () => {
    it('looks no more once the signal fired: the next gap rejects with its reason', async () => {
      const clock = fakeClock(0)
      const cancel = new AbortController()
      const reason = new Error('The job was cancelled (SIGINT).')
      const { read, calls } = script(clock, ['running'])
      const cancelling = async (attempt: number) => {
        if (attempt === 1) cancel.abort(reason)
        return read(attempt)
      }
      await expect(poll({ clock, signal: cancel.signal, read: cancelling, done: () => false, next: () => 1_000 })).rejects.toBe(reason)
      expect(calls).toHaveLength(2)
    })

    it('throws the reason, not the error of a look that failed because of it', async () => {
      const clock = fakeClock(0)
      const cancel = new AbortController()
      const reason = new Error('cancelled')
      const read = async (): Promise<string> => {
        cancel.abort(reason)
        throw new Error('socket hang up')
      }
      await expect(poll({ clock, signal: cancel.signal, read, next: () => 1 })).rejects.toBe(reason)
    })

    it('does not start when the signal has already fired', async () => {
      const reason = new Error('cancelled')
      const { read, calls } = script(fakeClock(), ['x'])
      await expect(poll({ clock: fakeClock(), signal: AbortSignal.abort(reason), read, next: () => 1 })).rejects.toBe(reason)
      expect(calls).toEqual([])
    })

    it('ends a long gap at once on the system clock', async () => {
      const cancel = new AbortController()
      const started = Date.now()
      setTimeout(() => cancel.abort(new Error('cancelled')), 50)
      await expect(poll({ clock: systemClock, signal: cancel.signal, read: async () => 'running', done: () => false, next: () => 60_000 })).rejects.toThrow('cancelled')
      expect(Date.now() - started).toBeLessThan(5_000)
    })
  })
})

describe('untilAnswered: a retry loop', () => {
  it('answers the first answer after retried failures', async () => {
    const clock = fakeClock(0)
    const busy = new Error('503')
    expect(await untilAnswered({ clock, read: script(clock, [busy, 'ok']).read, retry: () => true, next: () => 10 })).toBe('ok')
    expect(clock.sleeps).toEqual([10])
  })

  it('throws the last failure when the deadline ends the retries', async () => {
    const clock = fakeClock(0)
    const errors = [new Error('first'), new Error('second'), new Error('third')]
    await expect(untilAnswered({ clock, read: script(clock, errors).read, retry: () => true, next: () => 600, deadline: 1_000 })).rejects.toBe(errors[2])
  })
})
