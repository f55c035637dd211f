import type { ScenarioPreviousRun } from '../simulator/src/index.js'

/** Sample i of n: the previous run took (1 + error) times as long, error spread evenly over ±10 % (-6.7, 0, +6.7 % for three). */
export const historyError = (index: number, count: number) => -0.1 + (0.2 * (index + 0.5)) / count
/** The spread of the five previous runs around their median, in the order they ran (the last is -8 %). */
const SPREAD = [0, 0.08, -0.04, 0.04, -0.08]
/** Sample i of n ends (i + 0.5) / n of a second off the whole second: fixed schedules meet the end at different phases. */
export const phaseOffsetMs = (index: number, count: number) => Math.round(((index + 0.5) / count) * 1000 - 500)

/**
 * Five previous runs (oldest first) of a task whose reload takes `ms`: their median `median`, their
 * spread SPREAD times `spread` (1: ±8 %, 0.1: ±0.8 %). They ran one after another, 3 durations plus a
 * minute apart (within history.ts's span of 100 durations).
 */
export function historyRuns(ms: number, median: number, spread: number): ScenarioPreviousRun[] {
  return SPREAD.map((share, k) => ({ status: 7, durationMs: Math.round(median * (1 + share * spread)), endedAgoMs: (SPREAD.length - 1 - k) * (3 * ms + 60_000) + 60_000 }))
}
