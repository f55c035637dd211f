/** JWT VP check (doc section 4): RS256/384/512 only, exp enforced, aud only if configured. */
import jwt from 'jsonwebtoken'
import type { ScenarioVirtualProxy } from '../scenario.js'

export type JwtCheck = { ok: true; userDirectory: string; userId: string } | { ok: false; message: string }

const algorithms: jwt.Algorithm[] = ['RS256', 'RS384', 'RS512']

/** General words only, like a real proxy: never echo the token. */
function reason(err: unknown): string {
  if (err instanceof jwt.TokenExpiredError) return 'the token has expired'
  if (err instanceof jwt.NotBeforeError) return 'the token is not valid yet'
  const msg = err instanceof Error ? err.message : ''
  if (msg === 'invalid algorithm') return 'the token algorithm is not supported (RS256, RS384, RS512 only)'
  if (msg === 'invalid signature') return 'the token signature is invalid'
  if (msg.startsWith('jwt audience invalid')) return 'the token audience is not accepted'
  return 'the token is malformed'
}

export function checkJwt(token: string, publicKeyPem: string, vp: ScenarioVirtualProxy): JwtCheck {
  let payload: jwt.JwtPayload | string
  try {
    payload = jwt.verify(token, publicKeyPem, { algorithms, ...(vp.jwtAudience ? { audience: vp.jwtAudience } : {}) })
  } catch (err) {
    return { ok: false, message: `Authentication failed: ${reason(err)}.` }
  }
  const idClaim = vp.jwtUserIdClaim ?? 'userId'
  const dirClaim = vp.jwtUserDirectoryClaim ?? 'userDirectory'
  const claims: Record<string, unknown> = typeof payload === 'object' ? payload : {}
  const id = claims[idClaim]
  const dir = claims[dirClaim]
  if (typeof id !== 'string' || !id || typeof dir !== 'string' || !dir) {
    return { ok: false, message: 'Authentication failed: the token lacks the user id or user directory attribute.' }
  }
  return { ok: true, userDirectory: dir, userId: id }
}
