import { setTimeout as sleep } from 'node:timers/promises'

/** Time as the wait loop sees it; tests pass a fake that advances instantly. */
export interface Clock {
  now(): number
  sleep(ms: number): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async ms => {
    await sleep(ms)
  }
}
