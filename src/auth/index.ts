import type { Auth } from './auth.js'
import type { Settings } from '../inputs/settings.js'
import { certificateAuth } from './certificate.js'

export type { Auth, ClientTls } from './auth.js'

/** Picks the auth module for `auth-type`. Settings are already validated. */
export function createAuth(settings: Settings): Auth {
  switch (settings.authType) {
    case 'certificate':
      return certificateAuth(settings.clientCertificate!, settings.qlikUser)
    default:
      throw new Error(`auth-type '${settings.authType}' is not implemented`)
  }
}
