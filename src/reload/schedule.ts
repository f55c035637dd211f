/**
 * When to look again: a pure function of the reload's age, the forecast from the task's history
 * (when the server tells it) and the settings. wait.ts sleeps what it returns; tests and the bench
 * call it with any clock.
 */

export interface ScheduleSettings {
  /** Longest gap between two polls (max-poll-interval): every gap is at most this. */
  maxPollIntervalMs: number
}

/** What the task's recent successful runs say about this one. */
export interface Forecast {
  /** The median duration of the recent runs (of one run: its duration). */
  expectedMs: number
  /** The shortest and the longest of them: the dense window spans them. */
  lowMs: number
  highMs: number
  /** How many runs it is made of. */
  runs: number
}

/** No history: the first gaps (and the shortest). */
const MIN_POLL_MS = 500
/** With history: the shortest gap, near the expected end. */
export const DENSE_POLL_MS = 300
/** Gaps are jittered by ±20 %: parallel jobs must not poll in lockstep. */
const JITTER = 0.2
/** The forecast takes the median of at most this many recent successful runs. */
const HISTORY_RUNS = 5

/**
 * With history: the first poll comes at this share of the expected duration (a failure that early is noticed
 * then). max-poll-interval caps it: it matters for reloads shorter than a few times the cap only.
 */
const FIRST_SHARE = 1 / 2
/** Before the window no gap is shorter than this. */
const SPARSE_MIN_MS = 2_000
/** Before the window the gap is the age: each poll twice as late as the last (a run far shorter than its history is noticed within its own duration). */
const SPARSE_SHARE = 1
/** One run, or two: the window is the expected end ± this share of it (runs of one task vary by about 10 %). */
const WINDOW_SHARE = 0.1
/** Three runs or more: the window spans their shortest and longest, widened by this share of the forecast on each side... */
const SPREAD_MARGIN = 0.02
/** ...and at least this share either side (two identical runs do not promise a third to the millisecond). */
const SPREAD_MIN = 0.02
/** In the window, before the expected end, the gap is this share of the distance to it: densest at it. */
const ZOOM_SHARE = 0.35
/** After the expected end the gap is this share of the overrun: an overrun grows cheaper to watch as it grows. */
const OVERRUN_ZOOM = 0.5
/** Past the window (the reload overruns) the gap grows as a share of the age: with +20 % jitter, lag at most 10 %. */
const OVERRUN_SHARE = 0.08

/** The dense window [start, end] around the expected end: from the runs' spread when there are enough of them. */
export function denseWindow(forecast: Forecast): { startMs: number; endMs: number } {
  const E = forecast.expectedMs
  if (forecast.runs < 3) return { startMs: E * (1 - WINDOW_SHARE), endMs: E * (1 + WINDOW_SHARE) }
  const below = Math.max(E - forecast.lowMs + SPREAD_MARGIN * E, SPREAD_MIN * E)
  const above = Math.max(forecast.highMs - E + SPREAD_MARGIN * E, SPREAD_MIN * E)
  return { startMs: E - below, endMs: E + above }
}

/**
 * The gap (ms, before jitter) to wait at `elapsedMs` into the reload.
 * - No history: a tenth of the age, at least MIN_POLL_MS (short reloads are noticed within half a second).
 * - History, expected duration E: the first poll at E/2, then sparse (the age, at least 2 s) up to the
 *   dense window (E ± 10 %, or the recent runs' spread); in it 0.35 of the distance to E, down to
 *   DENSE_POLL_MS, then half the overrun; past the window that, up to 8 % of the age.
 * Every gap is capped by max-poll-interval.
 */
export function pollGap(elapsedMs: number, forecast: Forecast | number | undefined, settings: ScheduleSettings): number {
  return plannedGap(elapsedMs, forecast, settings).gapMs
}

/**
 * The gap with its jitter: ±JITTER of the gap, except for a gap that aims at the dense window or lies in
 * it, whose jitter is ±JITTER of DENSE_POLL_MS (±20 % of a 10 s landing would put the poll 2 s off the
 * point it aims at). Jobs with different forecasts still poll at different moments; the sparse gaps
 * before the window keep their full jitter.
 */
export function nextGap(elapsedMs: number, forecast: Forecast | number | undefined, settings: ScheduleSettings, random: () => number): number {
  const { gapMs, aimed } = plannedGap(elapsedMs, forecast, settings)
  return aimed ? Math.max(DENSE_POLL_MS / 2, Math.round(gapMs + DENSE_POLL_MS * JITTER * (2 * random() - 1))) : jittered(gapMs, random)
}

function plannedGap(elapsedMs: number, forecast: Forecast | number | undefined, settings: ScheduleSettings): { gapMs: number; aimed: boolean } {
  const cap = Math.max(settings.maxPollIntervalMs, MIN_POLL_MS)
  const t = Math.max(0, elapsedMs)
  const f = typeof forecast === 'number' ? singleRun(forecast) : forecast
  if (!f || !(f.expectedMs > 0)) return { gapMs: Math.min(Math.max(t / 10, MIN_POLL_MS), cap), aimed: false }
  const E = f.expectedMs
  const { startMs, endMs } = denseWindow(f)
  // A window narrower than a few dense gaps (a short reload) is entered at E itself: one poll may do.
  const enter = endMs - startMs < 3 * DENSE_POLL_MS ? E : startMs
  let gap: number
  let aimed = true
  if (t < enter) {
    const first = FIRST_SHARE * E
    const sparse = t < first ? Math.max(first - t, SPARSE_MIN_MS) : Math.max(SPARSE_SHARE * t, SPARSE_MIN_MS)
    // Land on the window's start rather than jump into it (or poll just before it).
    aimed = enter - t - sparse < DENSE_POLL_MS
    gap = aimed ? enter - t : sparse
  } else if (t < E) {
    gap = ZOOM_SHARE * (E - t)
  } else if (t < endMs) {
    gap = OVERRUN_ZOOM * (t - E)
  } else {
    aimed = false
    gap = Math.min(Math.max(OVERRUN_ZOOM * (t - E), DENSE_POLL_MS), OVERRUN_SHARE * t)
  }
  const gapMs = Math.min(Math.max(gap, DENSE_POLL_MS), cap)
  // A gap cut by the cap aims at nothing.
  return { gapMs, aimed: aimed && gapMs < cap }
}

/** The gap with ±JITTER; `random` in [0, 1). */
export function jittered(gapMs: number, random: () => number): number {
  return Math.round(gapMs * (1 - JITTER + 2 * JITTER * random()))
}

function singleRun(expectedMs: number): Forecast {
  return { expectedMs, lowMs: expectedMs, highMs: expectedMs, runs: 1 }
}

type PastRun = { status?: number; duration?: number; startTime?: string; stopTime?: string }

/** The run's duration when it is a useful forecast: a run that finished successfully, with a duration. */
export function expectedDuration(last: PastRun | null | undefined): number | undefined {
  if (!last || last.status !== 7) return undefined
  if (typeof last.duration === 'number' && last.duration > 0) return last.duration
  const span = Date.parse(last.stopTime ?? '') - Date.parse(last.startTime ?? '')
  return Number.isFinite(span) && span > 0 && !last.stopTime?.startsWith('1753-') ? span : undefined
}

/**
 * The forecast from the task's recent results (any order): the HISTORY_RUNS latest successful runs,
 * their median and spread. Failed or aborted runs stopped early and say little about a full one.
 */
export function forecastFrom(results: PastRun[]): Forecast | undefined {
  const durations = results
    .map(run => ({ at: Date.parse(run.startTime ?? ''), ms: expectedDuration(run) }))
    .filter((run): run is { at: number; ms: number } => run.ms !== undefined)
    .sort((a, b) => (b.at || 0) - (a.at || 0))
    .slice(0, HISTORY_RUNS)
    .map(run => run.ms)
    .sort((a, b) => a - b)
  if (durations.length === 0) return undefined
  const mid = durations.length >> 1
  const expectedMs = durations.length % 2 ? durations[mid] : (durations[mid - 1] + durations[mid]) / 2
  return { expectedMs, lowMs: durations[0], highMs: durations.at(-1)!, runs: durations.length }
}

/** A forecast of one run (the lookup's last result), when it is one. */
export function forecastOf(last: PastRun | null | undefined): Forecast | undefined {
  const ms = expectedDuration(last)
  return ms === undefined ? undefined : singleRun(ms)
}
