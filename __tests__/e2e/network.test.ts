import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { runAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { IDS, WINDOWS, testSite } from '../helpers/site.js'
import { loopbackAlias, startTinyproxy, tinyproxyAvailable, type ForwardProxy } from '../helpers/tinyproxy.js'
import { noteSkipped } from '../../simulator/__tests__/skipped.js'

const haveProxy = tinyproxyAvailable()
if (!haveProxy && process.env.QSR_REQUIRE_TINYPROXY) throw new Error('QSR_REQUIRE_TINYPROXY is set but tinyproxy is not installed')
if (!haveProxy) noteSkipped('__tests__/e2e/network.test.ts (through a forward proxy)', 'tinyproxy is not installed (apt-get install tinyproxy)')

describe('TLS failures are explained', () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await startSimulator({ scenario: testSite(), certsDir: testCertificates().dir, serverCertificate: 'expired', quiet: true })
  })
  afterAll(async () => sim?.close())

  it('an expired server certificate', async () => {
    const run = await runAction({
      url: sim.url,
      'auth-type': 'certificate',
      'client-cert': sim.certs.clientCert,
      'client-key': sim.certs.clientKey,
      'ca-cert': sim.certs.ca,
      'task-id': IDS.ok
    })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::TLS: the certificate of localhost:\d+ is expired( \(valid to .*\))?\. Renew the Qlik certificates/)
    expect(sim.startCount()).toBe(0)
  })
})

;(haveProxy ? describe : describe.skip)('through a forward proxy (tinyproxy, HTTPS_PROXY)', () => {
  let sim: Simulator
  let proxy: ForwardProxy
  let host: string
  beforeAll(async () => {
    sim = await startSimulator({ scenario: testSite(), certsDir: testCertificates().dir, quiet: true })
    proxy = await startTinyproxy()
    const alias = await loopbackAlias()
    if (!alias) throw new Error('no loopback host name other than localhost (needs root to add one to /etc/hosts)')
    host = alias
  })
  afterAll(async () => {
    proxy?.stop()
    await sim?.close()
  })

  // Actions never proxy localhost or 127.x, so the tests reach the simulator by another loopback name;
  // the server certificate is checked against localhost, one of its names.
  const through = (inputs: Record<string, string>, env: Record<string, string> = { HTTPS_PROXY: proxy.url }) =>
    runAction({ 'ca-cert': sim.certs.ca, 'tls-server-name': 'localhost', 'max-poll-interval': '1s', 'task-id': IDS.ok, ...inputs }, { env })
  const connectsTo = (port: number, before: number) =>
    proxy
      .connects()
      .slice(before)
      .filter(line => line === `CONNECT ${host}:${port}`)

  it('certificate auth: client certificate and CA go through the tunnel', async () => {
    const before = proxy.connects().length
    const run = await through({ url: `https://${host}:${sim.port}`, 'auth-type': 'certificate', 'client-cert': sim.certs.clientCert, 'client-key': sim.certs.clientKey })
    expect(run.stdout).not.toMatch(/::error/)
    expect(run.outputs.status).toBe('FinishedSuccess')
    expect(connectsTo(sim.port, before).length).toBeGreaterThan(0)
  })

  it('JWT auth through the proxy', async () => {
    const before = proxy.connects().length
    const run = await through({
      url: `https://${host}:${sim.proxyPort}/jwt`,
      'auth-type': 'jwt',
      'jwt-private-key': sim.certs.jwtKey,
      'jwt-user-id': 'svc_reload',
      'jwt-user-directory': 'CORP'
    })
    expect(run.stdout).not.toMatch(/::error/)
    expect(run.outputs.status).toBe('FinishedSuccess')
    expect(connectsTo(sim.proxyPort, before).length).toBeGreaterThan(0)
  })

  it('header auth through the proxy', async () => {
    const before = proxy.connects().length
    const run = await through({ url: `https://${host}:${sim.proxyPort}/hdr`, 'auth-type': 'header', 'header-name': 'X-Qlik-HeaderAuth', 'header-value': 'svc_reload' })
    expect(run.stdout).not.toMatch(/::error/)
    expect(connectsTo(sim.proxyPort, before).length).toBeGreaterThan(0)
  })

  it('NO_PROXY keeps the Qlik host off the proxy', async () => {
    const before = proxy.connects().length
    const run = await through(
      { url: `https://${host}:${sim.port}`, 'auth-type': 'certificate', 'client-cert': sim.certs.clientCert, 'client-key': sim.certs.clientKey },
      { HTTPS_PROXY: proxy.url, NO_PROXY: host }
    )
    expect(run.outputs.status).toBe('FinishedSuccess')
    expect(connectsTo(sim.port, before)).toHaveLength(0)
  })

  it('NTLM through the proxy fails before any handshake, saying to put the host in NO_PROXY', async () => {
    const handshakes = sim.proxy.ntlmHandshakes.ntlm + sim.proxy.ntlmFailures.ntlm
    const run = await through({ url: `https://${host}:${sim.proxyPort}/ntlm`, 'auth-type': 'ntlm', username: `${WINDOWS.domain}\\${WINDOWS.user}`, password: WINDOWS.password })
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(`NTLM cannot go through the forward proxy 127.0.0.1:`)
    expect(run.stdout).toContain(`Put the Qlik host in NO_PROXY (NO_PROXY: ${host})`)
    // No failed logon was spent on the account.
    expect(sim.proxy.ntlmHandshakes.ntlm + sim.proxy.ntlmFailures.ntlm).toBe(handshakes)
  })

  it('engine mode, certificate auth: the engine port through the tunnel too, client certificate and CA included', async () => {
    const before = proxy.connects().length
    const run = await through({
      url: `https://${host}:${sim.port}`,
      'auth-type': 'certificate',
      'client-cert': sim.certs.clientCert,
      'client-key': sim.certs.clientKey,
      'task-id': '',
      'app-id': IDS.appFinance,
      'reload-mode': 'engine',
      'engine-url': `wss://${host}:${sim.enginePort}`
    })
    expect(run.stdout).not.toMatch(/::error/)
    expect(run.outputs.status).toBe('FinishedSuccess')
    expect(connectsTo(sim.enginePort, before).length).toBe(1)
    expect(sim.engine.calls.filter(c => c.method === 'DoSave').length).toBeGreaterThan(0)
  })

  it('engine mode, JWT: the engine socket goes through the proxy to the virtual proxy; NO_PROXY keeps it off', async () => {
    const jwt = {
      'auth-type': 'jwt',
      'jwt-private-key': sim.certs.jwtKey,
      'jwt-user-id': 'svc_reload',
      'jwt-user-directory': 'CORP',
      'task-id': '',
      'app-id': IDS.appFinance,
      'reload-mode': 'engine'
    }
    const before = proxy.connects().length
    const run = await through({ url: `https://${host}:${sim.proxyPort}/jwt`, ...jwt })
    expect(run.stdout).not.toMatch(/::error/)
    expect(run.outputs.status).toBe('FinishedSuccess')
    const upgrades = sim.requests.filter(r => r.path === `/jwt/app/${IDS.appFinance}` && r.status === 101)
    expect(upgrades.length).toBeGreaterThan(0)
    expect(connectsTo(sim.proxyPort, before).length).toBeGreaterThan(0)
    const direct = proxy.connects().length
    const off = await through({ url: `https://${host}:${sim.proxyPort}/jwt`, ...jwt }, { HTTPS_PROXY: proxy.url, NO_PROXY: host })
    expect(off.outputs.status).toBe('FinishedSuccess')
    expect(connectsTo(sim.proxyPort, direct)).toHaveLength(0)
  })

  it('NTLM with the Qlik host in NO_PROXY works', async () => {
    const run = await through(
      { url: `https://${host}:${sim.proxyPort}/ntlm`, 'auth-type': 'ntlm', username: `${WINDOWS.domain}\\${WINDOWS.user}`, password: WINDOWS.password },
      { HTTPS_PROXY: proxy.url, NO_PROXY: host }
    )
    expect(run.stdout).not.toMatch(/::error/)
    expect(run.outputs.status).toBe('FinishedSuccess')
  })
})
