import type { Authenticator, Site } from './auth.js'
import type { ClientCertificate } from '../inputs/settings.js'
import { credentialsAuthenticator } from './session.js'

/**
 * Certificate auth on port 4242: mutual TLS with the site's client certificate, and the
 * user to act as in `X-Qlik-User` (without it the QRS runs the call with full admin rights).
 */
export function certificateAuth(certificate: ClientCertificate, qlikUser: string, site: Site): Authenticator {
  return credentialsAuthenticator(
    {
      type: 'certificate',
      description: `certificate (${qlikUser})`,
      clientTls: { cert: certificate.cert, key: certificate.key, passphrase: certificate.passphrase },
      credentials: () => ({ 'X-Qlik-User': qlikUser }),
      refusalHint: status =>
        status === 403
          ? "Refused: the client certificate must be exported from this site's QMC (Certificates), and the user in qlik-user needs security rules that allow this call."
          : undefined,
      htmlHint: 'Expected JSON but got an HTML page: url probably points at the proxy or a web server rather than the QRS (port 4242 for certificates).'
    },
    site
  )
}
