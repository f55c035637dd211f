import { setTimeout as sleep } from 'node:timers/promises'

/** Time as the wait loop sees it; tests pass a fake that advances instantly. */
export interface Clock {
  /**
   * Milliseconds on a monotonic clock (performance.now(), not the wall clock): deadlines, gaps and
   * timeouts survive an NTP step or a VM resume. Only differences mean something; wall time
   * (Date.now()) is for display and for comparing with server times.
   */
  now(): number
  /** Rejects with the signal's reason when `signal` aborts (the job was cancelled). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  // Whole milliseconds, as Date.now() gave: durations print as such.
  now: () => Math.floor(performance.now()),
  sleep: async (ms, signal) => {
    try {
      await sleep(ms, undefined, { signal })
    } catch (error) {
      throw signal?.aborted ? signal.reason : error
    }
  }
}
