import type { ExecutionResult } from '../qrs/types.js'
import type { StartedReload } from '../reload/start.js'
import type { StopOutcome } from '../reload/stop.js'
import type { WaitOutcome } from '../reload/wait.js'
import type { ScriptLog } from '../scriptlog/fetch.js'
import type { TargetContext } from './context.js'

/**
 * A way to run one target, behind the steps of target.ts (start, follow, stop, explain). The QRS task
 * scheduler (task-runner.ts) is the one there is; another way (the engine) implements the same methods,
 * so that the steps, the reports and the cancel handling stay as they are.
 */
export interface TargetRunner {
  /** Starts the target once (or attaches to its running execution): the execution this step follows. */
  start(context: TargetContext): Promise<StartedReload>
  /** Its latest status, without waiting (wait: false). */
  status(started: StartedReload): Promise<ExecutionResult | undefined>
  /** Waits for it to end, up to the timeout, telling its progress through the context. */
  follow(started: StartedReload, context: TargetContext): Promise<WaitOutcome>
  /**
   * Stops it, if it is still ours and running, and waits up to `waitMs` for its final status.
   * `afterCancel`: the job was cancelled, and the stop must not be cut by that.
   */
  stop(started: StartedReload, options: { waitMs: number; afterCancel: boolean; context: Pick<TargetContext, 'toolkit' | 'clock'> }): Promise<StopOutcome>
  /** What explains the outcome: its script log, saved under RUNNER_TEMP. */
  scriptLog(started: StartedReload, result: ExecutionResult, context: TargetContext): Promise<ScriptLog>
}
