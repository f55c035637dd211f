import { AuthError, QrsError, ReloadError } from '../util/errors.js'

/**
 * Whether a start (or an app reload request) failed in a way that says it started nothing: the server
 * answered with an error status (the QRS refuses a start it does not run: 4xx, and 5xx or 429 too), the
 * sign-in failed before the request reached it, or the answer said it did not start. Anything else (no
 * answer, a timeout, a body cut or unreadable) leaves the outcome unknown: it may have started.
 */
export function refused(error: unknown): boolean {
  if (error instanceof QrsError) return error.status < 200 || error.status >= 300
  return error instanceof AuthError || error instanceof ReloadError
}
