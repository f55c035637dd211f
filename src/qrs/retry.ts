import { ConnectionError, QrsError, UnexpectedAnswer } from '../util/errors.js'

/** A GET outside the wait is retried this many times on transient trouble before its error is the step's. */
export const MAX_RETRIES = 5
/**
 * Of those, this many after answers that did not come within request-timeout: a server that slow (or a
 * body that drips) is not flapping, and each try costs a whole request-timeout.
 */
export const MAX_TIMEOUT_RETRIES = 2
/** No retry comes sooner than this after the last try, whatever the server says: at most two a second per read. */
export const MIN_RETRY_GAP_MS = 500
const BACKOFF_BASE_MS = 500
/** Capped: a node restart takes minutes, and the wait must notice the server's return soon after it. */
export const BACKOFF_CAP_MS = 15_000
const RETRY_AFTER_CAP_MS = 60_000

/**
 * The one classification of "worth another try": no answer for a reason that passes (reset,
 * refused, timeout, DNS not answering) or an answer that says "later" (5xx, 429). TLS, DNS names,
 * 4xx and wrong answers are not: trying again would only repeat them.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof ConnectionError) return error.transient
  return error instanceof QrsError && (error.status === 429 || error.status >= 500)
}

/** No whole answer within request-timeout (or no connection within the system's). */
export function isTimeout(error: unknown): boolean {
  return error instanceof ConnectionError && error.code === 'ETIMEDOUT'
}

/**
 * How long to wait before attempt `attempt + 1` (0-based): capped exponential backoff with jitter between
 * its floor (half the ceiling, at least MIN_RETRY_GAP_MS) and its ceiling, so parallel jobs do not come
 * back in lockstep and no gap is ever near zero. The server's Retry-After wins when it asks for longer
 * (capped at a minute); one that asks for less (0, a date in the past) gets the floor: no retry storm.
 * `attempt` grows without bound during an outage; the cap holds.
 */
export function retryDelay(error: unknown, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 30))
  const floor = Math.max(MIN_RETRY_GAP_MS, ceiling / 2)
  if (error instanceof QrsError && error.retryAfterMs !== undefined) return Math.min(Math.max(error.retryAfterMs, floor), RETRY_AFTER_CAP_MS)
  return Math.round(floor + random() * Math.max(0, ceiling - floor))
}

/** Seconds or an HTTP date, as Retry-After allows. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * What a wait rides out while the reload runs (up to its timeout), beyond the transient: an answer it
 * cannot use (an HTML maintenance page, a wrong type: for 20 s, see poller.ts), a name that does not resolve for a while (a DNS
 * failure), and a 401 that signing in again did not cure yet (a proxy that lost its sessions). The
 * reload runs on without us; none of these says it ended.
 */
export function isOutage(error: unknown): boolean {
  if (isTransient(error) || error instanceof UnexpectedAnswer) return true
  if (error instanceof ConnectionError) return error.code === 'ENOTFOUND'
  return error instanceof QrsError && error.status === 401
}
