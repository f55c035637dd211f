/**
 * Many targets in one step: 1, 5 and 25 reload tasks of about 20 s (time in Started; ends spread over a
 * second), no history (NeverStarted), `max-parallel` = all of them, on a node with a slot for each.
 * Each run has a simulator of its own: every request it records is that step's.
 */
import type { Scenario } from '../simulator/src/index.js'
import { APP, MACHINE, QUICK, SERVER_NAMES, bundle, certInputs, errorLines, newSim, noticeLags, progress, rate, requestMix, staggered } from './common.js'
import type { TargetsRun } from './figures.js'

const TARGET_SECONDS = QUICK ? 4 : 20
const task = (i: number) => `c0000000-0000-4000-8000-${String(i).padStart(12, '0')}`

function scenario(count: number): Scenario {
  return {
    machineName: MACHINE,
    serverNames: SERVER_NAMES,
    apps: [{ id: APP, name: 'Bench' }],
    // One slot per target: the targets run side by side instead of queueing for the default 4.
    maxConcurrentReloads: Math.max(4, count),
    tasks: Array.from({ length: count }, (_, i) => ({
      id: task(i),
      name: `Target ${i}`,
      appId: APP,
      runs: [{ attempts: [{ outcome: 7, durationMs: TARGET_SECONDS * 1000 + Math.round(((i + 0.5) / count) * 1000 - 500) }] }]
    }))
  }
}

async function targetsRun(count: number): Promise<TargetsRun> {
  const sim = await newSim(scenario(count))
  try {
    const ids = Array.from({ length: count }, (_, i) => task(i))
    const { run } = await bundle({ ...certInputs(sim), 'task-id': ids.join('\n'), 'max-parallel': String(count) })
    const executions = sim.state.results.filter(r => ids.includes(r.taskID.toLowerCase())).map(r => r.executionID)
    const ok = run.code === 0 && executions.length === count && sim.state.results.filter(r => ids.includes(r.taskID.toLowerCase())).every(r => r.status === 7)
    if (!ok) progress(`${count} targets FAILED: exit ${run.code}: ${errorLines(run)}`)
    const { perSecond, peak } = rate(sim.requests.map(r => r.time))
    return { targets: count, ok, requests: sim.requests.length, perSecond, peak, lagsMs: noticeLags(sim, executions), mix: requestMix(sim) }
  } finally {
    await sim.close()
  }
}

/**
 * Five 1-target runs and the 5-target run together (a lag sample per target: five for each count),
 * then the 25-target run alone (its start is a burst of 25 lookups and starts; alone it measures the
 * step, not the neighbours).
 */
export async function targetsSection(): Promise<{ seconds: number; runs: TargetsRun[] }> {
  const singles = QUICK ? 1 : 5
  const first = await staggered([...Array.from({ length: singles }, () => () => targetsRun(1)), () => targetsRun(5)], 700)
  const runs = [...first, await targetsRun(25)]
  for (const r of runs) {
    const lags = [...r.lagsMs].sort((a, b) => a - b)
    progress(
      `${r.targets} target(s): ${r.requests} requests (${r.perSecond.toFixed(1)}/s, peak ${r.peak} in a second), lag p50 ${Math.round(lags[lags.length >> 1])} ms${r.ok ? '' : ' FAILED'}`
    )
  }
  progress(`  25 targets, requests: ${runs.at(-1)?.mix}`)
  return { seconds: TARGET_SECONDS, runs }
}
