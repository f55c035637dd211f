import type { QrsApi } from '../qrs/api.js'
import type { StopOutcome } from '../reload/stop.js'
import type { ReloadNames, SavedReload } from '../report/started.js'
import type { TargetRun } from '../report/target-run.js'
import type { Settings } from '../settings/settings.js'
import type { Toolkit } from '../toolkit/toolkit.js'
import type { Clock } from '../util/clock.js'
import { printUntrusted } from '../output/untrusted.js'
import type { PendingStart } from './pending-start.js'

/** One of our reloads that may still run: the cancel handler stops these, and the post step reads `saved`. */
export interface Running {
  /** The StartedReload's key. */
  key: string
  names: ReloadNames
  /** Someone else started it (if-running: attach): reported, never stopped. */
  attached: boolean
  saved: SavedReload
  /** Stops it after the job was cancelled (on connections the cancellation does not cut). */
  stop(waitMs: number): Promise<StopOutcome>
}

/** Where a target's reloads are tracked, by key: the state the post step reads is kept from it. */
export interface Tracker {
  /** A start of the target is about to be sent: recorded (and saved) first; `started` or `settled` ends it. */
  starting(run: TargetRun, start: PendingStart): void
  /** The target's start is over: its execution is known (`started` came first), or it failed. */
  settled(run: TargetRun): void
  started(running: Running): void
  ended(key: string): void
  /** A stop main decided on failed: the post step tries again. */
  stopFailed(key: string): void
}

/** What every target of the step shares. */
export interface StepContext {
  settings: Settings
  /** The run's calls: cut by a cancellation. */
  api: QrsApi
  toolkit: Toolkit
  clock: Clock
  /** Cancellation or fail-fast. */
  signal: AbortSignal
  /** Cancellation alone: the job's end is handled by the caller. */
  cancel: AbortSignal
  tracker: Tracker
  /** Several targets at once: their lines carry the target's name instead of groups (they run in parallel). */
  multi: boolean
}

/** One target's context: the step's, its run, and where its lines go. */
export interface TargetContext extends StepContext {
  run: TargetRun
  /** clock.now() when the target's turn came: its timeout counts from here. */
  startedAt: number
  /** A line about this target; server text, so through the gate. */
  info: (line: string) => void
  /** A log group of this target (a heading line when several run at once). */
  group: <T>(title: string, fn: () => Promise<T>) => Promise<T>
}

/** clock.now() when the target's timeout passes: every wait, read and download of the target ends by then. */
export function deadlineOf({ startedAt, settings }: Pick<TargetContext, 'startedAt' | 'settings'>): number {
  return startedAt + settings.timeoutMs
}

/** What is left of the target's timeout (never below 0). */
export function timeLeft(context: Pick<TargetContext, 'startedAt' | 'settings' | 'clock'>): number {
  return Math.max(0, deadlineOf(context) - context.clock.now())
}

export function targetContext(run: TargetRun, step: StepContext): TargetContext {
  const info = (line: string): void => printUntrusted(step.toolkit, step.multi ? `[${run.label}] ${line}` : line)
  return {
    ...step,
    run,
    startedAt: step.clock.now(),
    info,
    group: (title, fn) => (step.multi ? (info(title), fn()) : step.toolkit.group(title, fn))
  }
}
