import type { ExecutionResult, ExecutionSession } from '../qrs/types.js'
import type { Clock } from './clock.js'
import { isFinal } from './status.js'
import { isUnset } from './dates.js'

/** The two reads the wait needs; QrsApi in production, a plain object in tests. */
export interface ExecutionReader {
  executionSession(id: string): Promise<ExecutionSession | undefined>
  executionResults(executionId: string): Promise<ExecutionResult[]>
}

export interface WaitOptions {
  timeoutMs: number
  maxPollIntervalMs: number
  clock: Clock
  /** Jitter source in [0, 1); parallel jobs must not poll in lockstep. */
  random?: () => number
  /** Called whenever the observed status changes. */
  onStatus?: (status: number) => void
  /** Aborts the wait (job cancelled): the promise rejects with the signal's reason. */
  signal?: AbortSignal
  /**
   * Push wake-ups: a sleep that a QRS callback can end early (resolves true when woken). The gaps
   * are then `safetyPollMs`, a slow poll in case a callback is lost.
   */
  wakeUps?: { sleep(ms: number, signal?: AbortSignal): Promise<boolean>; safetyPollMs: number }
}

export type WaitOutcome =
  | { kind: 'finished'; result: ExecutionResult; attempts: number }
  | { kind: 'timeout'; elapsedMs: number; sessionEnded: boolean; lastStatus?: number; result?: ExecutionResult; attempts: number }

const MIN_POLL_MS = 500

/**
 * Short gaps while the reload is young, growing to a tenth of the elapsed time, capped:
 * the step notices the end soon after it happens without hammering the central node.
 */
export function pollInterval(elapsedMs: number, maxMs: number, random: () => number): number {
  const base = Math.min(Math.max(elapsedMs / 10, MIN_POLL_MS), Math.max(maxMs, MIN_POLL_MS))
  return Math.round(base * (0.8 + 0.4 * random()))
}

/**
 * Qlik's documented wait: poll the execution session until it is gone (404), then read the
 * results of that execution. One result per attempt; the latest attempt decides. Results of
 * earlier runs never match: they belong to other execution ids.
 */
export async function waitForExecution(reader: ExecutionReader, executionId: string, options: WaitOptions): Promise<WaitOutcome> {
  const { clock, timeoutMs, maxPollIntervalMs } = options
  const random = options.random ?? Math.random
  const started = clock.now()
  let sessionEnded = false
  let lastStatus: number | undefined
  let latest: ExecutionResult | undefined
  let attempts = 0
  let woken = false
  const observe = (status: number | undefined): void => {
    if (status === undefined || status === lastStatus) return
    lastStatus = status
    options.onStatus?.(status)
  }

  for (;;) {
    options.signal?.throwIfAborted()
    if (!sessionEnded) {
      const session = await reader.executionSession(executionId)
      if (session) observe(session.executionResult?.status)
      else sessionEnded = true
    }
    // After a callback the result may be final while the session is still being removed: look at once.
    if (sessionEnded || woken) {
      // The session can vanish a moment before the last result shows its final status.
      const results = await reader.executionResults(executionId)
      attempts = results.length
      latest = latestAttempt(results)
      observe(latest?.status)
      if (latest && isFinal(latest.status)) return { kind: 'finished', result: latest, attempts }
    }
    const elapsed = clock.now() - started
    if (elapsed >= timeoutMs) return { kind: 'timeout', elapsedMs: elapsed, sessionEnded, lastStatus, result: latest, attempts }
    const { wakeUps } = options
    const gap = sessionEnded ? pollInterval(0, maxPollIntervalMs, random) * 2 : wakeUps ? wakeUps.safetyPollMs : pollInterval(elapsed, maxPollIntervalMs, random)
    const wait = Math.min(gap, timeoutMs - elapsed)
    if (wakeUps) woken = await wakeUps.sleep(wait, options.signal)
    else await clock.sleep(wait, options.signal)
  }
}

/** The latest attempt: by start time (an attempt not started yet is the newest), then stop time. */
export function latestAttempt(results: ExecutionResult[]): ExecutionResult | undefined {
  const time = (value: string | undefined): number => (isUnset(value) ? Infinity : Date.parse(value!))
  return results
    .map((result, index) => ({ result, index }))
    .sort((a, b) => time(a.result.startTime) - time(b.result.startTime) || time(a.result.stopTime) - time(b.result.stopTime) || a.index - b.index)
    .at(-1)?.result
}
