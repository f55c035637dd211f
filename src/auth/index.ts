import type { Authenticator, Site } from './auth.js'
import type { Settings } from '../inputs/settings.js'
import { certificateAuth } from './certificate.js'
import { headerAuth } from './header.js'
import { jwtAuth } from './jwt.js'
import { ntlmAuth } from './ntlm.js'

export type { Authenticator } from './auth.js'

/** Picks the authenticator for `auth-type`. Settings are already validated. */
export function createAuthenticator(settings: Settings): Authenticator {
  const site: Site = { url: settings.url, userAgent: settings.userAgent }
  switch (settings.authType) {
    case 'certificate':
      return certificateAuth(settings.clientCertificate!, settings.qlikUser, site)
    case 'ntlm':
      return ntlmAuth(settings.windowsCredentials!, site)
    case 'jwt':
      return jwtAuth(settings.jwt!, site)
    case 'header':
      return headerAuth(settings.header!.name, settings.header!.value, site)
  }
}
