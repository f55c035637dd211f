import { InputError } from '../util/errors.js'
import { formatDuration } from '../util/format.js'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** Node's timers take at most 2^31−1 ms (about 24.8 days); a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** The range a duration input accepts, in ms: both ends inside Node's timers. */
export interface DurationBounds {
  min: number
  max: number
}

const HOUR = 3_600_000
/** `timeout`: from a second to 24 days (576h). */
export const TIMEOUT_BOUNDS: DurationBounds = { min: 1_000, max: 24 * 24 * HOUR }
/** `request-timeout`, `max-poll-interval`: from a second to an hour. */
export const GAP_BOUNDS: DurationBounds = { min: 1_000, max: HOUR }

/**
 * Parses `90s`, `15m`, `2h`, `1h30m`, `500ms` or plain seconds (`120`) into milliseconds, within
 * `bounds` (checked on the value as written, before it is rounded to whole milliseconds).
 * Plain numbers are seconds because that is what the QMC and most CI tools use.
 */
export function parseDuration(input: string, text: string, bounds: DurationBounds): number {
  const value = text.trim().toLowerCase()
  const hint = 'use a number of seconds or a duration such as 90s, 15m, 2h or 1h30m'
  if (/^\d+(\.\d+)?$/.test(value)) return within(input, text, Number(value) * 1000, bounds)
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map(p => p[0]).join('') !== value.replace(/\s+/g, '')) {
    throw new InputError(input, `'${text}' is not a duration: ${hint}.`)
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]], 0)
  return within(input, text, ms, bounds)
}

function within(input: string, text: string, ms: number, bounds: DurationBounds): number {
  const min = bounds.min
  const max = Math.min(bounds.max, MAX_TIMER_MS)
  const range = `from ${formatDuration(min)} to ${formatDuration(max)}`
  if (!(ms >= min)) throw new InputError(input, `'${text.trim()}' is shorter than ${formatDuration(min)}: use a duration ${range}.`)
  if (ms > max) throw new InputError(input, `'${text.trim()}' is longer than ${formatDuration(max)}: use a duration ${range}.`)
  return Math.round(ms)
}
