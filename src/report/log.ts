import * as core from '@actions/core'
import { formatDuration } from '../inputs/duration.js'
import type { ReloadReport } from './report.js'

/** The execution as log lines: one line per fact, then the scheduler's details in time order. */
export function logReport(report: ReloadReport): void {
  core.info(`Status:    ${report.status} (${report.statusCode})`)
  core.info(`Task:      ${report.taskName} (${report.taskId})`)
  if (report.appId) core.info(`App:       ${report.appName || '?'} (${report.appId})`)
  core.info(`Execution: ${report.executionId}${report.attempts > 1 ? ` (${report.attempts} attempts)` : ''}`)
  if (report.startedAt) core.info(`Started:   ${report.startedAt}`)
  if (report.stoppedAt) core.info(`Stopped:   ${report.stoppedAt}`)
  if (report.durationMs !== null) core.info(`Duration:  ${formatDuration(report.durationMs)}`)
  if (report.node) core.info(`Node:      ${report.node}`)
  if (report.details.length > 0) {
    core.info('Scheduler details:')
    for (const detail of report.details) core.info(`  ${detail.time} [${detail.type}] ${detail.message}`)
  }
}
