import * as core from '@actions/core'
import type { Settings } from '../inputs/settings.js'
import type { TargetRun } from '../reload/target-run.js'
import { printScriptLog } from '../scriptlog/print.js'
import { failureAnnotation } from './annotation.js'
import { logReport } from './log.js'
import { setOutputs, setResult } from './outputs.js'
import { writeSummary, writeTargetsSummary } from './summary.js'
import { isSuccess } from '../reload/status.js'
import { chainNodes } from '../chain/follow.js'
import { infoUntrusted } from './untrusted.js'

/** Outputs, step log, annotations, job summary and the verdict, once every target has ended. */
export async function reportRuns(settings: Settings, runs: TargetRun[]): Promise<void> {
  if (runs.length === 1) await reportOne(settings, runs[0])
  else await reportMany(settings, runs)
  setResult(settings.singleTarget, runs)
}

async function reportOne(settings: Settings, run: TargetRun): Promise<void> {
  const { report } = run
  if (report) setOutputs(report)
  if (run.scriptLogPath) core.setOutput('script-log-path', run.scriptLogPath)
  if (run.error || !report) {
    const message = run.error ?? `${run.label}: no result.`
    core.setFailed(message)
    await bestEffort('write the job summary', () => writeSummary({ report, success: false, failure: message }))
    return
  }
  if (!run.result) {
    // wait: false
    await bestEffort('write the job summary', () => writeSummary({ report, success: true }))
    return
  }
  await core.group(`Result: ${report.status}`, async () => logReport(report))
  await printLog(settings, run)
  const reloadOk = isSuccess(run.result.status)
  if (reloadOk) infoUntrusted(`Reload task '${report.taskName}' finished successfully.`)
  else annotate(run)
  const chainProblem = reportChain(settings, run)
  const failure = !reloadOk ? failureOf(run) : run.success ? undefined : chainProblem
  await bestEffort('write the job summary', () => writeSummary({ report, success: run.success, failure, excerpt: run.excerpt, scriptLogNote: run.scriptLogNote, chain: run.chain }))
}

/** A failed task in the chain: an error (chain-failure: fail) or a warning (warn). Returns the text. */
function reportChain(settings: Settings, run: TargetRun): string | undefined {
  if (!run.chainFailed || !run.chain) return undefined
  const failed = chainNodes(run.chain).filter(node => node.failed)
  const text = `The task chain after '${run.label}' did not finish well: ${failed.map(node => `'${node.taskName}' ${node.status ?? ''}${node.note ? ` (${node.note})` : ''}`.trim()).join(', ')}.`
  const title = `Qlik task chain failed after ${run.label}`
  if (settings.chainFailure === 'fail') {
    core.error(text, { title })
    process.exitCode = core.ExitCode.Failure
  } else {
    core.warning(text, { title })
  }
  return text
}

async function reportMany(settings: Settings, runs: TargetRun[]): Promise<void> {
  for (const run of runs) {
    await core.group(`Result: ${run.label}: ${run.report?.status || 'failed'}`, async () => {
      if (run.report?.executionResultId) logReport(run.report)
      if (run.error) infoUntrusted(run.error)
    })
    await printLog(settings, run)
  }
  for (const run of runs) {
    if (run.error) core.error(run.error, { title: `Qlik reload failed: ${run.label}` })
    else if (run.result && !isSuccess(run.result.status)) annotate(run)
    reportChain(settings, run)
  }
  const failed = runs.filter(run => !run.success)
  if (failed.length > 0) {
    process.exitCode = core.ExitCode.Failure
  } else {
    core.info(`All ${runs.length} reloads finished successfully.`)
  }
  await bestEffort('write the job summary', () => writeTargetsSummary(runs))
}

async function printLog(settings: Settings, run: TargetRun): Promise<void> {
  if (run.scriptLogPath && (settings.scriptLog === 'always' || (settings.scriptLog === 'on-failure' && !run.success))) {
    await bestEffort('print the script log', () => printScriptLog(run.scriptLogPath!, run.scriptLogBytes ?? 0))
  }
}

/** Showing the result must not turn a good reload into a failed step: a summary or log print that fails is a warning. */
async function bestEffort(what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work()
  } catch (error) {
    core.warning(`Could not ${what}: ${(error as Error).message}`)
  }
}

function failureOf(run: TargetRun): string {
  return `Reload task '${run.report!.taskName}' ended with ${run.report!.status} (${run.report!.statusCode}), not FinishedSuccess.`
}

/** One annotation per failed reload: status, scheduler errors, script error lines and log tail. */
function annotate(run: TargetRun): void {
  const note = run.scriptLogNote?.startsWith('No script log') ? run.scriptLogNote : undefined
  core.error(failureAnnotation(run.report!, run.excerpt, note), { title: `Qlik reload failed: ${run.report!.taskName} (${run.report!.status})` })
  process.exitCode = core.ExitCode.Failure
}
