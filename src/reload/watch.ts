import type { ExecutionResult, ExecutionSession } from '../qrs/types.js'
import type { Clock } from '../util/clock.js'
import { isUnset } from './dates.js'
import { jittered, pollGap, type Forecast } from './schedule.js'

/**
 * The reads a wait needs; QrsApi (a view that does not retry: the wait rides out outages) in production,
 * a plain object in tests. The batched reads are optional: without them, several executions cost one
 * read each.
 */
export interface ExecutionReader {
  executionSession(id: string): Promise<ExecutionSession | undefined>
  executionResults(executionId: string): Promise<ExecutionResult[]>
  /** The sessions of these executions that still run (an ended one is missing). */
  executionSessionsOf?(ids: string[]): Promise<ExecutionSession[]>
  /** Every attempt's result of these executions. */
  executionResultsOf?(ids: string[]): Promise<ExecutionResult[]>
  /** The same reads, each cut at `deadline` (clock.now() terms): a wait's reads never outlive its timeout. */
  until?(deadline: number): ExecutionReader
}

export interface WaitOptions {
  timeoutMs: number
  maxPollIntervalMs: number
  clock: Clock
  /** Jitter source in [0, 1); parallel jobs must not poll in lockstep. */
  random?: () => number
  /** The previous run's duration (operational.lastExecutionResult): polls gather around its end. */
  expectedMs?: number
  /** The recent runs' median and spread (history.ts); takes the place of expectedMs. */
  forecast?: Forecast
  /** A forecast that comes later (the step's one read of its tasks' history): the gaps after it use it. */
  forecastLater?: Promise<Forecast | undefined>
  /** Called whenever the observed status changes. */
  onStatus?: (status: number) => void
  /** Called every `heartbeatMs` of a wait in which the status does not change (a long reload is not silent). */
  onHeartbeat?: (beat: Heartbeat) => void
  heartbeatMs?: number
  /** Aborts the wait (job cancelled): the promise rejects with the signal's reason. */
  signal?: AbortSignal
  /**
   * Push wake-ups: looks come when the poller is woken (a QRS callback), each a read of the results;
   * between them a slow poll every `safetyPollMs`, in case a callback is lost.
   */
  push?: { safetyPollMs: number }
  /** Where the two lines of an outage go (it stopped answering; it answers again). */
  log?: (line: string) => void
}

export type WaitOutcome =
  | { kind: 'finished'; result: ExecutionResult; attempts: number }
  | { kind: 'timeout'; elapsedMs: number; sessionEnded: boolean; lastStatus?: number; result?: ExecutionResult; attempts: number; unanswered?: string }

export interface Heartbeat {
  elapsedMs: number
  status?: number
  /** The node running it, when the session names it. */
  node?: string
}

/** Without history (see schedule.ts): short gaps while the reload is young, growing to a tenth of its age, capped. */
export function pollInterval(elapsedMs: number, maxMs: number, random: () => number): number {
  return jittered(pollGap(elapsedMs, undefined, { maxPollIntervalMs: maxMs }), random)
}

/** The latest attempt: by start time (an attempt not started yet is the newest), then stop time. */
export function latestAttempt(results: ExecutionResult[]): ExecutionResult | undefined {
  const time = (value: string | undefined): number => (isUnset(value) ? Infinity : Date.parse(value!))
  return results
    .map((result, index) => ({ result, index }))
    .sort((a, b) => time(a.result.startTime) - time(b.result.startTime) || time(a.result.stopTime) - time(b.result.stopTime) || a.index - b.index)
    .at(-1)?.result
}
