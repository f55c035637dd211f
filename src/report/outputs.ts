import type { Toolkit } from '../toolkit/toolkit.js'
import type { ReloadReport } from './report.js'

/** Sets every output the action declares; values unknown yet are empty strings. */
export function setOutputs(toolkit: Toolkit, report: ReloadReport): void {
  const outputs: Record<string, string> = {
    status: report.status,
    'status-code': report.statusCode === null ? '' : String(report.statusCode),
    'task-id': report.taskId,
    'task-name': report.taskName,
    'app-id': report.appId,
    'execution-id': report.executionId,
    'execution-result-id': report.executionResultId,
    'started-at': report.startedAt,
    'stopped-at': report.stoppedAt,
    'duration-ms': report.durationMs === null ? '' : String(report.durationMs),
    node: report.node,
    result: JSON.stringify(report)
  }
  for (const [name, value] of Object.entries(outputs)) toolkit.setOutput(name, value)
}
