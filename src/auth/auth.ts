import type { AuthType } from '../inputs/settings.js'
import type { RawResponse, Transport } from '../qrs/transport.js'

/** TLS material an auth method puts on the connection. */
export interface ClientTls {
  cert?: string
  key?: string
  passphrase?: string
}

/** What a Windows sign-in gets from the client: where the proxy sent it, and a connection of its own. */
export interface SignInContext {
  /** The proxy's Windows login module (`.../internal_windows_authentication/?targetId=...`). */
  loginUrl: URL
  /** A dedicated keep-alive connection: NTLM authenticates one TCP connection, never a pool. */
  openConnection(): Transport
}

/**
 * One way of signing in to the QRS. The client asks it for connection material and
 * per-request headers; each auth type lives in its own module behind this interface.
 */
export interface Auth {
  readonly type: AuthType
  /** For log lines: "certificate (UserDirectory=INTERNAL; UserId=sa_api)". */
  readonly description: string
  readonly tls: ClientTls
  /** Headers for one request; `session` is true once the proxy's session cookie is held. */
  headers(session: boolean): Record<string, string>
  /** Windows auth only: the handshake at the login module; answers the proxy's last reply (the qlikTicket redirect). */
  windowsSignIn?(context: SignInContext): Promise<RawResponse>
  /** What to check when the server refuses this auth method (401/403). */
  refusalHint(status: number, body: string): string | undefined
}
