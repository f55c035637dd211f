import type { TableRows } from '../engine/types.js'
import type { Settings } from '../settings/settings.js'
import type { Toolkit } from '../toolkit/toolkit.js'
import type { ReloadReport } from './report.js'
import type { DetailLine } from './report.js'
import type { TargetRun } from './target-run.js'

/**
 * One entry of the `result` output. Every entry has every key, named like the outputs; null where
 * the value is not known (a target that never started, a dry run).
 */
interface ResultEntry {
  target: string
  'task-id': string | null
  'task-name': string | null
  'app-id': string | null
  'app-name': string | null
  stream: string | null
  /** The final status name; `NotStarted` for a target that never started, `DryRun` in a dry run. */
  status: string | null
  'status-code': number | null
  'execution-id': string | null
  'execution-result-id': string | null
  'started-at': string | null
  'stopped-at': string | null
  'duration-ms': number | null
  node: string | null
  attempts: number
  details: DetailLine[]
  success: boolean
  error: string | null
  'script-log-path': string | null
  /** Dry run: what the step would do. */
  'planned-action': string | null
  /** Dry run: whether the user may start it (`?privileges=true`); null: not known. */
  'may-start': boolean | null
  'reload-mode': string
  partial: boolean
  /** The app's tables as last read (after the reload, else before it); null when they were not read. */
  tables: TableRows[] | null
}

const known = (value: string | undefined | null): string | null => value || null

/** The entry of one execution's report (the single-target `result` while it runs). */
function reportEntry(report: ReloadReport, target = report.taskName): ResultEntry {
  return {
    target,
    'task-id': known(report.taskId),
    'task-name': known(report.taskName),
    'app-id': known(report.appId),
    'app-name': known(report.appName),
    stream: null,
    status: known(report.status),
    'status-code': report.statusCode,
    'execution-id': known(report.executionId),
    'execution-result-id': known(report.executionResultId),
    'started-at': known(report.startedAt),
    'stopped-at': known(report.stoppedAt),
    'duration-ms': report.durationMs,
    node: known(report.node),
    attempts: report.attempts,
    details: report.details,
    success: false,
    error: null,
    'script-log-path': null,
    'planned-action': null,
    'may-start': null,
    'reload-mode': report.reloadMode,
    partial: report.partial,
    tables: null
  }
}

/** The entry of a target, started or not: what its report says, else what its lookup found. */
function resultEntry(run: TargetRun, settings: Pick<Settings, 'reloadMode' | 'partial'>): ResultEntry {
  const r = run.resolved
  const base: ResultEntry = run.report
    ? reportEntry(run.report, run.label)
    : { ...reportEntry(emptyReport(settings), run.label), 'task-id': known(r?.taskId), 'task-name': known(r?.taskName), 'app-id': known(r?.appId), 'app-name': known(r?.appName) }
  return {
    ...base,
    'app-name': base['app-name'] ?? known(r?.appName),
    stream: r?.stream ?? null,
    status: run.plan ? 'DryRun' : (base.status ?? (run.started ? null : 'NotStarted')),
    success: run.success,
    error: run.error ?? (run.plan && run.plan.reasons.length > 0 ? run.plan.reasons.join('; ') : null),
    'script-log-path': known(run.scriptLogPath),
    'planned-action': run.plan?.action ?? null,
    'may-start': run.plan?.mayStart ?? null,
    tables: run.data?.after ?? run.data?.before ?? null
  }
}

function emptyReport(settings: Pick<Settings, 'reloadMode' | 'partial'>): ReloadReport {
  return {
    taskId: '',
    taskName: '',
    appId: '',
    appName: '',
    executionId: '',
    executionResultId: '',
    status: '',
    statusCode: null,
    startedAt: '',
    stoppedAt: '',
    durationMs: null,
    node: '',
    attempts: 0,
    details: [],
    reloadMode: settings.reloadMode,
    partial: settings.partial
  }
}

/** Sets every output the action declares; values unknown yet are empty strings. */
export function setOutputs(toolkit: Toolkit, report: ReloadReport): void {
  const outputs: Record<string, string> = {
    status: report.status,
    'status-code': report.statusCode === null ? '' : String(report.statusCode),
    'task-id': report.taskId,
    'task-name': report.taskName,
    'app-id': report.appId,
    'app-name': report.appName,
    'execution-id': report.executionId,
    'execution-result-id': report.executionResultId,
    'started-at': report.startedAt,
    'stopped-at': report.stoppedAt,
    'duration-ms': report.durationMs === null ? '' : String(report.durationMs),
    node: report.node,
    result: JSON.stringify(reportEntry(report))
  }
  for (const [name, value] of Object.entries(outputs)) toolkit.setOutput(name, value)
}

/** A single target's outputs: its report (when there is one) and script-log-path (a fetched log, or engine mode's progress log). */
export function setRunOutputs(toolkit: Toolkit, run: Pick<TargetRun, 'report' | 'scriptLogPath' | 'started'>): void {
  if (run.report) setOutputs(toolkit, run.report)
  const logPath = run.scriptLogPath ?? run.started?.logPath
  if (logPath) toolkit.setOutput('script-log-path', logPath)
}

/** `result`: one object for a single named target, else an array with one entry per target. */
export function setResult(toolkit: Toolkit, settings: Pick<Settings, 'singleTarget' | 'reloadMode' | 'partial'>, runs: TargetRun[]): void {
  const entries = runs.map(run => resultEntry(run, settings))
  toolkit.setOutput('result', JSON.stringify(settings.singleTarget && entries.length === 1 ? entries[0] : entries))
}
