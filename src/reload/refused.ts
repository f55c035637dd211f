import { EMPTY_GUID } from '../qrs/types.js'
import { AuthError, QrsError, UnexpectedAnswer } from '../util/errors.js'

/*
 * The one rule for a request that may start something (a task's start, an app's reload, a push
 * subscription): did it refuse, so that nothing started, or is its outcome unknown, so that what it may
 * have started is looked for (never by sending it again)?
 *
 * Refused: the server answered with an error status (a QrsError that is not an UnexpectedAnswer: the QRS
 * refuses a start it does not run with 4xx, and with 5xx or 429 too), the sign-in failed before the
 * request reached it (AuthError), or a start's answer said that nothing started (an empty execution id).
 * Unknown: anything else. No answer, a timeout, a body cut (ConnectionError); an answer that could not be
 * read, whatever its status (UnexpectedAnswer: a page, text, a field of the wrong type); a 2xx without an
 * execution id; a cancellation.
 */

/** The request failed in a way that says it started nothing. */
export function refused(error: unknown): boolean {
  if (error instanceof UnexpectedAnswer) return false
  if (error instanceof QrsError) return error.status < 200 || error.status >= 300
  return error instanceof AuthError
}

/** A start's answer that says it started nothing: an empty execution id ('' or the empty GUID). No id at all says nothing either way. */
export function noneStarted(executionId: string | undefined): boolean {
  return executionId === '' || executionId === EMPTY_GUID
}
