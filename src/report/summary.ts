import { formatDuration } from '../util/format.js'
import type { TargetRun } from './target-run.js'
import type { ChainNode } from '../chain/follow.js'
import type { LogExcerpt } from '../scriptlog/excerpt.js'
import type { Toolkit } from '../toolkit/toolkit.js'
import type { ReloadReport } from './report.js'
import { firstLine } from '../util/text.js'
import { escape, Html } from './html.js'
import { tablesHtml } from './tables.js'
import type { DataReport } from './target-run.js'

export interface SummaryInput {
  report?: ReloadReport
  /** Why the step failed, when it did. */
  failure?: string
  success: boolean
  excerpt?: LogExcerpt
  scriptLogNote?: string
  chain?: ChainNode[]
  /** The app's tables, when they were read, and the checks on them. */
  data?: DataReport
}

/** The job summary: what ran, how it ended, and on failure the lines that explain it. */
function renderSummary({ report, failure, success, excerpt, scriptLogNote, chain, data }: SummaryInput): string {
  const summary = new Html()
  const name = report?.taskName || report?.appName || 'Qlik Sense reload'
  summary.heading(`${success ? '✅' : '❌'} ${escape(name)}: ${escape(report?.status || (success ? 'started' : 'failed'))}`, 3)
  if (failure) summary.raw(`<p><strong>${escape(firstLine(failure))}</strong></p>`)
  if (report) {
    const when = (yes: unknown, row: [string, string]): [string, string][] => (yes ? [row] : [])
    const rows: [string, string][] = [
      ['Status', report.statusCode === null ? escape(report.status || '—') : `${escape(report.status)} (${report.statusCode})`],
      ...when(report.taskId, ['Task', `${escape(report.taskName)} <code>${escape(report.taskId)}</code>`]),
      ...when(report.appId, ['App', `${escape(report.appName || '')} <code>${escape(report.appId)}</code>`]),
      ...when(report.reloadMode === 'engine', ['Reload', `in the engine${report.partial ? ', partial' : ''}`]),
      ...when(report.executionId, ['Execution', `<code>${escape(report.executionId)}</code>`]),
      ['Started', escape(report.startedAt || '—')],
      ['Stopped', escape(report.stoppedAt || '—')],
      ['Duration', report.durationMs === null ? '—' : formatDuration(report.durationMs)],
      ['Node', escape(report.node || '—')],
      ['Attempts', String(Math.max(report.attempts, report.executionResultId ? 1 : 0))]
    ]
    summary.raw(`<table>${rows.map(([key, value]) => `<tr><th align="left">${key}</th><td>${value}</td></tr>`).join('')}</table>`)
    if (report.details.length > 0) {
      const items = report.details.map(d => `${d.type === 'error' ? '🔴 ' : d.type === 'warning' ? '🟠 ' : ''}${escape(d.message)}${d.time ? ` <sub>${escape(d.time)}</sub>` : ''}`)
      summary.details('Scheduler details', `<ul>${items.map(item => `<li>${item}</li>`).join('')}</ul>`)
    }
  }
  if (!success && excerpt && (excerpt.errorLines.length > 0 || excerpt.tail.length > 0)) {
    if (excerpt.errorLines.length > 0) summary.raw('<p>Script errors:</p>').code(escape(excerpt.errorLines.join('\n')))
    summary.details(`Last ${excerpt.tail.length} lines of the script log (${excerpt.lines} lines)`, `<pre>${escape(excerpt.tail.join('\n'))}</pre>`)
  }
  if (data) summary.raw(`<p><strong>Tables</strong></p>${tablesHtml(data)}`)
  if (chain) summary.raw(`<p><strong>Task chain</strong></p>${chainTree(chain)}`)
  if (scriptLogNote) summary.raw(`<p><sub>${escape(scriptLogNote)}</sub></p>`)
  return summary.toString()
}

/** The chain as nested lists: each task with its status, duration and the trigger that started it. */
function chainTree(nodes: ChainNode[]): string {
  if (nodes.length === 0) return '<p><sub>No task trigger fires on this outcome.</sub></p>'
  const item = (node: ChainNode): string => {
    const mark = node.failed ? '❌' : node.warning ? '⚠️' : node.status === 'FinishedSuccess' ? '✅' : '⚪'
    const facts = [node.status ? `${escape(node.status)}` : '', node.durationMs ? formatDuration(node.durationMs) : '', node.note ? `<em>${escape(node.note)}</em>` : '']
      .filter(Boolean)
      .join(' · ')
    const children = node.children.length > 0 ? `<ul>${node.children.map(item).join('')}</ul>` : ''
    return `<li>${mark} <strong>${escape(node.taskName)}</strong> <sub>via ${escape(node.eventName)}</sub>${facts ? ` — ${facts}` : ''}${children}</li>`
  }
  return `<ul>${nodes.map(item).join('')}</ul>`
}

/** Writes the summary; a run without GITHUB_STEP_SUMMARY (by hand) just skips it. */
export async function writeSummary(toolkit: Toolkit, input: SummaryInput): Promise<void> {
  await toolkit.writeSummary(renderSummary(input))
}

/** Several targets: one row each, then what explains each failure. */
export async function writeTargetsSummary(toolkit: Toolkit, runs: TargetRun[], failure?: string): Promise<void> {
  await toolkit.writeSummary(renderTargetsSummary(runs, failure))
}

function renderTargetsSummary(runs: TargetRun[], failure?: string): string {
  const failed = runs.filter(run => !run.success)
  const summary = new Html()
  summary.heading(failed.length === 0 ? `✅ ${runs.length} Qlik Sense reloads finished` : `❌ ${failed.length} of ${runs.length} Qlik Sense reloads failed`, 3)
  // A selection that failed as a whole (nothing started): why, above the rows.
  if (failure) summary.raw(`<p><strong>${escape(firstLine(failure))}</strong></p>`)
  const header = ['Target', 'Status', 'Started', 'Duration', 'Node', 'Execution'].map(h => `<th align="left">${h}</th>`).join('')
  const rows = runs.map(run => {
    const r = run.report
    const status = r?.status ? `${run.success ? '✅' : '❌'} ${escape(r.status)}` : `❌ ${run.started ? escape(run.error ? 'failed' : '—') : 'NotStarted'}`
    const cells = [
      escape(run.label),
      status,
      escape(r?.startedAt || '—'),
      r?.durationMs == null ? '—' : formatDuration(r.durationMs),
      escape(r?.node || '—'),
      r?.executionId ? `<code>${escape(r.executionId)}</code>` : '—'
    ]
    return `<tr>${cells.map(c => `<td>${c}</td>`).join('')}</tr>`
  })
  summary.raw(`<table><tr>${header}</tr>${rows.join('')}</table>`)
  for (const run of runs.filter(r => r.data)) summary.details(`Tables of ${escape(run.label)}${run.data!.checks.some(c => !c.held) ? ' ❌' : ''}`, tablesHtml(run.data!))
  for (const run of runs.filter(r => r.chain)) summary.details(`Task chain after ${escape(run.label)}`, chainTree(run.chain!))
  for (const run of failed) {
    const lines = [run.error, ...(run.report?.details ?? []).filter(d => d.type === 'error').map(d => d.message), ...(run.excerpt?.errorLines ?? [])].filter(Boolean) as string[]
    if (lines.length > 0) summary.details(`${escape(run.label)}: why it failed`, `<pre>${escape(lines.join('\n'))}</pre>`)
  }
  return summary.toString()
}
