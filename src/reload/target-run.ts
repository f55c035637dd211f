import type { Target } from '../inputs/settings.js'
import type { ExecutionResult } from '../qrs/types.js'
import type { ReloadReport } from '../report/report.js'
import type { LogExcerpt } from '../scriptlog/excerpt.js'
import type { ChainNode } from '../chain/follow.js'
import type { StartedReload } from './start.js'

/** Everything one target's run produced, for the outputs, the log, the annotation and the summary. */
export interface TargetRun {
  target: Target
  /** How the target reads in log lines: the task name, app id, ... */
  label: string
  started?: StartedReload
  report?: ReloadReport
  result?: ExecutionResult
  /** The reload (and, with wait-for-chain, its chain) ended as wished. */
  success: boolean
  /** Why it failed when no final status says it (not found, did not start, timed out, stopped). */
  error?: string
  excerpt?: LogExcerpt
  scriptLogPath?: string
  scriptLogBytes?: number
  scriptLogNote?: string
  chain?: ChainNode[]
  /** A task in the chain failed or was still running at the timeout. */
  chainFailed?: boolean
}

export function describeTarget(target: Target): string {
  if (target.kind === 'task-name') return target.taskName
  return target.kind === 'task-id' ? `task ${target.taskId}` : `app ${target.appId}`
}

/** Runs `work` over `items` with at most `limit` at once, in order of the list. */
export async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++])
  })
  await Promise.all(lanes)
}
