import { describe, expect, it } from '@jest/globals'
import { connect } from 'node:net'
import { describeConnectionError } from '../../src/qrs/connection-errors.js'
import { freePort } from '../helpers/tinyproxy.js'

const url = new URL('https://qlik.corp.example:4242/qrs')

/** An error shaped as Node's network and TLS errors are: a message, a code, and for TLS the peer's certificate. */
function nodeError(code: string, message = code, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, ...extra })
}

describe('describeConnectionError', () => {
  it.each([
    ['SELF_SIGNED_CERT_IN_CHAIN', /^TLS: the certificate of qlik\.corp\.example:4242 is not trusted \(SELF_SIGNED_CERT_IN_CHAIN\)\. Set 'ca-cert'/, false],
    ['CERT_HAS_EXPIRED', /is expired \(valid to Jan {2}1 00:00:00 2020 GMT\)\. Renew the Qlik certificates/, false],
    ['CERT_NOT_YET_VALID', /is not valid yet .*check the runner's clock/, false],
    ['ECONNREFUSED', /^Nothing accepts connections at qlik\.corp\.example:4242 \(ECONNREFUSED\)/, true],
    ['ENOTFOUND', /^Cannot resolve qlik\.corp\.example \(ENOTFOUND\)/, false],
    ['EAI_AGAIN', /^Cannot resolve qlik\.corp\.example right now/, true],
    ['ETIMEDOUT', /^Cannot reach qlik\.corp\.example:4242 \(ETIMEDOUT\)/, true],
    ['EHOSTUNREACH', /^Cannot reach .* \(EHOSTUNREACH\)/, true],
    ['ECONNRESET', /closed the connection without answering \(ECONNRESET\)/, true],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', /^TLS: qlik\.corp\.example:4242 refused the client certificate/, false]
  ])('%s: says what to change', (code, message, transient) => {
    const error = describeConnectionError(nodeError(code, code, { cert: { valid_to: 'Jan  1 00:00:00 2020 GMT' } }), url)
    expect(error.message).toMatch(message)
    expect(error.transient).toBe(transient)
  })

  it('a certificate for another name: names the certificate, the host and tls-server-name', () => {
    const error = describeConnectionError(nodeError('ERR_TLS_CERT_ALTNAME_INVALID', 'altnames', { cert: { subjectaltname: 'DNS:qliksrv01.corp.example, DNS:localhost' } }), url)
    expect(error.message).toMatch(/issued to DNS:qliksrv01\.corp\.example, DNS:localhost, not to 'qlik\.corp\.example'.*tls-server-name: qliksrv01\.corp\.example/)
    const cnOnly = describeConnectionError(nodeError('ERR_TLS_CERT_ALTNAME_INVALID', 'altnames', { cert: { subject: { CN: 'QLIKSRV01' } } }), url)
    expect(cnOnly.message).toMatch(/issued to CN=QLIKSRV01.*tls-server-name: QLIKSRV01/)
  })

  it('a hang-up, a request timeout and anything else: the message with its query string cut', () => {
    expect(describeConnectionError(new Error('socket hang up'), url).message).toMatch(/closed the connection without answering \(socket hang up\)/)
    expect(describeConnectionError(new Error('Request timeout: /qrs/about?xrfkey=abc'), url).message).toBe(
      'qlik.corp.example:4242 did not answer in time (Request timeout: /qrs/about?…).'
    )
    expect(describeConnectionError(nodeError('EPROTO', 'wrong version number at /qrs?xrfkey=k'), url).message).toBe(
      'Request to qlik.corp.example:4242 failed: wrong version number at /qrs?… (EPROTO)'
    )
  })

  it("a real refused connection is Node's ECONNREFUSED", async () => {
    const port = await freePort()
    const error = await new Promise<Error>(resolve => connect(port, '127.0.0.1').on('error', resolve))
    expect(describeConnectionError(error, new URL(`https://127.0.0.1:${port}`)).message).toMatch(/^Nothing accepts connections at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/)
  })
})
