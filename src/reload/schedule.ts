/**
 * When to look again: a pure function of the reload's age, the duration its previous run took
 * (when the server tells it) and the settings. wait.ts sleeps what it returns; tests and the bench
 * call it with any clock.
 */

export interface ScheduleSettings {
  /** Longest gap between two polls (max-poll-interval): every gap is at most this. */
  maxPollIntervalMs: number
}

/** No history: the first gaps (and the shortest). */
export const MIN_POLL_MS = 500
/** With history: the shortest gap, near the expected end. */
export const DENSE_POLL_MS = 350
/** Gaps are jittered by ±20 %: parallel jobs must not poll in lockstep. */
export const JITTER = 0.2

/** With history: the first poll comes at this share of the expected duration (a failure that early is noticed then). */
const FIRST_SHARE = 1 / 8
/** Before the window no gap is shorter than this: for a short reload the first poll comes at the window. */
const SPARSE_MIN_MS = 2_000
/** Before the window the gap is this share of the age: sparse, each poll 1.5x later than the last. */
const SPARSE_SHARE = 0.5
/** The dense window: the expected end ± this share of it (runs of one task vary by about 10 %). */
const WINDOW_SHARE = 0.1
/** In the window the gap is this share of the distance to the expected end: densest at the expected end. */
const ZOOM_SHARE = 0.5
/** Past the window (the reload overruns) the gap grows as a share of the age: lag at most about 10 %. */
const OVERRUN_SHARE = 0.1

/**
 * The gap (ms, before jitter) to wait at `elapsedMs` into the reload.
 * - No history: a tenth of the age, at least MIN_POLL_MS (short reloads are noticed within half a second).
 * - History, expected duration E: the first poll at E/8, then sparse (half the age, at least 2 s) up to
 *   the window E ± 10 %; in it half the distance to E, down to DENSE_POLL_MS; past E growing with the
 *   overrun, up to a tenth of the age.
 * Every gap is capped by max-poll-interval.
 */
export function pollGap(elapsedMs: number, expectedMs: number | undefined, settings: ScheduleSettings): number {
  const cap = Math.max(settings.maxPollIntervalMs, MIN_POLL_MS)
  const t = Math.max(0, elapsedMs)
  if (expectedMs === undefined || !(expectedMs > 0)) return Math.min(Math.max(t / 10, MIN_POLL_MS), cap)
  const E = expectedMs
  const windowStart = E * (1 - WINDOW_SHARE)
  let gap: number
  if (t < windowStart) {
    const first = FIRST_SHARE * E
    const sparse = t < first ? Math.max(first - t, SPARSE_MIN_MS) : Math.max(SPARSE_SHARE * t, SPARSE_MIN_MS)
    // Land on the window's start rather than jump into it (or poll just before it).
    gap = windowStart - t - sparse < DENSE_POLL_MS ? windowStart - t : sparse
  } else if (t < E) {
    gap = ZOOM_SHARE * (E - t)
  } else {
    gap = Math.min(ZOOM_SHARE * (t - E), OVERRUN_SHARE * t)
  }
  return Math.min(Math.max(gap, DENSE_POLL_MS), cap)
}

/** The gap with ±JITTER; `random` in [0, 1). */
export function jittered(gapMs: number, random: () => number): number {
  return Math.round(gapMs * (1 - JITTER + 2 * JITTER * random()))
}

/** The previous run's duration when it is a useful forecast: a run that finished successfully, with a duration. */
export function expectedDuration(last: { status?: number; duration?: number; startTime?: string; stopTime?: string } | null | undefined): number | undefined {
  if (!last || last.status !== 7) return undefined
  if (typeof last.duration === 'number' && last.duration > 0) return last.duration
  const span = Date.parse(last.stopTime ?? '') - Date.parse(last.startTime ?? '')
  return Number.isFinite(span) && span > 0 && !last.stopTime?.startsWith('1753-') ? span : undefined
}
