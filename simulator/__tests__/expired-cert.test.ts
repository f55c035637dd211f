/** The expired server certificate (serverCertificate: 'expired'): Node's TLS must refuse it with CERT_HAS_EXPIRED. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { X509Certificate } from 'node:crypto'
import https from 'node:https'
import { readFileSync } from 'node:fs'
import type { Simulator } from '../src/index.js'
import { machineName, start, testCerts, xrfkey } from './helpers.js'
import { proxyScenario } from './proxy-helpers.js'

const certs = testCerts('expired-cert')

function get(port: number, opts: https.RequestOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(
        {
          host: 'localhost',
          port,
          path: `/qrs/about?xrfkey=${xrfkey}`,
          headers: { 'X-Qlik-Xrfkey': xrfkey },
          agent: false,
          ca: readFileSync(certs.ca),
          cert: readFileSync(certs.clientCert),
          key: readFileSync(certs.clientKey),
          ...opts
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        }
      )
      .on('error', reject)
  })
}

describe('expired_server.pem', () => {
  it('same names and issuer as server.pem, notAfter in the past', () => {
    const valid = new X509Certificate(readFileSync(certs.serverCert))
    const expired = new X509Certificate(readFileSync(certs.expiredServerCert))
    expect(expired.subject).toBe(valid.subject)
    expect(expired.subject).toBe(`CN=${machineName}`)
    expect(expired.subjectAltName).toBe(valid.subjectAltName)
    expect(expired.issuer).toBe(valid.issuer)
    expect(expired.verify(new X509Certificate(readFileSync(certs.ca)).publicKey)).toBe(true)
    expect(Date.parse(expired.validTo)).toBeLessThan(Date.now())
    expect(Date.parse(expired.validFrom)).toBeLessThan(Date.parse(expired.validTo))
    expect(expired.serialNumber).not.toBe(valid.serialNumber)
    expect(readFileSync(certs.expiredServerCert, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/)
    expect(readFileSync(certs.expiredServerKey, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/)
  })
})

describe("serverCertificate: 'expired'", () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await start(certs, { scenario: proxyScenario(), serverCertificate: 'expired' })
  })
  afterAll(() => sim.close())

  it('the QRS listener: CERT_HAS_EXPIRED', async () => {
    await expect(get(sim.port)).rejects.toMatchObject({ code: 'CERT_HAS_EXPIRED' })
  })

  it('the proxy listener: CERT_HAS_EXPIRED', async () => {
    await expect(get(sim.proxyPort)).rejects.toMatchObject({ code: 'CERT_HAS_EXPIRED' })
  })

  it('a client that does not verify still gets through (the certificate is only expired)', async () => {
    expect(await get(sim.port, { rejectUnauthorized: false })).toBe(200)
  })
})

describe("serverCertificate: 'valid' (default)", () => {
  it('the same client succeeds', async () => {
    const sim = await start(certs)
    try {
      expect(await get(sim.port)).toBe(200)
    } finally {
      await sim.close()
    }
  })
})
