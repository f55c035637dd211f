import type { Authenticator, Site } from '../qrs/authenticator.js'
import type { Get } from '../inputs/values.js'

/** What an auth-type's reader is given. */
export interface AuthInputs {
  /** An input, trimmed, with action.yml's default when unset. */
  get: Get
  /** An input as written (passwords keep their spaces). */
  raw: Get
  /** Values to mask in the log: the reader adds every secret it reads. */
  secrets: string[]
}

/**
 * One auth-type: reads and checks its own inputs into its settings (an InputError names the input at
 * fault, before any request), and creates its sign-in strategy from them. Registered in index.ts.
 */
export interface AuthMethod<S extends { type: string }> {
  read(inputs: AuthInputs): S
  /** May load the method's library first (it is loaded only for its auth-type: nothing heavy at start-up). */
  create(settings: S, site: Site): Authenticator | Promise<Authenticator>
  /**
   * The Qlik user the calls run as, as far as the settings tell: `DIRECTORY\userId`, `\userId` when the
   * directory is the proxy's to choose, '' when not even the user id is known. An execution is ours only
   * if it runs as this user (see reload/start-record.ts).
   */
  user(settings: S): string
}
