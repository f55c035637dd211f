import type { Auth } from './auth.js'
import type { ClientCertificate } from '../inputs/settings.js'

/**
 * Certificate auth on port 4242: mutual TLS with the site's client certificate, and the
 * user to act as in `X-Qlik-User` (without it the QRS runs the call with full admin rights).
 */
export function certificateAuth(certificate: ClientCertificate, qlikUser: string): Auth {
  return {
    type: 'certificate',
    description: `certificate (${qlikUser})`,
    tls: { cert: certificate.cert, key: certificate.key, passphrase: certificate.passphrase },
    headers: () => ({ 'X-Qlik-User': qlikUser }),
    refusalHint: status =>
      status === 403
        ? "Refused: the client certificate must be exported from this site's QMC (Certificates), and the user in qlik-user needs security rules that allow this call."
        : undefined
  }
}
