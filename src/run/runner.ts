import type { TableRows } from '../engine/types.js'
import type { ExecutionResult } from '../qrs/types.js'
import type { StopOutcome } from '../reload/stop.js'
import type { WaitOutcome } from '../reload/wait.js'
import type { StartedReload } from '../report/started.js'
import type { ScriptLog } from '../scriptlog/fetch.js'
import type { TargetContext } from './context.js'

/**
 * A way to run one target, behind the steps of target.ts (start, follow, stop, check, save, explain): the
 * QRS task scheduler (task-runner.ts), or the action itself in the engine (engine-runner.ts). The steps,
 * the reports, the cancel handling and the post step's state stay the same for both; each runner gets
 * back the StartedReload it made (`S`, with its own details).
 */
export interface TargetRunner<S extends StartedReload = StartedReload> {
  /** Starts the target once (or attaches to its running execution): the reload this step follows. */
  start(context: TargetContext): Promise<S>
  /** Its latest status, without waiting (wait: false). */
  status(started: S): Promise<ExecutionResult | undefined>
  /** Waits for it to end, up to the timeout, telling its progress through the context. */
  follow(started: S, context: TargetContext): Promise<WaitOutcome>
  /**
   * Stops it, if it is still ours and running, and waits up to `waitMs` for its final status.
   * `afterCancel`: the job was cancelled, and the stop must not be cut by that.
   */
  stop(started: S, options: { waitMs: number; afterCancel: boolean; context: Pick<TargetContext, 'toolkit' | 'clock'> }): Promise<StopOutcome>
  /**
   * The app's tables after a successful reload, where this way reads them (the engine: always, on its
   * session; the scheduler: for expect-rows, in a session of their own); undefined where it does not.
   */
  tablesAfter(started: S, context: TargetContext): Promise<TableRows[] | undefined>
  /** Makes a successful reload that passed its checks last: the engine saves the app; the scheduler has saved a task's reload itself. */
  save(started: S, context: TargetContext): Promise<void>
  /** What explains the outcome, saved under RUNNER_TEMP; undefined where there is none to fetch (an external program). */
  scriptLog(started: S, result: ExecutionResult, context: TargetContext): Promise<ScriptLog | undefined>
  /** Lets go of what the target holds (an engine session) once its steps are over; a reload still running is stop()'s. */
  release(started: S): Promise<void>
}
