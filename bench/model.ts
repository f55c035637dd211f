/**
 * `npm run bench:model`: the schedule alone (src/reload/schedule.ts), no simulator, no processes: for
 * 2 / 20 / 120 s reloads, poll lag (first poll at or after the end, minus the end) and polls per run,
 * with the forecast from the last run or from the median and spread of the last five, the runs varying
 * by ±10 % (uniform, independent). 2,000 runs per cell, seeded. Tuning aid: the bench measures the rest.
 */
import { forecastFrom, nextGap, type Forecast } from '../src/reload/schedule.js'

const settings = { maxPollIntervalMs: 15_000 }
let seed = 42
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31

function simulate(durationMs: number, forecast: Forecast | undefined): { lag: number; polls: number } {
  let t = 0
  let polls = 0
  for (;;) {
    t += nextGap(t, forecast, settings, random)
    polls++
    if (t >= durationMs) return { lag: t - durationMs, polls }
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]
const p = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))]
const VARIANCE = Number(process.argv[2] ?? 0.1)

for (const seconds of [2, 20, 120]) {
  const nominal = seconds * 1000
  const draw = () => nominal * (1 + VARIANCE * (2 * random() - 1))
  const cells: Record<string, { lag: number; polls: number }[]> = { last: [], median5: [], none: [], longer3x: [], shorter3x: [] }
  for (let i = 0; i < 2000; i++) {
    const history = Array.from({ length: 5 }, (_, k) => ({ status: 7, duration: draw(), startTime: new Date(1e12 + k * 1e6).toISOString() }))
    const run = draw()
    cells.last.push(simulate(run, forecastFrom(history.slice(-1))))
    cells.median5.push(simulate(run, forecastFrom(history)))
    cells.none.push(simulate(run, undefined))
    cells.longer3x.push(simulate(run * 3, forecastFrom(history)))
    cells.shorter3x.push(simulate(run / 3, forecastFrom(history)))
  }
  for (const [name, runs] of Object.entries(cells)) {
    const lags = runs.map(r => r.lag)
    const polls = runs.map(r => r.polls)
    const base = name === 'longer3x' ? 3 * nominal : name === 'shorter3x' ? nominal / 3 : nominal
    process.stdout.write(
      `${String(seconds).padStart(3)} s ${name.padEnd(10)} lag p50 ${String(Math.round(median(lags))).padStart(6)} ms  p90 ${String(Math.round(p(lags, 0.9))).padStart(6)} ms  max ${((100 * Math.max(...lags)) / base).toFixed(1).padStart(5)} %  polls p50 ${median(polls)} (p90 ${p(polls, 0.9)})\n`
    )
  }
}
