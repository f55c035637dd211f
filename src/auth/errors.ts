/** Signing in failed; the message says what the server answered and what to check. */
export class AuthError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'AuthError'
  }
}
