import { createPrivateKey } from 'node:crypto'
import { JWT_ALGORITHMS, type JwtAlgorithm, type JwtSource } from '../auth/jwt.js'
import { InputError } from './errors.js'
import { readPem, secretLines } from './pem.js'

/** Minted tokens live five minutes: long enough for a request, short enough to be worthless if leaked. */
const MINTED_LIFETIME_S = 300

/** `jwt` (a token) or `jwt-private-key` + `jwt-user-id` + `jwt-user-directory` (mint on the runner). */
export function readJwtSource(get: (name: string) => string, secrets: string[]): JwtSource {
  const token = get('jwt')
  const keyInput = get('jwt-private-key')
  if (token && keyInput) throw new InputError('jwt', 'set either jwt or jwt-private-key, not both.')
  if (token) {
    secrets.push(token)
    checkToken(token)
    return { kind: 'static', token }
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

/** A given token must look like a signed JWT with an algorithm the proxy accepts, and not be expired. */
function checkToken(token: string): void {
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
}
