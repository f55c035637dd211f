import type { Authenticator, Site } from '../qrs/authenticator.js'
import { parseCertificates, parsePrivateKey, readPem, secretLines } from '../inputs/pem.js'
import { headerValue } from '../inputs/values.js'
import { InputError } from '../util/errors.js'
import type { AuthInputs, AuthMethod } from './method.js'
import { credentialsAuthenticator } from './session.js'
import { formatUser, parseUser } from '../qrs/user.js'

/** Client certificate material (QMC's client.pem / client_key.pem). */
export interface ClientCertificate {
  cert: string
  key: string
  passphrase?: string
}

export interface CertificateSettings {
  type: 'certificate'
  certificate: ClientCertificate
  /** The `X-Qlik-User` header: the user the calls run as. */
  qlikUser: string
}

/** auth-type: certificate (port 4242): client-cert, client-key, client-key-passphrase, qlik-user. */
export const certificateMethod: AuthMethod<CertificateSettings> = {
  read: inputs => ({ type: 'certificate', certificate: readClientCertificate(inputs), qlikUser: parseQlikUser(inputs.get('qlik-user')) }),
  create: (settings, site) => certificateAuth(settings.certificate, settings.qlikUser, site),
  // `UserDirectory=INTERNAL; UserId=sa_api` as the QRS names the user: `INTERNAL\sa_api`.
  user: settings => formatUser(parseUser(settings.qlikUser))
}

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

function readClientCertificate({ get, secrets }: AuthInputs): ClientCertificate {
  const passphrase = get('client-key-passphrase') || undefined
  if (passphrase) secrets.push(passphrase)
  for (const name of ['client-cert', 'client-key']) {
    if (!get(name)) throw new InputError(name, "is required with auth-type 'certificate' (QMC export: client.pem, client_key.pem).")
  }
  const key = readPem('client-key', get('client-key'))
  secrets.push(...secretLines(key))
  const cert = readPem('client-cert', get('client-cert'))
  const [leaf] = parseCertificates('client-cert', cert)
  const keyObject = parsePrivateKey('client-key', key, passphrase)
  if (!leaf.checkPrivateKey(keyObject)) {
    throw new InputError('client-key', `does not belong to the certificate in 'client-cert' (${leaf.subject.replace(/\n/g, ', ')}).`)
  }
  return { cert, key, passphrase }
}

function parseQlikUser(value: string): string {
  headerValue('qlik-user', value)
  // UserDirectory=INTERNAL; UserId=sa_api: ';' separated, spaces optional, order free.
  const parts = value
    .split(';')
    .map(p => p.trim())
    .filter(Boolean)
  const keys = parts.map(p => /^(\w+)\s*=\s*\S.*$/.exec(p)?.[1]?.toLowerCase())
  if (parts.length !== 2 || !keys.includes('userdirectory') || !keys.includes('userid')) {
    throw new InputError('qlik-user', `'${value}' is not of the form 'UserDirectory=INTERNAL; UserId=sa_api' (';' between the parts).`)
  }
  return value
}
