/** Types that inputs, auth and qrs all use; here so that none of them imports another for a type. */

export const AUTH_TYPES = ['ntlm', 'jwt', 'certificate', 'header'] as const
export type AuthType = (typeof AUTH_TYPES)[number]

/** TLS material an auth method puts on the connection. */
export interface ClientTls {
  cert?: string
  key?: string
  passphrase?: string
}
