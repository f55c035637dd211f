import type { ExecutionResult, ExecutionSession } from '../qrs/types.js'
import type { Clock } from '../util/clock.js'
import { Outage, rideOut } from './outage.js'
import { StillDown } from '../util/errors.js'
import { isFinal } from './status.js'
import { isUnset } from './dates.js'
import { poll, type Polled } from '../util/poll.js'
import { jittered, nextGap, pollGap, type Forecast } from './schedule.js'

/** The two reads the wait needs; QrsApi (a view that does not retry: the wait rides out outages) in production, a plain object in tests. */
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
  /** The previous run's duration (operational.lastExecutionResult): polls gather around its end. */
  expectedMs?: number
  /** The recent runs' median and spread (history.ts); takes the place of expectedMs. */
  forecast?: Forecast
  /** Called whenever the observed status changes. */
  onStatus?: (status: number) => void
  /** Called every `heartbeatMs` of a wait in which the status does not change (a long reload is not silent). */
  onHeartbeat?: (beat: Heartbeat) => void
  heartbeatMs?: number
  /** Aborts the wait (job cancelled): the promise rejects with the signal's reason. */
  signal?: AbortSignal
  /**
   * Push wake-ups: a sleep that a QRS callback can end early (resolves true when woken). The gaps
   * are then `safetyPollMs`, a slow poll in case a callback is lost.
   */
  wakeUps?: { sleep(ms: number, signal?: AbortSignal): Promise<boolean>; safetyPollMs: number }
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

const HEARTBEAT_MS = 5 * 60_000

/**
 * Qlik's documented wait: poll the execution session until it is gone (404), then read the
 * results of that execution. One result per attempt; the latest attempt decides. Results of
 * earlier runs never match: they belong to other execution ids. An outage (5xx, 429, timeouts,
 * resets, refused connections) is ridden out up to the timeout: the execution runs on without us.
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
  let node: string | undefined
  let quietSince = started
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS
  const outage = new Outage(clock, options.log ?? (() => {}), `still waiting for execution ${executionId}`)
  const read = <T>(request: () => Promise<T>): Promise<T> => rideOut(request, { clock, deadline: started + timeoutMs, outage, signal: options.signal, random })
  const observe = (status: number | undefined): void => {
    if (status === undefined || status === lastStatus) return
    lastStatus = status
    quietSince = clock.now()
    options.onStatus?.(status)
  }

  const forecast = options.forecast ?? options.expectedMs
  const { wakeUps } = options
  let outcome: Polled<ExecutionResult | undefined>
  try {
    outcome = await poll({
      clock,
      signal: options.signal,
      deadline: started + timeoutMs,
      // With a forecast the first check is the schedule's rather than one at once: the start has just
      // answered, and a check now says nothing the forecast does not (one request fewer per run).
      firstGap: forecast !== undefined && !wakeUps ? nextGap(0, forecast, { maxPollIntervalMs }, random) : undefined,
      // Push: a sleep that a QRS callback can end early.
      sleep: wakeUps && (async (ms, abort) => void (woken = await wakeUps.sleep(ms, abort))),
      read: async () => {
        if (!sessionEnded) {
          const session = await read(() => reader.executionSession(executionId))
          if (session) {
            observe(session.executionResult?.status)
            node = session.executionResult?.executingNodeName || node
            if (options.onHeartbeat && clock.now() - quietSince >= heartbeatMs) {
              quietSince = clock.now()
              options.onHeartbeat({ elapsedMs: clock.now() - started, status: lastStatus, node })
            }
          } else sessionEnded = true
        }
        // After a callback the result may be final while the session is still being removed: look at once.
        if (!sessionEnded && !woken) return undefined
        // The session can vanish a moment before the last result shows its final status.
        const results = await read(() => reader.executionResults(executionId))
        attempts = results.length
        latest = latestAttempt(results)
        observe(latest?.status)
        return latest && isFinal(latest.status) ? latest : undefined
      },
      done: result => result !== undefined,
      // Session gone, result not final yet: a moment later. Push: the safety poll. Else the schedule.
      next: () =>
        sessionEnded ? pollInterval(0, maxPollIntervalMs, random) * 2 : wakeUps ? wakeUps.safetyPollMs : nextGap(clock.now() - started, forecast, { maxPollIntervalMs }, random)
    })
  } catch (error) {
    if (!(error instanceof StillDown)) throw error
    return { kind: 'timeout', elapsedMs: clock.now() - started, sessionEnded, lastStatus, result: latest, attempts, unanswered: error.message }
  }
  if (outcome.done && outcome.value) return { kind: 'finished', result: outcome.value, attempts }
  return { kind: 'timeout', elapsedMs: clock.now() - started, sessionEnded, lastStatus, result: latest, attempts }
}

/** The latest attempt: by start time (an attempt not started yet is the newest), then stop time. */
export function latestAttempt(results: ExecutionResult[]): ExecutionResult | undefined {
  const time = (value: string | undefined): number => (isUnset(value) ? Infinity : Date.parse(value!))
  return results
    .map((result, index) => ({ result, index }))
    .sort((a, b) => time(a.result.startTime) - time(b.result.startTime) || time(a.result.stopTime) - time(b.result.stopTime) || a.index - b.index)
    .at(-1)?.result
}
