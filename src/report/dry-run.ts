import type { Settings } from '../settings/settings.js'
import type { QrsApi } from '../qrs/api.js'
import { eqGuid } from '../qrs/filter.js'
import { asExternalPrograms, type Privileges, type ReloadTask } from '../qrs/types.js'
import type { Plan, TargetRun } from './target-run.js'
import { setResult } from './outputs.js'
import { escape, Html } from './html.js'
import { printUntrusted } from '../output/untrusted.js'
import type { Toolkit } from '../toolkit/toolkit.js'
import { mayBeRunning } from '../reload/start.js'
import type { EngineConnector } from '../engine/connector.js'
import { planEngineApp } from './engine-plan.js'

/**
 * Dry run: for each resolved target, whether it would start (enabled, not running or what if-running
 * does about it, the user's right to start it where the server tells), printed as one table in the log
 * and the job summary. Only reads: nothing is started or stopped.
 */
export async function dryRun(toolkit: Toolkit, api: QrsApi, settings: Settings, runs: TargetRun[], engine: EngineConnector): Promise<void> {
  await toolkit.group(`Dry run: check ${runs.length} target${runs.length === 1 ? '' : 's'}`, async () => {
    for (const run of runs) {
      const { taskId, appId, appName } = run.resolved!
      if (taskId) run.plan = await planTask(toolkit, api, settings, taskId)
      else if (settings.reloadMode === 'engine') run.plan = await planEngineApp(api, engine, settings, { id: appId!, name: appName }, toolkit)
      else run.plan = await planApp(api, appId!)
      run.success = run.plan.wouldStart
    }
  })
  const table = planRows(runs)
  // Names come from the server: printed with runner commands off.
  printUntrusted(toolkit, ...textTable(table).split('\n'))
  setResult(toolkit, settings, runs)
  const blocked = runs.filter(run => !run.plan!.wouldStart)
  const verdict =
    blocked.length === 0
      ? `Dry run: all ${runs.length} target${runs.length === 1 ? '' : 's'} would start. Nothing was started.`
      : `Dry run: ${blocked.length} of ${runs.length} target${runs.length === 1 ? '' : 's'} would not start. Nothing was started.\n${blocked.map(run => `- ${run.label}: ${run.plan!.reasons.join('; ')}`).join('\n')}`
  if (blocked.length > 0) {
    toolkit.error(verdict)
    toolkit.fail()
  } else printUntrusted(toolkit, verdict)
  await writePlanSummary(toolkit, table, verdict, blocked.length === 0)
}

const update = (privileges: Privileges | undefined): boolean | null => (Array.isArray(privileges) ? privileges.some(p => p.toLowerCase() === 'update') : null)

async function planTask(toolkit: Toolkit, api: QrsApi, settings: Settings, taskId: string): Promise<Plan> {
  const filter = eqGuid('id', taskId)
  let [task]: (ReloadTask | undefined)[] = await api.reloadTasks(filter, true)
  if (!task) [task] = asExternalPrograms(await api.externalProgramTasks(filter, true))
  if (!task) return { action: 'none', wouldStart: false, enabled: null, runningExecutionId: null, mayStart: null, reasons: ['the task is no longer visible to this user'] }
  const reasons: string[] = []
  const enabled = task.enabled !== false
  if (!enabled) reasons.push('the task is disabled (QMC > Tasks > Edit > Enabled)')
  const mayStart = update(task.privileges)
  if (mayStart === false) reasons.push('the signed-in user may not start it (no update right on the task)')
  const sessions = await api.taskExecutionSessions(task)
  const running = 'notKnown' in sessions ? undefined : sessions[0]
  if ('notKnown' in sessions) {
    toolkit.warning(`Could not check whether task '${task.name}' is already running (${sessions.notKnown}).`)
    // As the start would: if-running: fail does not start when a run cannot be ruled out.
    if (settings.ifRunning === 'fail' && mayBeRunning(task)) reasons.push(`whether it is running could not be checked and if-running is 'fail'`)
  }
  let action = 'start'
  if (running) {
    if (settings.ifRunning === 'fail') reasons.push(`it is already running (execution ${running.id}) and if-running is 'fail'`)
    action =
      settings.ifRunning === 'attach'
        ? `attach to execution ${running.id} (if-running: attach)`
        : settings.ifRunning === 'wait'
          ? `wait for execution ${running.id} to end, then start`
          : 'none'
  }
  return {
    action: reasons.length > 0 ? 'none' : action,
    wouldStart: reasons.length === 0,
    enabled,
    runningExecutionId: running?.id ?? null,
    runningNotKnown: 'notKnown' in sessions,
    mayStart,
    reasons
  }
}

/** An app reload runs QMC's "Reload now": the right to update the app, and no reload of it running. */
async function planApp(api: QrsApi, appId: string): Promise<Plan> {
  const app = await api.app(appId, true)
  if (!app) return { action: 'none', wouldStart: false, enabled: null, runningExecutionId: null, mayStart: null, reasons: ['the app is no longer visible to this user'] }
  const reasons: string[] = []
  const mayStart = update(app.privileges)
  if (mayStart === false) reasons.push('the signed-in user may not reload it (no update right on the app)')
  const [running] = await api.appExecutionSessions(appId)
  if (running) reasons.push(`a reload of the app is already running (execution ${running.id})`)
  return {
    action: reasons.length > 0 ? 'none' : 'reload the app (Reload now)',
    wouldStart: reasons.length === 0,
    enabled: null,
    runningExecutionId: running?.id ?? null,
    mayStart,
    reasons
  }
}

const HEADER = ['Target', 'Id', 'Stream', 'Selected by', 'Enabled', 'Running', 'May start', 'Plan']

function planRows(runs: TargetRun[]): string[][] {
  const yesNo = (value: boolean | null): string => (value === null ? 'not known' : value ? 'yes' : 'no')
  return runs.map(run => {
    const { resolved: r, plan: p } = run as Required<Pick<TargetRun, 'resolved' | 'plan'>>
    const name = r.taskName ?? `app '${r.appName}'`
    const id = r.taskId ?? r.appId ?? ''
    const stream = r.taskId ? '—' : (r.stream ?? 'not published')
    const enabled = p.enabled === null ? '—' : yesNo(p.enabled)
    const plan = p.wouldStart ? p.action : `would not start: ${p.reasons.join('; ')}`
    return [name, id, stream, r.from, enabled, p.runningExecutionId ?? (p.runningNotKnown ? 'not known' : 'no'), yesNo(p.mayStart), plan]
  })
}

/** A plain-text table for the log: columns padded to their widest cell. */
function textTable(rows: string[][]): string {
  const all = [HEADER, ...rows]
  const widths = HEADER.map((_, i) => Math.max(...all.map(row => row[i].length)))
  const line = (row: string[]): string => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')
  return [line(HEADER), widths.map(w => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

async function writePlanSummary(toolkit: Toolkit, rows: string[][], verdict: string, ok: boolean): Promise<void> {
  const summary = new Html()
  const [headline, ...why] = verdict.split('\n')
  summary.heading(`${ok ? '✅' : '❌'} ${escape(headline)}`, 3)
  const cells = (row: string[], tag: string): string => `<tr>${row.map(cell => `<${tag} align="left">${escape(cell)}</${tag}>`).join('')}</tr>`
  summary.raw(`<table>${cells(HEADER, 'th')}${rows.map(row => cells(row, 'td')).join('')}</table>`)
  if (why.length > 0) summary.raw(`<ul>${why.map(line => `<li>${escape(line.replace(/^- /, ''))}</li>`).join('')}</ul>`)
  await toolkit.writeSummary(summary.toString())
}
