import type { TargetRun } from '../report/target-run.js'
import type { Settings } from '../settings/settings.js'
import type { Running, Tracker } from './context.js'
import type { SavedReload } from '../report/started.js'
import { markMainEnded, saveRunning, type StateStore } from './state.js'

/**
 * What the main step knows so far, kept as it goes: a cancellation needs it to clean up, and the post
 * step finds in the step's state which of our executions may still run (saved the moment that changes).
 */
export class Progress implements Tracker {
  settings?: Settings
  runs: TargetRun[] = []
  /** Our reloads that have not ended, by key. */
  readonly running = new Map<string, Running>()
  /** Of those, the ones main meant to stop and could not: the post step tries again. */
  readonly stopPending = new Set<string>()

  constructor(private readonly store: StateStore) {}

  started(running: Running): void {
    this.running.set(running.key, running)
    this.save()
  }

  ended(key: string): void {
    this.running.delete(key)
    this.save()
  }

  stopFailed(key: string): void {
    this.stopPending.add(key)
  }

  /** Rewrites the state's list of ours that may still run (not someone else's we attached to). */
  save(): void {
    saveRunning(this.ours(), this.store)
  }

  /** Main's last word (a kill never gets here): only what main could not stop is left to the post step. */
  end(): void {
    markMainEnded(
      [...this.running.values()].filter(r => !r.attached && this.stopPending.has(r.key)).map(r => r.saved),
      this.store
    )
  }

  private ours(): SavedReload[] {
    return [...this.running.values()].filter(r => !r.attached).map(r => r.saved)
  }
}
