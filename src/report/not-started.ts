import type { Settings } from '../settings/settings.js'
import type { TargetRun } from './target-run.js'
import { setResult } from './outputs.js'
import { writeSummary, writeTargetsSummary } from './summary.js'
import type { Toolkit } from '../toolkit/toolkit.js'

/** The selection failed as a whole: nothing started; every target gets its entry and its row, the step one error. */
export async function reportNotStarted(toolkit: Toolkit, settings: Settings, runs: TargetRun[], failure: string): Promise<void> {
  setResult(toolkit, settings, runs)
  toolkit.error(failure)
  toolkit.fail()
  if (settings.singleTarget) await writeSummary(toolkit, { success: false, failure })
  else await writeTargetsSummary(toolkit, runs, failure)
}
