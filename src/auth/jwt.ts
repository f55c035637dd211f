import * as core from '@actions/core'
import jwt from 'jsonwebtoken'
import type { Authenticator, Site } from './auth.js'
import { credentialsAuthenticator } from './session.js'

export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512'] as const
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number]

/** A token given as is, or what is needed to mint one on the runner. */
export type JwtSource =
  | { kind: 'static'; token: string }
  | {
      kind: 'mint'
      privateKey: string
      algorithm: JwtAlgorithm
      userId: string
      userDirectory: string
      /** Claim names are configured per virtual proxy ("JWT attribute for user ID", "... user directory"). */
      userIdClaim: string
      userDirectoryClaim: string
      audience?: string
      lifetimeSeconds: number
    }

/** Re-mint when less than this is left: a request must not arrive with a token about to expire. */
const RENEW_BEFORE_S = 60

/**
 * JWT auth through a virtual proxy: `Authorization: Bearer` until the proxy has set its session
 * cookie, then the cookie alone (every request without it would open another proxy session).
 */
export function jwtAuth(source: JwtSource, site: Site, now: () => number = Date.now): Authenticator {
  let token = source.kind === 'static' ? source.token : ''
  let expiresAt = 0
  const current = (): string => {
    if (source.kind === 'static') return token
    const seconds = Math.floor(now() / 1000)
    if (!token || expiresAt - seconds < RENEW_BEFORE_S) {
      const claims = { [source.userIdClaim]: source.userId, [source.userDirectoryClaim]: source.userDirectory, iat: seconds }
      token = jwt.sign(claims, source.privateKey, {
        algorithm: source.algorithm,
        expiresIn: source.lifetimeSeconds,
        ...(source.audience ? { audience: source.audience } : {})
      })
      expiresAt = seconds + source.lifetimeSeconds
      core.setSecret(token)
    }
    return token
  }
  const claimHint =
    source.kind === 'mint'
      ? ` the claim names (now '${source.userIdClaim}' and '${source.userDirectoryClaim}', see jwt-user-id-claim and jwt-user-directory-claim) must match the virtual proxy's "JWT attribute for user ID" and "JWT attribute for user directory";`
      : ' the claim names must match the virtual proxy\'s "JWT attribute for user ID" and "JWT attribute for user directory";'
  return credentialsAuthenticator(
    {
      type: 'jwt',
      description: source.kind === 'static' ? 'JWT (given token)' : `JWT (minted ${source.algorithm} for ${source.userDirectory}\\${source.userId})`,
      credentials: (session): Record<string, string> => (session ? {} : { Authorization: `Bearer ${current()}` }),
      refusalHint: status => {
        if (status === 401) {
          return `The proxy refused the JWT. Check: it is signed with the private key of the certificate configured on the JWT virtual proxy (RS256, RS384 or RS512); it has not expired;${claimHint} the audience matches if the virtual proxy sets one; the url includes the virtual proxy prefix.`
        }
        if (status === 403) return "Forbidden: the runner's host may be missing from the virtual proxy's host allow list, or the user lacks rights."
        return undefined
      }
    },
    site
  )
}
