/** TLS material an auth method puts on the connection. */
export interface ClientTls {
  cert?: string
  key?: string
  passphrase?: string
}

/**
 * One way of signing in to the QRS. The client asks it for connection material and
 * per-request headers; each auth type lives in its own module behind this interface.
 */
export interface Auth {
  /** For log lines: "certificate (UserDirectory=INTERNAL; UserId=sa_api)". */
  readonly description: string
  readonly tls: ClientTls
  headers(): Record<string, string>
}
