import type { Auth } from './auth.js'
import type { Settings } from '../inputs/settings.js'
import { certificateAuth } from './certificate.js'
import { headerAuth } from './header.js'
import { jwtAuth } from './jwt.js'
import { ntlmAuth } from './ntlm.js'

export type { Auth, ClientTls } from './auth.js'

/** Picks the auth module for `auth-type`. Settings are already validated. */
export function createAuth(settings: Settings): Auth {
  switch (settings.authType) {
    case 'certificate':
      return certificateAuth(settings.clientCertificate!, settings.qlikUser)
    case 'ntlm':
      return ntlmAuth(settings.windowsCredentials!)
    case 'jwt':
      return jwtAuth(settings.jwt!)
    case 'header':
      return headerAuth(settings.header!.name, settings.header!.value)
  }
}
