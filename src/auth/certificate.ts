import type { Auth } from './auth.js'
import type { ClientCertificate } from '../inputs/settings.js'

/**
 * Certificate auth on port 4242: mutual TLS with the site's client certificate, and the
 * user to act as in `X-Qlik-User` (without it the QRS runs the call with full admin rights).
 */
export function certificateAuth(certificate: ClientCertificate, qlikUser: string): Auth {
  return {
    description: `certificate (${qlikUser})`,
    tls: { cert: certificate.cert, key: certificate.key, passphrase: certificate.passphrase },
    headers: () => ({ 'X-Qlik-User': qlikUser })
  }
}
