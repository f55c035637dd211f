import { excerpt, firstLine } from './text.js'

/**
 * Every error the action throws on purpose, in one place. Each says what went wrong in words a user can
 * act on; the catch sites tell them apart by class (see src/ARCHITECTURE.md, "Errors").
 */

/** A problem with an input: reported before any request is made, naming the input. */
export class InputError extends Error {
  override name = 'InputError'

  constructor(
    readonly input: string,
    problem: string
  ) {
    super(`Input '${input}': ${problem}`)
  }
}

/** Signing in failed; the message says what the server answered and what to check. */
export class AuthError extends Error {
  override name = 'AuthError'
}

/** The QRS answered, but not with what the call needed. Error bodies are text or HTML, never JSON. */
export class QrsError extends Error {
  override name = 'QrsError'

  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
    hint?: string,
    /** From a Retry-After header (429, 503). */
    readonly retryAfterMs?: number
  ) {
    super(`${method} ${path} answered ${status}${excerpt(body) ? `: ${excerpt(body)}` : ''}${hint ? `\n${hint}` : ''}`)
  }
}

/**
 * The QRS (or something in front of it) answered what the call cannot use: an HTML page or text that does
 * not parse where JSON was expected, or JSON whose fields the action reads have the wrong type.
 */
export class UnexpectedAnswer extends QrsError {
  override name = 'UnexpectedAnswer'

  constructor(method: string, path: string, status: number, problem: string, hint?: string) {
    super(method, path, status, problem, hint)
    this.message = `The server answered something unexpected to ${method} ${path}: ${problem}${hint ? `\n${hint}` : ''}`
  }
}

/**
 * JSON whose fields the action reads have the wrong type, or another entity than the one asked for. A page
 * in front of the QRS (a maintenance page) passes; this is the QRS's own answer, which a retry repeats.
 */
export class WrongFieldsAnswer extends UnexpectedAnswer {
  /** The same answer, with a line on how long the wait saw it. */
  seenFor(line: string): WrongFieldsAnswer {
    return new WrongFieldsAnswer(this.method, this.path, this.status, this.body, line)
  }
}

/** The request never got an answer, or not all of it: DNS, TCP, TLS, a timeout, a connection closed mid-answer. */
export class ConnectionError extends Error {
  override name = 'ConnectionError'

  constructor(
    message: string,
    /** Worth another try (reset, timeout, refused); TLS and DNS problems are not. */
    readonly transient = false,
    /** Node's error code, when it tells more than `transient` (ENOTFOUND: a name that does not resolve, maybe only for now). */
    readonly code?: string
  ) {
    super(message)
  }
}

/**
 * The engine (QIX) refused the session or answered a call with an error. `code` is the engine's
 * LocalizedErrorCode (5 access denied, 1009 app open in another mode, ...) when it sent one.
 */
export class EngineError extends Error {
  override name = 'EngineError'

  constructor(
    message: string,
    readonly code?: number
  ) {
    super(message)
  }
}

/**
 * The engine answered a call, but not with what the action reads (a name that is an object, a row count
 * that is a string, a Doc that is none): the session itself still works.
 */
export class UnexpectedEngineAnswer extends EngineError {
  override name = 'UnexpectedEngineAnswer'

  constructor(method: string, app: string, problem: string) {
    super(`The engine answered something unexpected to ${method} of app ${app}: ${problem}.`)
  }
}

/** A reload-level failure the user must act on (task not found, did not start, timed out). */
export class ReloadError extends Error {
  override name = 'ReloadError'
}

/** The deadline passed while the server was not answering: the wait times out with this as the cause. */
export class StillDown extends Error {
  override name = 'StillDown'

  constructor(cause: unknown) {
    const what = cause instanceof UnexpectedAnswer ? 'answering something unexpected' : 'not answering'
    super(`the QRS was ${what} at the timeout (${firstLine(errorMessage(cause))})`, { cause })
  }
}

/** The runner cancelled the job (SIGINT, then SIGTERM 7.5 s later, then SIGKILL). */
export class CancelledError extends Error {
  override name = 'CancelledError'

  constructor(readonly signal: string) {
    super(`The job was cancelled (${signal}).`)
  }
}

/** The message of anything thrown: an Error's message, anything else as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
