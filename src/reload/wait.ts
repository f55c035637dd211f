import { ExecutionPoller } from './poller.js'
import type { ExecutionReader, WaitOptions, WaitOutcome } from './watch.js'

export { latestAttempt, pollInterval, type ExecutionReader, type Heartbeat, type WaitOptions, type WaitOutcome } from './watch.js'

/**
 * Qlik's documented wait for one execution: poll its session until it is gone (404), then read its
 * results; one result per attempt, the latest attempt decides. Results of earlier runs never match:
 * they belong to other execution ids. An outage is ridden out up to the timeout: the execution runs on
 * without us. A poller of its own (poller.ts), which several executions of a step share instead.
 */
export function waitForExecution(reader: ExecutionReader, executionId: string, options: WaitOptions): Promise<WaitOutcome> {
  return new ExecutionPoller(reader, options.clock, options.random).wait(executionId, options)
}
