import type { StartTarget } from '../inputs/parse-targets.js'
import type { App, ExecutionResult, ReloadTask } from '../qrs/types.js'
import type { ReloadReport } from './report.js'
import type { LogExcerpt } from '../scriptlog/excerpt.js'
import type { ChainNode } from '../chain/follow.js'
import type { StartedReload } from './started.js'
import type { TableRows } from '../engine/types.js'
import type { CheckOutcome } from '../engine/checks.js'

/** What a target resolved to before anything started (what is known of it when the lookup failed). */
export interface Resolved {
  taskId?: string
  taskName?: string
  appId?: string
  appName?: string
  /** The app's stream; null: not published. */
  stream?: string | null
  /** The input or selector that chose it: `task-name`, `task-tag 'Nightly'`, ... */
  from: string
  task?: ReloadTask
  app?: App
  /** performance.now() of the task's lookup: a start right after it need not look again. */
  lookedUpAt?: number
}

/** Dry run: what would happen to the target. */
export interface Plan {
  /** "start", "wait for execution … to end, then start", "attach to execution …", "none". */
  action: string
  wouldStart: boolean
  enabled: boolean | null
  /** The execution running now, if any. */
  runningExecutionId: string | null
  /** The server does not serve the session list: whether it runs is not known. */
  runningNotKnown?: boolean
  /** From `?privileges=true`; null: the server did not tell. */
  mayStart: boolean | null
  /** Why it would not start. */
  reasons: string[]
}

/** The app's tables as the step read them, and the expect-rows checks run on them. */
export interface DataReport {
  /** Before the reload (engine mode). */
  before?: TableRows[]
  /** After a successful reload. */
  after?: TableRows[]
  checks: CheckOutcome[]
}

/** Everything one target's run produced, for the outputs, the log, the annotation and the summary. */
export interface TargetRun {
  target: StartTarget
  /** How the target reads in log lines: the task name, app id, ... */
  label: string
  resolved?: Resolved
  /** Set by a dry run. */
  plan?: Plan
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
  /** The log's lines are in the step log already (an engine reload's progress): not printed again. */
  scriptLogPrinted?: boolean
  chain?: ChainNode[]
  /** A task in the chain failed or was still running at the timeout. */
  chainFailed?: boolean
  /** The tables read and the checks run on them, whenever the tables were read. */
  data?: DataReport
}
