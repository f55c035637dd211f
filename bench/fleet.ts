/**
 * The fleet: 50 waits in parallel against one node. Ours: 5 steps of 10 `task-id` lines each with
 * `max-parallel: 10`; the reference: 50 fixed 1 s loops. Tasks of about 20 s (ends spread over a
 * second), each with five previous runs as for `ours, history`.
 */
import type { Scenario } from '../simulator/src/index.js'
import { APP, MACHINE, QUICK, SERVER_NAMES, bundle, certInputs, newSim, noticeLags, progress, rate } from './common.js'
import type { FleetRun } from './figures.js'
import { historyError, historyRuns, phaseOffsetMs } from './history.js'
import { FIXED_1S, runLoop } from './loops.js'
import { median } from './table.js'

const FLEET = QUICK ? 10 : 50
const FLEET_SECONDS = QUICK ? 4 : 20
const FLEET_PROCESSES = 5
const fleetTask = (i: number) => `d0000000-0000-4000-8000-${String(i).padStart(12, '0')}`

function fleetScenario(): Scenario {
  return {
    machineName: MACHINE,
    serverNames: SERVER_NAMES,
    apps: [{ id: APP, name: 'Bench' }],
    maxConcurrentReloads: FLEET,
    tasks: Array.from({ length: FLEET }, (_, i) => {
      const durationMs = FLEET_SECONDS * 1000 + phaseOffsetMs(i, FLEET)
      const history = historyRuns(durationMs, durationMs * (1 + historyError(i, FLEET)), 1)
      return {
        id: fleetTask(i),
        name: `Fleet ${i}`,
        appId: APP,
        runs: [{ attempts: [{ outcome: 7, durationMs }] }],
        previousRuns: history.slice(0, -1),
        previousRun: history.at(-1)
      }
    })
  }
}

/** Requests per second over the run, the busiest second, and the lag to the first read that named the ended execution. */
async function fleetRun(kind: 'ours' | 'fixed'): Promise<FleetRun> {
  const sim = await newSim(fleetScenario())
  try {
    const ids = Array.from({ length: FLEET }, (_, i) => fleetTask(i))
    let ok: boolean
    if (kind === 'ours') {
      const per = FLEET / FLEET_PROCESSES
      const runs = await Promise.all(
        Array.from({ length: FLEET_PROCESSES }, (_, p) => bundle({ ...certInputs(sim), 'task-id': ids.slice(p * per, (p + 1) * per).join('\n'), 'max-parallel': String(per) }))
      )
      ok = runs.every(r => r.run.code === 0)
    } else {
      const done = await Promise.all(ids.map(id => runLoop(sim, id, FIXED_1S)))
      ok = done.every(d => d.status === 7)
    }
    const { perSecond, peak, seconds } = rate(sim.requests.map(r => r.time))
    const executions = sim.state.results.filter(r => ids.includes(r.taskID.toLowerCase()) && r.executionID).map(r => r.executionID)
    const result = { ok, requests: sim.requests.length, perSecond, peak, lagP50Ms: median(noticeLags(sim, executions).filter(Number.isFinite)) }
    progress(
      `fleet ${kind}: ${result.requests} requests in ${seconds.toFixed(1)} s (${perSecond.toFixed(1)}/s, peak ${peak} in a second), lag p50 ${Math.round(result.lagP50Ms)} ms${ok ? '' : ' FAILED'}`
    )
    return result
  } finally {
    await sim.close()
  }
}

export async function fleetSection(): Promise<{ jobs: number; seconds: number; ours: FleetRun; fixed: FleetRun }> {
  const [ours, fixed] = await Promise.all([fleetRun('ours'), fleetRun('fixed')])
  return { jobs: FLEET, seconds: FLEET_SECONDS, ours, fixed }
}
