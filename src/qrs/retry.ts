import { ConnectionError, QrsError } from '../util/errors.js'

/** A GET outside the wait is retried this many times on transient trouble before its error is the step's. */
export const MAX_RETRIES = 5
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

/**
 * How long to wait before attempt `attempt + 1` (0-based): the server's Retry-After when it sent one
 * (capped at a minute), else capped exponential backoff with full jitter (parallel jobs must not
 * come back in lockstep). `attempt` grows without bound during an outage; the cap holds.
 */
export function retryDelay(error: unknown, attempt: number, random: () => number = Math.random): number {
  if (error instanceof QrsError && error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, RETRY_AFTER_CAP_MS)
  return Math.round(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 30)))
}

/** Seconds or an HTTP date, as Retry-After allows. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
