import type { LogExcerpt } from '../scriptlog/excerpt.js'
import type { ReloadReport } from './report.js'

/**
 * The text of the failure annotation: the status, the scheduler's error details, and from the
 * script log the error lines and the last lines. Bounded: annotations are cut by GitHub.
 */
export function failureAnnotation(report: ReloadReport, excerpt?: LogExcerpt, logNote?: string): string {
  const parts = [failureSentence(report)]
  const errors = report.details.filter(detail => detail.type === 'error').map(detail => detail.message)
  if (errors.length > 0) parts.push(`Scheduler:\n${indent(errors)}`)
  if (excerpt?.errorLines.length) parts.push(`Script errors:\n${indent(excerpt.errorLines)}`)
  if (excerpt?.tail.length) parts.push(`Last lines of the ${report.reloadMode === 'engine' ? "reload's progress" : 'script log'}:\n${indent(excerpt.tail.slice(-10))}`)
  if (logNote) parts.push(logNote)
  const text = parts.join('\n')
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text
}

/** Why the step failed, in one sentence: the annotation's first line and the summary's. */
export function failureSentence(report: ReloadReport): string {
  return `${reloadSubject(report)} ended with ${report.status} (${report.statusCode}), not FinishedSuccess.`
}

/** "Reload task 'Reload Sales'", or "Engine reload of app 'Sales'" (partial). */
export function reloadSubject(report: ReloadReport): string {
  if (report.reloadMode === 'task') return `Reload task '${report.taskName}'`
  return `${report.partial ? 'Partial engine' : 'Engine'} reload of app '${report.appName || report.appId}'`
}

function indent(lines: string[]): string {
  return lines.map(line => `  ${line}`).join('\n')
}
