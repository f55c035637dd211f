import { EMPTY_GUID, type ExecutionResult } from '../qrs/types.js'
import { isUnset, realTime } from '../reload/dates.js'
import { statusName } from '../reload/status.js'
import type { ReloadMode } from '../settings/engine.js'
import type { StartedReload } from './started.js'

export interface DetailLine {
  type: 'error' | 'warning' | 'info'
  message: string
  time: string
}

/** What the step reports about one execution: the outputs, the log lines and the `result` JSON. */
export interface ReloadReport {
  taskId: string
  taskName: string
  appId: string
  appName: string
  executionId: string
  executionResultId: string
  status: string
  statusCode: number | null
  startedAt: string
  stoppedAt: string
  durationMs: number | null
  node: string
  /** Attempts recorded for this execution (more than one when the task retried). */
  attempts: number
  details: DetailLine[]
  reloadMode: ReloadMode
  partial: boolean
}

const DETAIL_TYPES: DetailLine['type'][] = ['error', 'warning', 'info']

/** The report of a started reload with what is known of its outcome so far. */
export function buildReport(started: Pick<StartedReload, 'task' | 'app' | 'executionId' | 'mode' | 'partial'>, result?: ExecutionResult, attempts = 0): ReloadReport {
  const { task } = started
  const app = started.app ?? task?.app
  const startedAt = realTime(result?.startTime)
  const stoppedAt = realTime(result?.stopTime)
  const appId = app?.id ?? (result?.appID && result.appID !== EMPTY_GUID ? result.appID : '')
  return {
    taskId: task?.id ?? '',
    taskName: task?.name ?? '',
    appId,
    appName: app?.name ?? '',
    executionId: started.executionId,
    executionResultId: result?.id ?? '',
    status: result ? statusName(result.status) : '',
    statusCode: result ? result.status : null,
    startedAt,
    stoppedAt,
    durationMs: durationOf(result, startedAt, stoppedAt),
    node: result?.executingNodeName ?? '',
    attempts,
    details: sortedDetails(result),
    reloadMode: started.mode,
    partial: started.partial
  }
}

function durationOf(result: ExecutionResult | undefined, startedAt: string, stoppedAt: string): number | null {
  if (!result || !stoppedAt) return null
  if (typeof result.duration === 'number' && result.duration > 0) return result.duration
  return startedAt ? Date.parse(stoppedAt) - Date.parse(startedAt) : null
}

/** The QRS does not sort details: order them by time so the log reads as it happened. */
function sortedDetails(result?: ExecutionResult): DetailLine[] {
  return (result?.details ?? [])
    .map(detail => ({
      type: DETAIL_TYPES[detail.detailsType ?? 2] ?? 'info',
      message: (detail.message ?? '').trim(),
      time: isUnset(detail.detailCreatedDate) ? '' : realTime(detail.detailCreatedDate)
    }))
    .filter(detail => detail.message)
    .sort((a, b) => a.time.localeCompare(b.time))
}
