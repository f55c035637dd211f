/**
 * Detection lag and QRS requests per run: 2 s, 20 s and 120 s reloads, ours with and without history,
 * push, against Qlik-Cli's fixed 1 s and the Airflow provider's 10 s / 30 s loops (bench/README.md).
 */
import type { Scenario, ScenarioPreviousRun } from '../simulator/src/index.js'
import { freePort } from '../__tests__/helpers/tinyproxy.js'
import { APP, MACHINE, QUICK, SERVER_NAMES, bundle, certInputs, errorLines, newSim, progress, requestMix, sleep, staggered } from './common.js'
import type { LagSample } from './figures.js'
import { historyError, historyRuns, phaseOffsetMs } from './history.js'
import { AIRFLOW, FIXED_1S, runLoop, type LoopStrategy } from './loops.js'
import { median, ms, type Row } from './table.js'

/** Reload durations (s) and samples per strategy. */
const DURATIONS: { seconds: number; samples: number }[] = QUICK
  ? [
      { seconds: 2, samples: 1 },
      { seconds: 4, samples: 1 },
      { seconds: 8, samples: 1 }
    ]
  : [
      { seconds: 2, samples: 3 },
      { seconds: 20, samples: 3 },
      { seconds: 120, samples: 2 }
    ]
const taskId = (seconds: number) => `b0000000-0000-4000-8000-${String(seconds).padStart(12, '0')}`

const HISTORY = 'ours, history'
const TIGHT = 'ours, tight history'
const LONGER = 'ours, run 3x longer'
const SHORTER = 'ours, run 3x shorter'
const NO_HISTORY = 'ours, no history'
const PUSH = 'ours (push)'
const STRATEGIES = [HISTORY, TIGHT, LONGER, SHORTER, NO_HISTORY, PUSH, FIXED_1S.name, AIRFLOW.name] as const
type Strategy = (typeof STRATEGIES)[number]
const OURS: readonly string[] = [HISTORY, TIGHT, LONGER, SHORTER, NO_HISTORY, PUSH]

/** The previous runs a strategy's task has for a reload of `ms` (sample `index` of `count`), or none. */
function previousRuns(strategy: Strategy, ms: number, index: number, count: number): ScenarioPreviousRun[] | undefined {
  const e = historyError(index, count)
  if (strategy === HISTORY) return historyRuns(ms, ms * (1 + e), 1)
  if (strategy === TIGHT) return historyRuns(ms, ms * (1 + e / 10), 0.1)
  if (strategy === LONGER) return historyRuns(ms, ms / 3, 0.1)
  if (strategy === SHORTER) return historyRuns(ms, ms * 3, 0.1)
  return undefined
}

/** Three tasks of about the bench durations (success), every duration shifted by `offsetMs`. */
function lagScenario(offsetMs: number, previous: (ms: number) => ScenarioPreviousRun[] | undefined): Scenario {
  return {
    machineName: MACHINE,
    serverNames: SERVER_NAMES,
    apps: [{ id: APP, name: 'Bench' }],
    tasks: DURATIONS.map(d => {
      const durationMs = d.seconds * 1000 + offsetMs
      const history = previous(durationMs)
      return {
        id: taskId(d.seconds),
        name: `Reload ${d.seconds} s`,
        appId: APP,
        runs: [{ attempts: [{ outcome: 7, durationMs }] }],
        ...(history ? { previousRuns: history.slice(0, -1), previousRun: history.at(-1) } : {})
      }
    })
  }
}

const samples: LagSample[] = []
let pushNotOn = 0

async function lagSample(strategy: Strategy, seconds: number, index: number, count: number): Promise<void> {
  const sim = await newSim(lagScenario(phaseOffsetMs(index, count), d => previousRuns(strategy, d, index, count)))
  const id = taskId(seconds)
  let sample: LagSample
  try {
    if (OURS.includes(strategy)) {
      const inputs = { ...certInputs(sim), 'task-id': id }
      if (strategy === PUSH) {
        const port = await freePort()
        Object.assign(inputs, { 'notify-listen': `127.0.0.1:${port}`, 'notify-url': `http://127.0.0.1:${port}/qlik-notify` })
      }
      const { run, exitAt } = await bundle(inputs)
      const result = sim.state.results.find(r => r.executionID === run.outputs['execution-id'])
      if (index === 0) progress(`${strategy} ${seconds} s #1 requests: ${requestMix(sim)}`)
      if (strategy === PUSH && !/Push wake-ups on/.test(run.stdout)) pushNotOn++
      const ok = run.code === 0 && run.outputs.status === 'FinishedSuccess' && !!result
      const note = ok ? undefined : `exit ${run.code}, status ${run.outputs.status}: ${errorLines(run)}`
      sample = { strategy, seconds, ok, lagMs: result ? exitAt - Date.parse(result.stopTime) : NaN, requests: sim.requests.length, ...(note ? { note } : {}) }
    } else {
      const loop: LoopStrategy = strategy === FIXED_1S.name ? FIXED_1S : AIRFLOW
      const done = await runLoop(sim, id, loop)
      const result = sim.state.results.find(r => r.executionID === done.executionId)
      const ok = done.status === 7 && !!result
      sample = { strategy, seconds, ok, lagMs: result ? done.endAt - Date.parse(result.stopTime) : NaN, requests: sim.requests.length }
    }
  } catch (error) {
    sample = { strategy, seconds, ok: false, lagMs: NaN, requests: sim.requests.length, note: String(error) }
  } finally {
    await sim.close()
  }
  samples.push(sample)
  progress(
    `${strategy.padEnd(20)} ${String(seconds).padStart(3)} s #${index + 1}: lag ${ms(sample.lagMs)}, ${sample.requests} requests${sample.ok ? '' : ` FAILED ${sample.note ?? ''}`}`
  )
}

function lagJobs(seconds: number, count: number): (() => Promise<void>)[] {
  const jobs: (() => Promise<void>)[] = []
  for (let i = 0; i < count; i++) for (const strategy of STRATEGIES) jobs.push(() => lagSample(strategy, seconds, i, count))
  return jobs
}

/**
 * The 2 s runs first, alone (their lag is hundreds of ms; a burst of spawns swamps it), one start every
 * 0.9 s; then the 120 s and the 20 s runs concurrently, 0.4 s apart. `whileLong` runs while the 120 s
 * reloads wait (NTLM, the big script log).
 */
export async function lagSection(whileLong: () => Promise<void>): Promise<{ samples: LagSample[]; pushNotOn: number }> {
  const [short, mid, long] = DURATIONS
  progress(`${short.seconds} s reloads: ${short.samples} samples x ${STRATEGIES.length} strategies`)
  await staggered(lagJobs(short.seconds, short.samples), 900)
  progress(`${long.seconds} s and ${mid.seconds} s reloads: ${long.samples} / ${mid.samples} samples x ${STRATEGIES.length} strategies, concurrently`)
  const longDone = staggered(lagJobs(long.seconds, long.samples), 400)
  await sleep(long.samples * STRATEGIES.length * 400)
  await staggered(lagJobs(mid.seconds, mid.samples), 400)
  await whileLong()
  await longDone
  return { samples, pushNotOn }
}

/** The lag table of one bundle's run: a column per strategy, the earlier targets and whether they were met. */
export function lagRows(all: LagSample[]): { header: Row; rows: Row[] } {
  const durations = [...new Set(all.map(s => s.seconds))].sort((a, b) => a - b)
  const of = (strategy: string, seconds: number) => all.filter(s => s.strategy === strategy && s.seconds === seconds)
  const okLags = (strategy: string, seconds: number) =>
    of(strategy, seconds)
      .filter(s => s.ok)
      .map(s => s.lagMs)
  const pct = (lag: number, seconds: number) => `${((lag / (seconds * 1000)) * 100).toFixed(1)} %`
  const failed = (strategy: string, seconds: number) => {
    const n = of(strategy, seconds).filter(s => !s.ok).length
    return n ? ` [${n} failed]` : ''
  }
  const mark = (met: boolean) => (met ? 'met' : 'MISSED')
  const rows: Row[] = []
  for (const seconds of durations) {
    const p50 = (s: string) => median(okLags(s, seconds))
    const max = (s: string) => Math.max(...okLags(s, seconds))
    const tenth = seconds * 100
    const n = of(HISTORY, seconds).length
    rows.push([
      `Lag p50, ${seconds} s reload (n=${n})`,
      ...STRATEGIES.map(s => `${ms(p50(s))} (${pct(p50(s), seconds)})${failed(s, seconds)}`),
      `history ≤ 300 ms; 3x longer/shorter ≤ ${ms(tenth)} (10 %)`,
      `history ${mark(p50(HISTORY) <= 300)}, tight ${mark(p50(TIGHT) <= 300)}, longer ${mark(p50(LONGER) <= tenth)}, shorter ${mark(p50(SHORTER) <= tenth)}`
    ])
    rows.push([
      `Lag max, ${seconds} s reload`,
      ...STRATEGIES.map(s => `${ms(max(s))} (${pct(max(s), seconds)})`),
      `3x longer/shorter ≤ ${ms(tenth)} (10 %)`,
      `longer ${mark(max(LONGER) <= tenth)}, shorter ${mark(max(SHORTER) <= tenth)}`
    ])
    const req = (s: string) => of(s, seconds).map(x => x.requests)
    const cell = (s: string) => {
      const r = req(s)
      const lo = Math.min(...r)
      const hi = Math.max(...r)
      return lo === hi ? `${lo}` : `${median(r)} (${lo}–${hi})`
    }
    const fixed = median(req(FIXED_1S.name))
    const share = seconds <= 2 ? 1 : seconds <= 20 ? 0.5 : 0.2
    rows.push([
      `Requests per run, ${seconds} s reload`,
      ...STRATEGIES.map(cell),
      `history ≤ ${share === 1 ? '' : `${share}x `}fixed 1 s (≤ ${(fixed * share).toFixed(1)})`,
      `history ${mark(median(req(HISTORY)) <= fixed * share)}, tight ${mark(median(req(TIGHT)) <= fixed * share)}`
    ])
  }
  return { header: ['Figure', ...STRATEGIES, 'Target', 'Met'], rows }
}
