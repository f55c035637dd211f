import { formatDuration } from '../util/format.js'
import type { Toolkit } from '../toolkit/toolkit.js'
import type { ReloadReport } from './report.js'
import { printUntrusted } from '../output/untrusted.js'

/** The execution as log lines: one line per fact, then the scheduler's details in time order. Names and messages are the server's. */
export function logReport(toolkit: Pick<Toolkit, 'info'>, report: ReloadReport): void {
  const lines: string[] = []
  const info = (line: string): number => lines.push(line)
  info(`Status:    ${report.status} (${report.statusCode})`)
  if (report.taskId) info(`Task:      ${report.taskName} (${report.taskId})`)
  if (report.appId) info(`App:       ${report.appName || '?'} (${report.appId})`)
  if (report.reloadMode === 'engine') info(`Reload:    in the engine${report.partial ? ', partial' : ''}`)
  if (report.executionId) info(`Execution: ${report.executionId}${report.attempts > 1 ? ` (${report.attempts} attempts)` : ''}`)
  if (report.startedAt) info(`Started:   ${report.startedAt}`)
  if (report.stoppedAt) info(`Stopped:   ${report.stoppedAt}`)
  if (report.durationMs !== null) info(`Duration:  ${formatDuration(report.durationMs)}`)
  if (report.node) info(`Node:      ${report.node}`)
  if (report.details.length > 0) {
    info('Scheduler details:')
    for (const detail of report.details) info(`  ${detail.time} [${detail.type}] ${detail.message}`)
  }
  printUntrusted(toolkit, ...lines)
}
