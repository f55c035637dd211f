import * as core from '@actions/core'
import type { Settings } from '../inputs/settings.js'
import type { TargetRun } from '../reload/target-run.js'
import { setResult } from '../report/outputs.js'
import { writeSummary, writeTargetsSummary } from '../report/summary.js'

/** The selection failed as a whole: nothing started; every target gets its entry and its row, the step one error. */
export async function reportNotStarted(settings: Settings, runs: TargetRun[], failure: string): Promise<void> {
  setResult(settings.singleTarget, runs)
  core.setFailed(failure)
  if (settings.singleTarget) await writeSummary({ success: false, failure })
  else await writeTargetsSummary(runs, failure)
}
