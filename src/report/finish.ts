import type { Settings } from '../settings/settings.js'
import type { TargetRun } from './target-run.js'
import type { Toolkit } from '../toolkit/toolkit.js'
import { printScriptLog } from '../scriptlog/print.js'
import { failureAnnotation, failureSentence, reloadSubject } from './annotation.js'
import { logReport } from './log.js'
import { setResult, setRunOutputs } from './outputs.js'
import { writeSummary, writeTargetsSummary } from './summary.js'
import { isSuccess } from '../reload/status.js'
import { chainNodes } from '../chain/follow.js'
import { printUntrusted } from '../output/untrusted.js'
import { errorMessage } from '../util/errors.js'

/** Outputs, step log, annotations, job summary and the verdict, once every target has ended. */
export async function reportRuns(toolkit: Toolkit, settings: Settings, runs: TargetRun[]): Promise<void> {
  if (runs.length === 1) await reportOne(toolkit, settings, runs[0])
  else await reportMany(toolkit, settings, runs)
  setResult(toolkit, settings, runs)
}

async function reportOne(toolkit: Toolkit, settings: Settings, run: TargetRun): Promise<void> {
  const { report } = run
  setRunOutputs(toolkit, run)
  if (run.error || !report) {
    const message = run.error ?? `${run.label}: no result.`
    // A reload that ended (and then failed its checks or its save) is shown like any other.
    if (report && run.result) await toolkit.group(`Result: ${report.status}`, async () => logReport(toolkit, report))
    await printLog(toolkit, settings, run)
    toolkit.error(message, checkFailed(run) ? { title: `Qlik data check failed: ${run.label}` } : undefined)
    toolkit.fail()
    await bestEffort(toolkit, 'write the job summary', () =>
      writeSummary(toolkit, { report, success: false, failure: message, excerpt: run.excerpt, scriptLogNote: run.scriptLogNote, data: run.data })
    )
    return
  }
  if (!run.result) {
    // wait: false
    await bestEffort(toolkit, 'write the job summary', () => writeSummary(toolkit, { report, success: true }))
    return
  }
  await toolkit.group(`Result: ${report.status}`, async () => logReport(toolkit, report))
  await printLog(toolkit, settings, run)
  const reloadOk = isSuccess(run.result.status)
  if (reloadOk) printUntrusted(toolkit, `${reloadSubject(report)} finished successfully${report.reloadMode === 'engine' ? ' and was saved' : ''}.`)
  else annotate(toolkit, run)
  const chainProblem = reportChain(toolkit, settings, run)
  const failure = !reloadOk ? failureSentence(report) : run.success ? undefined : chainProblem
  await bestEffort(toolkit, 'write the job summary', () =>
    writeSummary(toolkit, { report, success: run.success, failure, excerpt: run.excerpt, scriptLogNote: run.scriptLogNote, chain: run.chain, data: run.data })
  )
}

/** A failed task in the chain: an error (chain-failure: fail) or a warning (warn). Returns the text. */
function reportChain(toolkit: Toolkit, settings: Settings, run: TargetRun): string | undefined {
  if (!run.chainFailed || !run.chain) return undefined
  const failed = chainNodes(run.chain).filter(node => node.failed)
  const text = `The task chain after '${run.label}' did not finish well: ${failed.map(node => `'${node.taskName}' ${node.status ?? ''}${node.note ? ` (${node.note})` : ''}`.trim()).join(', ')}.`
  const title = `Qlik task chain failed after ${run.label}`
  if (settings.chainFailure === 'fail') {
    toolkit.error(text, { title })
    toolkit.fail()
  } else {
    toolkit.warning(text, { title })
  }
  return text
}

async function reportMany(toolkit: Toolkit, settings: Settings, runs: TargetRun[]): Promise<void> {
  for (const run of runs) {
    await toolkit.group(`Result: ${run.label}: ${run.report?.status || 'failed'}`, async () => {
      if (run.report && run.result) logReport(toolkit, run.report)
      if (run.error) printUntrusted(toolkit, run.error)
    })
    await printLog(toolkit, settings, run)
  }
  for (const run of runs) {
    if (run.error) toolkit.error(run.error, { title: `${checkFailed(run) ? 'Qlik data check failed' : 'Qlik reload failed'}: ${run.label}` })
    else if (run.result && !isSuccess(run.result.status)) annotate(toolkit, run)
    reportChain(toolkit, settings, run)
  }
  const failed = runs.filter(run => !run.success)
  if (failed.length > 0) {
    toolkit.fail()
  } else {
    toolkit.info(`All ${runs.length} reloads finished successfully.`)
  }
  await bestEffort(toolkit, 'write the job summary', () => writeTargetsSummary(toolkit, runs))
}

async function printLog(toolkit: Toolkit, settings: Settings, run: TargetRun): Promise<void> {
  if (run.scriptLogPath && !run.scriptLogPrinted && (settings.scriptLog === 'always' || (settings.scriptLog === 'on-failure' && !run.success))) {
    await bestEffort(toolkit, 'print the script log', () => printScriptLog(toolkit, run.scriptLogPath!, run.scriptLogBytes ?? 0))
  }
}

/** The step failed before its targets could be reported (or was cancelled): the error, the verdict and the summary. */
export async function reportFailure(toolkit: Toolkit, message: string, runs: TargetRun[]): Promise<void> {
  toolkit.error(message)
  toolkit.fail()
  await writeSummary(toolkit, { report: runs[0]?.report, success: false, failure: message }).catch(e => toolkit.debug(`summary: ${errorMessage(e)}`))
}

/** Showing the result must not turn a good reload into a failed step: a summary or log print that fails is a warning. */
async function bestEffort(toolkit: Toolkit, what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work()
  } catch (error) {
    toolkit.warning(`Could not ${what}: ${(error as Error).message}`)
  }
}

const checkFailed = (run: TargetRun): boolean => run.data?.checks.some(check => !check.held) ?? false

/** One annotation per failed reload: status, scheduler errors, script error lines and log tail. */
function annotate(toolkit: Toolkit, run: TargetRun): void {
  const note = run.scriptLogNote?.startsWith('No script log') ? run.scriptLogNote : undefined
  toolkit.error(failureAnnotation(run.report!, run.excerpt, note), { title: `Qlik reload failed: ${run.label} (${run.report!.status})` })
  toolkit.fail()
}
