import type { Clock } from '../../src/util/clock.js'

/**
 * A clock whose sleep advances time at once (the tests never wait), with the sleeps it was asked for.
 * A sleep with an aborted signal rejects with its reason, as the system clock's does.
 */
export function fakeClock(start = 1_000_000): Clock & { sleeps: number[] } {
  let now = start
  const sleeps: number[] = []
  return {
    sleeps,
    now: () => now,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted()
      sleeps.push(ms)
      now += ms
    }
  }
}
