import type { RawResponse, Transport } from './transport.js'
import type { Log } from '../toolkit/toolkit.js'
import type { ClientTls } from './agent.js'

/** Where the client connects (strategies explain redirects and sign in against it), and where their lines and secrets go. */
export interface Site {
  url: URL
  userAgent: string
  log: Log
}

/** The request that met a missing or expired session, and what signing in again may use. */
export interface RenewContext {
  method: string
  /** The request's full URL. */
  url: URL
  /** Its answer: a login redirect, a 401, a 500 "Authentication error". */
  answer: RawResponse
  /** The request streams a 200 body to a sink: an answer fetched while signing in cannot stand in for it. */
  streamed: boolean
  /** A GET through the client: this authenticator's headers on it, its cookies taken. */
  get(path: string): Promise<RawResponse>
  /** One request on the client's connections with exactly these headers (nothing added, nothing taken). */
  request(url: URL, headers: Record<string, string>): Promise<RawResponse>
  /** A dedicated keep-alive connection: NTLM authenticates one TCP connection, never a pool. */
  openConnection: () => Transport
}

/**
 * One way of signing in to the QRS, with the proxy session it holds. The client asks it what to
 * put on each request, shows it each answer, and lets it sign in again when it says the session
 * expired; one module per auth type (certificate.ts, ntlm.ts, jwt.ts, header.ts).
 */
export interface Authenticator {
  /** For log lines: "certificate (UserDirectory=INTERNAL; UserId=sa_api)". */
  readonly description: string
  /** Put on every connection (a client certificate). */
  readonly clientTls: ClientTls
  /** Headers that authenticate the next request; `session`: they carry the proxy's session cookie. */
  prepare(): { headers: Record<string, string>; session: boolean }
  /** Every answer passes here: the session cookies the proxy sets are kept. */
  receive(response: RawResponse): void
  /** The answer says the request never reached the QRS (no session, or it expired): sign in and send it again. */
  expired(response: RawResponse, sentWithSession: boolean): boolean
  /** Drops the session and signs in again; answers the request's own answer when signing in already fetched it. */
  renew(context: RenewContext): Promise<RawResponse | undefined>
  /** What to check when the server refuses this auth method (401/403). */
  refusalHint(status: number, body: string): string | undefined
  /** A redirect to a login module explained for this auth type; undefined for other redirects. */
  redirectError(response: RawResponse): Error | undefined
  /** What an HTML page instead of JSON probably means with this auth type. */
  readonly htmlHint: string
}
