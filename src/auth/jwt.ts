import { createPrivateKey } from 'node:crypto'
import { readPem, secretLines } from '../inputs/pem.js'
import type { Authenticator, Site } from '../qrs/authenticator.js'
import { InputError } from '../util/errors.js'
import type { AuthInputs, AuthMethod } from './method.js'
import { credentialsAuthenticator } from './session.js'
import { formatUser } from '../qrs/user.js'

const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512'] as const
type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number]

/** A token given as is, or what is needed to mint one on the runner. */
export type JwtSource =
  | {
      kind: 'static'
      token: string
      /** The user its claims name (with jwt-user-id-claim and jwt-user-directory-claim), `DIRECTORY\userId`; '' if they do not. */
      user: string
    }
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

export interface JwtSettings {
  type: 'jwt'
  source: JwtSource
}

/** auth-type: jwt (through a virtual proxy): jwt, or jwt-private-key and the claims to mint one. */
export const jwtMethod: AuthMethod<JwtSettings> = {
  read: inputs => ({ type: 'jwt', source: readJwtSource(inputs) }),
  create: async (settings, site) => jwtAuth(settings.source, site, settings.source.kind === 'mint' ? await jwtSigner() : undefined),
  user: ({ source }) => (source.kind === 'static' ? source.user : formatUser({ directory: source.userDirectory, userId: source.userId }))
}

/** Signs a token's claims (jsonwebtoken's sign). */
export type JwtSign = (claims: Record<string, unknown>, key: string, options: { algorithm: JwtAlgorithm; expiresIn: number; audience?: string }) => string

/** jsonwebtoken, loaded only when a token is minted here (it is not small). */
export async function jwtSigner(): Promise<JwtSign> {
  const { default: jwt } = await import('jsonwebtoken')
  return (claims, key, options) => jwt.sign(claims, key, options)
}

/** Re-mint when less than this is left: a request must not arrive with a token about to expire. */
const RENEW_BEFORE_S = 60

/**
 * JWT auth through a virtual proxy: `Authorization: Bearer` until the proxy has set its session
 * cookie, then the cookie alone (every request without it would open another proxy session).
 */
export function jwtAuth(source: JwtSource, site: Site, sign?: JwtSign, now: () => number = Date.now): Authenticator {
  let token = source.kind === 'static' ? source.token : ''
  let expiresAt = 0
  const current = (): string => {
    if (source.kind === 'static') return token
    const seconds = Math.floor(now() / 1000)
    if (!token || expiresAt - seconds < RENEW_BEFORE_S) {
      if (!sign) throw new Error('jwtAuth: minting needs the signer (jwtSigner())')
      const claims = { [source.userIdClaim]: source.userId, [source.userDirectoryClaim]: source.userDirectory, iat: seconds }
      token = sign(claims, source.privateKey, {
        algorithm: source.algorithm,
        expiresIn: source.lifetimeSeconds,
        ...(source.audience ? { audience: source.audience } : {})
      })
      expiresAt = seconds + source.lifetimeSeconds
      site.log.setSecret(token)
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

/** Minted tokens live five minutes: long enough for a request, short enough to be worthless if leaked. */
const MINTED_LIFETIME_S = 300

/** `jwt` (a token) or `jwt-private-key` + `jwt-user-id` + `jwt-user-directory` (mint on the runner). */
function readJwtSource({ get, secrets }: AuthInputs): JwtSource {
  const token = get('jwt')
  const keyInput = get('jwt-private-key')
  if (token && keyInput) throw new InputError('jwt', 'set either jwt or jwt-private-key, not both.')
  if (token) {
    secrets.push(token)
    const claims = checkToken(token)
    const claim = (name: string): string => (typeof claims[get(name)] === 'string' ? (claims[get(name)] as string) : '')
    const userId = claim('jwt-user-id-claim')
    return { kind: 'static', token, user: userId ? formatUser({ directory: claim('jwt-user-directory-claim'), userId }) : '' }
  }
  if (!keyInput) throw new InputError('jwt', "auth-type 'jwt' needs jwt (a signed token) or jwt-private-key with jwt-user-id and jwt-user-directory.")
  const privateKey = readPem('jwt-private-key', keyInput)
  secrets.push(...secretLines(privateKey))
  let type: string | undefined
  try {
    type = createPrivateKey(privateKey).asymmetricKeyType
  } catch {
    throw new InputError('jwt-private-key', 'is not a private key Node.js can read (expected an unencrypted PEM RSA key).')
  }
  if (type !== 'rsa')
    throw new InputError('jwt-private-key', `is an ${String(type).toUpperCase()} key; Qlik's JWT virtual proxies verify RS256, RS384 or RS512, which need an RSA key.`)
  const algorithm = get('jwt-algorithm').toUpperCase()
  if (!(JWT_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new InputError('jwt-algorithm', `'${get('jwt-algorithm')}' is not one of ${JWT_ALGORITHMS.join(', ')} (the only algorithms Qlik's JWT virtual proxy accepts).`)
  }
  // The claim names have defaults (userId, userDirectory); the values have none.
  for (const name of ['jwt-user-id', 'jwt-user-directory']) {
    if (!get(name)) throw new InputError(name, 'is required to mint a JWT with jwt-private-key.')
  }
  return {
    kind: 'mint',
    privateKey,
    algorithm: algorithm as JwtAlgorithm,
    userId: get('jwt-user-id'),
    userDirectory: get('jwt-user-directory'),
    userIdClaim: get('jwt-user-id-claim'),
    userDirectoryClaim: get('jwt-user-directory-claim'),
    audience: get('jwt-audience') || undefined,
    lifetimeSeconds: MINTED_LIFETIME_S
  }
}

/** A given token must look like a signed JWT with an algorithm the proxy accepts, and not be expired: its claims. */
function checkToken(token: string): Record<string, unknown> {
  const parts = token.split('.')
  const decode = (part: string): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>
    } catch {
      return undefined
    }
  }
  const header = parts.length === 3 ? decode(parts[0]) : undefined
  const payload = parts.length === 3 ? decode(parts[1]) : undefined
  if (!header || !payload || !parts[2]) throw new InputError('jwt', 'is not a signed JWT (expected three base64url parts: header.payload.signature).')
  if (!(JWT_ALGORITHMS as readonly string[]).includes(String(header.alg))) {
    throw new InputError('jwt', `is signed with ${String(header.alg)}; Qlik's JWT virtual proxy accepts only ${JWT_ALGORITHMS.join(', ')}.`)
  }
  if (typeof payload.exp === 'number' && payload.exp * 1000 <= Date.now()) {
    throw new InputError('jwt', `expired at ${new Date(payload.exp * 1000).toISOString()}: issue a new token, or let the action mint one with jwt-private-key.`)
  }
  return payload
}
