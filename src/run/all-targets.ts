import { printUntrusted } from '../output/untrusted.js'
import type { TargetRun } from '../report/target-run.js'
import { pool } from '../util/pool.js'
import type { StepContext } from './context.js'
import type { TargetRunner } from './runner.js'
import { runTarget } from './target.js'

/** At most max-parallel targets at once; with fail-fast, the first failure stops the rest. */
export async function runAll(runner: TargetRunner, runs: TargetRun[], step: Omit<StepContext, 'signal' | 'multi'>): Promise<void> {
  const { settings, toolkit, cancel } = step
  const failFast = new AbortController()
  const context: StepContext = { ...step, signal: AbortSignal.any([cancel, failFast.signal]), multi: runs.length > 1 }
  await pool(runs, settings.maxParallel, async run => {
    if (cancel.aborted) return
    if (failFast.signal.aborted) {
      run.error = 'Not started: another target failed (fail-fast).'
      return
    }
    await runTarget(runner, run, context)
    if (!run.success && settings.failFast && !failFast.signal.aborted) {
      printUntrusted(toolkit, `${run.label} failed: stopping the other targets (fail-fast).`)
      failFast.abort(new Error('fail-fast'))
    }
  })
}
