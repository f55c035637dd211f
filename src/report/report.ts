import { EMPTY_GUID, type AppRef, type ExecutionResult, type ReloadTask } from '../qrs/types.js'
import { isUnset, realTime } from '../reload/dates.js'
import { statusName } from '../reload/status.js'

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
}

const DETAIL_TYPES: DetailLine['type'][] = ['error', 'warning', 'info']

export function buildReport(task: ReloadTask, executionId: string, result?: ExecutionResult, attempts = 0, app: AppRef | undefined = task.app): ReloadReport {
  const startedAt = realTime(result?.startTime)
  const stoppedAt = realTime(result?.stopTime)
  const appId = app?.id ?? (result?.appID && result.appID !== EMPTY_GUID ? result.appID : '')
  return {
    taskId: task.id,
    taskName: task.name,
    appId,
    appName: app?.name ?? '',
    executionId,
    executionResultId: result?.id ?? '',
    status: result ? statusName(result.status) : '',
    statusCode: result ? result.status : null,
    startedAt,
    stoppedAt,
    durationMs: durationOf(result, startedAt, stoppedAt),
    node: result?.executingNodeName ?? '',
    attempts,
    details: sortedDetails(result)
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
