import type { SavedReload } from '../report/started.js'
import type { TargetRun } from '../report/target-run.js'
import type { Settings } from '../settings/settings.js'
import type { Running, Tracker } from './context.js'
import type { PendingStart } from './pending-start.js'
import { markMainEnded, saveRunning, type StateStore } from './state.js'

/**
 * What the main step knows so far, kept as it goes: a cancellation needs it to clean up, and the post
 * step finds in the step's state which of our reloads may still run, and which starts were sent
 * without an answer yet (saved the moment that changes, a start before it goes out).
 */
export class Progress implements Tracker {
  settings?: Settings
  runs: TargetRun[] = []
  /** Our reloads that have not ended, by key. */
  readonly running = new Map<string, Running>()
  /** Of those, the ones main meant to stop and could not: the post step tries again. */
  readonly stopPending = new Set<string>()
  /** Starts sent whose execution is not known yet, by target. */
  readonly pending = new Map<TargetRun, PendingStart>()
  /** Of those, the ones a cancellation could not settle (nothing found yet, or its stop failed): the post step looks again. */
  readonly pendingLeft = new Set<TargetRun>()

  constructor(private readonly store: StateStore) {}

  starting(run: TargetRun, start: PendingStart): void {
    this.pending.set(run, start)
    this.save()
  }

  settled(run: TargetRun): void {
    if (this.pending.delete(run)) this.save()
  }

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

  /** Rewrites the state's lists of ours that may still run (not someone else's we attached to) and of starts in flight. */
  save(): void {
    saveRunning({ executions: this.ours().map(r => r.saved), starts: [...this.pending.values()].map(start => start.record) }, this.store)
  }

  /** Main's last word (a kill never gets here): only what main could not stop or settle is left to the post step. */
  end(): void {
    markMainEnded(
      {
        executions: this.ours()
          .filter(r => this.stopPending.has(r.key))
          .map((r): SavedReload => r.saved),
        starts: [...this.pending].filter(([run]) => this.pendingLeft.has(run)).map(([, start]) => start.record)
      },
      this.store
    )
  }

  private ours(): Running[] {
    return [...this.running.values()].filter(r => !r.attached)
  }
}
