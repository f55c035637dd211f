import { describe, test, expect, beforeAll, afterAll } from '@jest/globals'
import { execFile } from 'node:child_process'
import https from 'node:https'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import type { Simulator } from '../src/index.js'
import { agent, call, machineName, start, testCerts, xrfkey } from './helpers.js'

const run = promisify(execFile)
const certs = testCerts('tls')

describe('mutual TLS, default variant (403)', () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await start(certs)
  })
  afterAll(() => sim.close())

  test('the site client certificate passes', async () => {
    expect((await call(sim, 'GET', '/qrs/about')).status).toBe(200)
  })

  test('the password-protected key from the export works', async () => {
    expect((await call(sim, 'GET', '/qrs/about', { agent: agent(certs, 'encrypted') })).status).toBe(200)
  })

  test('no client certificate: 403 text', async () => {
    const res = await call(sim, 'GET', '/qrs/about', { agent: agent(certs, 'none') })
    expect(res.status).toBe(403)
    expect(res.contentType).toMatch(/^text\/plain/)
  })

  test('a client certificate from another CA: 403, CN recorded', async () => {
    const res = await call(sim, 'GET', '/qrs/about', { agent: agent(certs, 'other') })
    expect(res.status).toBe(403)
    expect(sim.requests.at(-1)).toMatchObject({ status: 403, clientCertCN: 'QlikClient' })
  })

  test('control endpoints need no client certificate', async () => {
    const res = await call(sim, 'GET', '/__sim/starts', { agent: agent(certs, 'none'), xrfkey: false })
    expect(res.status).toBe(200)
  })

  test('the server certificate verifies against root.pem for the machine name', async () => {
    // Connect to 127.0.0.1 but check the certificate against the machine name, as a client pinning root.pem would.
    const status = await new Promise<number>((resolve, reject) => {
      https
        .get(
          {
            host: '127.0.0.1',
            port: sim.port,
            servername: machineName,
            path: `/qrs/about?xrfkey=${xrfkey}`,
            headers: { 'X-Qlik-Xrfkey': xrfkey },
            ca: readFileSync(certs.ca),
            cert: readFileSync(certs.clientCert),
            key: readFileSync(certs.clientKey),
            agent: false,
            checkServerIdentity: (_host, cert) => (cert.subject.CN === machineName ? undefined : new Error('wrong CN'))
          },
          (res) => {
            res.resume()
            resolve(res.statusCode ?? 0)
          }
        )
        .on('error', reject)
    })
    expect(status).toBe(200)
  })

  test('a name outside the certificate fails verification', async () => {
    const error = await new Promise<Error>((resolve) => {
      https
        .get({ host: '127.0.0.1', port: sim.port, servername: 'otherhost.example', path: '/__sim/starts', ca: readFileSync(certs.ca), agent: false }, () =>
          resolve(new Error('connected'))
        )
        .on('error', resolve)
    })
    expect((error as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
  })

  test('curl as a foreign client: mutual TLS, xrfkey, filter', async () => {
    const filter = encodeURIComponent("name eq 'Reload O\\'Brien Ümsätze'")
    const { stdout } = await run('curl', [
      '-sS',
      '--fail-with-body',
      '--cacert',
      certs.ca,
      '--cert',
      certs.clientCert,
      '--key',
      certs.clientKey,
      '-H',
      `X-Qlik-Xrfkey: ${xrfkey}`,
      '-H',
      'X-Qlik-User: UserDirectory=INTERNAL; UserId=sa_api',
      `${sim.url}/qrs/reloadtask/full?filter=${filter}&xrfkey=${xrfkey}`
    ])
    const tasks = JSON.parse(stdout) as { name: string }[]
    expect(tasks.map((t) => t.name)).toEqual(["Reload O'Brien Ümsätze"])
  })

  test('curl with the encrypted key and its passphrase', async () => {
    const { stdout } = await run('curl', [
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--cacert',
      certs.ca,
      '--cert',
      certs.clientCert,
      '--key',
      certs.clientKeyEncrypted,
      '--pass',
      certs.clientKeyPassphrase,
      '-H',
      `X-Qlik-Xrfkey: ${xrfkey}`,
      `${sim.url}/qrs/about?xrfkey=${xrfkey}`
    ])
    expect(stdout).toBe('200')
  })
})

describe('mutual TLS, handshake variant', () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await start(certs, { switches: { untrustedClientCert: 'handshake' } })
  })
  afterAll(() => sim.close())

  test('the site client certificate passes', async () => {
    expect((await call(sim, 'GET', '/qrs/about')).status).toBe(200)
  })

  test.each(['none', 'other'] as const)('client %s: the connection is refused', async (who) => {
    await expect(call(sim, 'GET', '/qrs/about', { agent: agent(certs, who) })).rejects.toThrow()
    expect(sim.requests.filter((r) => r.status !== 200)).toHaveLength(0)
  })
})
