/** A reload-level failure the user must act on (task not found, did not start, timed out). */
export class ReloadError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ReloadError'
  }
}
