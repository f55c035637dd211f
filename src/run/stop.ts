import type { ExecutionResult } from '../qrs/types.js'
import { describeStatus } from '../reload/status.js'
import type { StopOutcome } from '../reload/stop.js'
import type { ReloadNames } from '../report/started.js'
import { errorMessage } from '../util/errors.js'
import { firstLine } from '../util/text.js'

/** What a stop did, and the sentence that says it. */
export type Explained = { kind: 'stopped' | 'already-ended'; result?: ExecutionResult; message: string } | { kind: 'failed'; message: string }

export interface StopStory {
  /** Why it is stopped, the sentence's start: "The job was cancelled", "Another target failed (fail-fast)". */
  why: string
  /** How the reload is named (a task's run, an engine reload). */
  names: ReloadNames
  /** What happens after a stop that failed: "The post step will try again." */
  afterFailure: string
}

/**
 * Stops one of our executions and says what happened in one sentence, the same way for each reason to
 * stop (the job cancelled, the post step, the timeout, fail-fast): stopped, left alone because it had
 * already ended (another run of the task may be going), or the stop failed.
 */
export async function stopAndExplain(stop: () => Promise<StopOutcome>, { why, names, afterFailure }: StopStory): Promise<Explained> {
  let outcome: StopOutcome
  try {
    outcome = await stop()
  } catch (error) {
    return { kind: 'failed', message: `${why}, and stopping ${names.subject} failed: ${firstLine(errorMessage(error))}. ${afterFailure}` }
  }
  const { alreadyEnded, result } = outcome
  const now = result ? `, now ${describeStatus(result.status)}` : ''
  return alreadyEnded
    ? { kind: 'already-ended', result, message: `${why}; ${names.ended} had already ended${now}: ${names.notSent}.` }
    : { kind: 'stopped', result, message: `${why}: stopped ${names.subject}${now}.${names.afterStop ? ` ${names.afterStop}` : ''}` }
}
