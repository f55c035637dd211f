import { ConnectionError } from '../util/errors.js'
import { withoutQuery } from '../output/mask.js'

interface NodeError extends Error {
  code?: string
  host?: string
  cert?: { subjectaltname?: string; subject?: { CN?: string }; valid_to?: string }
}

const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE'
])

const CLIENT_CERT_REFUSED = /CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|HANDSHAKE_FAILURE/

/** Turns a Node network or TLS error into a message that says what to change. */
export function describeConnectionError(error: unknown, url: URL): ConnectionError {
  const e = error as NodeError
  const code = e.code ?? ''
  const where = url.host
  if (UNKNOWN_CA.has(code)) {
    return new ConnectionError(
      `TLS: the certificate of ${where} is not trusted (${code}). Set 'ca-cert' to the site's root certificate (root.pem from the QMC certificate export) or add it to the runner's trust store.`
    )
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = e.cert?.subjectaltname ?? (e.cert?.subject?.CN ? `CN=${e.cert.subject.CN}` : 'unknown names')
    const first = /DNS:([^,\s]+)/.exec(names)?.[1] ?? e.cert?.subject?.CN
    return new ConnectionError(
      `TLS: the certificate of ${where} is issued to ${names}, not to '${url.hostname}'. Qlik issues it to the machine name the node was installed with: connect by that name, or set 'tls-server-name: ${first ?? '<machine name>'}'.`
    )
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return new ConnectionError(
      `TLS: the certificate of ${where} is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not valid yet'}${e.cert?.valid_to ? ` (valid to ${e.cert.valid_to})` : ''}. Renew the Qlik certificates on the server, or check the runner's clock.`
    )
  }
  if (CLIENT_CERT_REFUSED.test(code) || CLIENT_CERT_REFUSED.test(e.message)) {
    return new ConnectionError(`TLS: ${where} refused the client certificate (${code || e.message}). Use client.pem and client_key.pem exported from this site's QMC.`)
  }
  if (code === 'ECONNREFUSED')
    return new ConnectionError(`Nothing accepts connections at ${where} (ECONNREFUSED): check the host and port (4242 for certificates, 443 for the proxy) and the firewall.`, true)
  if (code === 'ENOTFOUND') return new ConnectionError(`Cannot resolve ${url.hostname} (${code}): check the host name and the runner's DNS.`, false, code)
  if (code === 'EAI_AGAIN') return new ConnectionError(`Cannot resolve ${url.hostname} right now (${code}): the runner's DNS did not answer.`, true)
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return new ConnectionError(`Cannot reach ${where} (${code}): the runner must be inside the network that reaches Qlik Sense.`, true)
  if (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/i.test(e.message)) {
    return new ConnectionError(
      `${where} closed the connection without answering (${code || e.message}). If this happens at once every time, the server may be refusing the client certificate or the TLS version.`,
      true
    )
  }
  if (/^Request timeout/.test(e.message)) return new ConnectionError(`${where} did not answer in time (${withoutQuery(e.message)}).`, true, 'ETIMEDOUT')
  return new ConnectionError(`Request to ${where} failed: ${withoutQuery(e.message)}${code ? ` (${code})` : ''}`)
}
