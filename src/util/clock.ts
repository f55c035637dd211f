import { setTimeout as sleep } from 'node:timers/promises'

/** Time as the wait loop sees it; tests pass a fake that advances instantly. */
export interface Clock {
  now(): number
  /** Rejects with an AbortError when `signal` aborts (the job was cancelled). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    await sleep(ms, undefined, { signal })
  }
}
