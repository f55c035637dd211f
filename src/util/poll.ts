import type { Clock } from './clock.js'

/** What one look saw: an answer, or the error it failed with (one that `retry` took). */
export type Seen<T> = { value: T } | { error: unknown }

export interface PollOptions<T> {
  clock: Clock
  /** One look: a request or a few. `attempt` counts from 0. */
  read: (attempt: number) => Promise<T>
  /** Whether this answer ends the loop. Default: any answer does. */
  done?: (value: T, attempt: number) => boolean
  /** Whether a failed look is tried again. Default: no, its error is thrown. */
  retry?: (error: unknown, attempt: number) => boolean
  /** The gap (ms) before the next look, from what this one saw; undefined: no more looks. */
  next: (seen: Seen<T>, attempt: number) => number | undefined
  /** clock.now() after which no look starts; the gap before the last one is cut to end there. */
  deadline?: number
  /** A gap before the first look too. */
  firstGap?: number
  /**
   * Cancels the loop: checked before each look, it cuts a gap short, and a look that fails once it
   * has fired throws the signal's reason (not whatever the request failed with meanwhile).
   */
  signal?: AbortSignal
  /** How a gap is slept: clock.sleep by default (push wake-ups end one early). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

export type Polled<T> =
  | { done: true; value: T; attempts: number }
  /** `expired`: the deadline passed; else `next` said no more. `last` is what the last look saw. */
  | { done: false; last: Seen<T>; attempts: number; expired: boolean }

/**
 * The one loop of the action that looks at something again and again with sleeps in between: the
 * client's retries, riding out an outage, the wait for an execution, stops, starts, the chain and the
 * script log. Each caller gives what to read, when it is done, how long to wait before the next look,
 * and the deadline; every gap is slept through the clock (tests pass a fake) and ends on a cancellation.
 */
export async function poll<T>(options: PollOptions<T>): Promise<Polled<T>> {
  const { clock, signal, deadline = Infinity } = options
  const sleep = options.sleep ?? ((ms: number, abort?: AbortSignal) => clock.sleep(ms, abort))
  const pause = (ms: number): Promise<void> => sleep(Math.max(0, Math.min(ms, deadline - clock.now())), signal)
  if (options.firstGap !== undefined) await pause(options.firstGap)
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted()
    let seen: Seen<T>
    try {
      const value = await options.read(attempt)
      if (options.done?.(value, attempt) ?? true) return { done: true, value, attempts: attempt + 1 }
      seen = { value }
    } catch (error) {
      if (signal?.aborted) throw signal.reason
      if (!options.retry?.(error, attempt)) throw error
      seen = { error }
    }
    if (clock.now() >= deadline) return { done: false, last: seen, attempts: attempt + 1, expired: true }
    const gap = options.next(seen, attempt)
    if (gap === undefined) return { done: false, last: seen, attempts: attempt + 1, expired: false }
    await pause(gap)
  }
}

/**
 * A poll that ends with the first answer (a retry loop): that answer. Failures are retried as `retry`
 * says; when the deadline (or `next`) ends the retries, the last failure is thrown.
 */
export async function untilAnswered<T>(options: Omit<PollOptions<T>, 'done'>): Promise<T> {
  const outcome = await poll(options)
  if (outcome.done) return outcome.value
  throw failure(outcome.last)
}

/** The error the last look failed with, if it failed. */
export function failure<T>(seen: Seen<T>): unknown {
  return 'error' in seen ? seen.error : undefined
}

/** The answer of the last look, if it answered. */
export function answer<T>(seen: Seen<T>): T | undefined {
  return 'value' in seen ? seen.value : undefined
}
