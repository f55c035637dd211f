/** A reload-level failure the user must act on (task not found, did not start, timed out). */
export class ReloadError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ReloadError'
  }
}

/** The runner cancelled the job (SIGINT, then SIGTERM 7.5 s later, then SIGKILL). */
export class CancelledError extends Error {
  constructor(readonly signal: string) {
    super(`The job was cancelled (${signal}).`)
    this.name = 'CancelledError'
  }
}
