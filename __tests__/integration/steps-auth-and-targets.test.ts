import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { run } from '../../src/main.js'
import { systemClock } from '../../src/util/clock.js'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import type { Scenario } from '../../simulator/src/index.js'
import { testCertificates } from '../helpers/certs.js'
import { inProcessSite } from '../helpers/in-process.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'
import { IDS, WINDOWS, certificateInputs } from '../helpers/site.js'
import { freePort } from '../helpers/tinyproxy.js'

// run() in this process with a fake toolkit: each auth strategy through the simulated proxy,
// the other target kinds (app-id, a running task), task chains and push wake-ups.
const site = inProcessSite()
let sim: Simulator
beforeAll(() => {
  sim = site.sim()
})

async function main(inputs: Record<string, string>): Promise<FakeToolkit> {
  const toolkit = new FakeToolkit({ 'ca-cert': sim.certs.ca, 'max-poll-interval': '1s', ...inputs })
  await run({ toolkit, clock: systemClock })
  return toolkit
}

describe('auth strategies through the proxy', () => {
  it('NTLM: signs in at the Windows login once and reloads', async () => {
    const handshakes = sim.proxy.ntlmHandshakes.ntlm ?? 0
    const toolkit = await main({ url: `${sim.proxyUrl}/ntlm`, 'auth-type': 'ntlm', username: `${WINDOWS.domain}\\${WINDOWS.user}`, password: WINDOWS.password, 'task-id': IDS.ok })
    expect(toolkit.errors()).toEqual([])
    expect(toolkit.outputs.status).toBe('FinishedSuccess')
    expect(sim.proxy.ntlmHandshakes.ntlm - handshakes).toBe(1)
    expect(toolkit.secrets).toContain(WINDOWS.password)
  })

  it('NTLM: a wrong password is explained, naming the account', async () => {
    const toolkit = await main({ url: `${sim.proxyUrl}/ntlm`, 'auth-type': 'ntlm', username: `${WINDOWS.domain}\\${WINDOWS.user}`, password: 'wrong', 'task-id': IDS.ok })
    expect(toolkit.failed).toBe(true)
    expect(toolkit.errors()[0].message).toMatch(/refused the Windows sign-in of CORP\\svc_reload/)
  })

  it('NTLM: the forms login is explained with the user agent', async () => {
    const toolkit = await main({ url: `${sim.proxyUrl}/ntlm`, 'auth-type': 'ntlm', username: 'CORP\\svc_reload', password: 'x', 'user-agent': 'curl', 'task-id': IDS.ok })
    expect(toolkit.errors()[0].message).toMatch(/forms login page/)
  })

  it('JWT minted on the runner', async () => {
    const toolkit = await main({
      url: `${sim.proxyUrl}/jwt`,
      'auth-type': 'jwt',
      'jwt-private-key': sim.certs.jwtKey,
      'jwt-user-id': 'svc_reload',
      'jwt-user-directory': 'CORP',
      'task-id': IDS.ok
    })
    expect(toolkit.errors()).toEqual([])
    expect(toolkit.outputs.status).toBe('FinishedSuccess')
  })

  it('header auth, and the Windows login of a url without the prefix explained', async () => {
    const ok = await main({ url: `${sim.proxyUrl}/hdr`, 'auth-type': 'header', 'header-name': 'X-Qlik-HeaderAuth', 'header-value': 'svc_reload', 'task-id': IDS.ok })
    expect(ok.errors()).toEqual([])
    const wrong = await main({ url: `${sim.proxyUrl}/ntlm`, 'auth-type': 'header', 'header-name': 'X-Qlik-HeaderAuth', 'header-value': 'svc_reload', 'task-id': IDS.ok })
    expect(wrong.errors()[0].message).toMatch(/auth-type is 'header'/)
  })
})

describe('targets', () => {
  it('app-id: reloads the app and reports its execution', async () => {
    const toolkit = await main(certificateInputs(sim, { 'app-id': IDS.appFinance }))
    expect(toolkit.outputs['app-id']).toBe(IDS.appFinance)
    expect(toolkit.outputs['execution-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('if-running attach: reports the run someone else started, starting nothing', async () => {
    const executionId = sim.startTask(IDS.long)
    const before = sim.startCount(IDS.long)
    const toolkit = await main(certificateInputs(sim, { 'task-id': IDS.long, 'if-running': 'attach' }))
    expect(toolkit.outputs['execution-id']).toBe(executionId)
    expect(sim.startCount(IDS.long)).toBe(before)
    expect(toolkit.outputs.status).toBe('FinishedSuccess')
  })

  it('if-running fail: fails at once naming the running execution', async () => {
    const executionId = sim.startTask(IDS.long)
    const toolkit = await main(certificateInputs(sim, { 'task-id': IDS.long, 'if-running': 'fail' }))
    expect(toolkit.failed).toBe(true)
    expect(toolkit.errors()[0].message).toContain(executionId)
  })

  it('push wake-ups: subscribes, is woken, and removes its subscription', async () => {
    const port = await freePort()
    const [removed, deliveries] = [sim.notifications.removed().length, sim.notifications.deliveries().length]
    const toolkit = await main(
      certificateInputs(sim, { 'task-id': IDS.ok, 'max-poll-interval': '30s', 'notify-listen': `127.0.0.1:${port}`, 'notify-url': `http://127.0.0.1:${port}/qlik-notify` })
    )
    expect(toolkit.errors()).toEqual([])
    expect(toolkit.outputs.status).toBe('FinishedSuccess')
    expect(sim.notifications.deliveries().length).toBeGreaterThan(deliveries)
    expect(sim.notifications.removed().length).toBeGreaterThan(removed)
    expect(sim.notifications.active()).toEqual([])
  })

  it('push wake-ups off when the port is taken or the QRS refuses the subscription: polls and succeeds', async () => {
    const busy = createServer()
    await new Promise<void>(done => busy.listen(0, '127.0.0.1', done))
    const taken = (busy.address() as AddressInfo).port
    try {
      const port = await main(
        certificateInputs(sim, { 'task-id': IDS.ok, 'max-poll-interval': '1s', 'notify-listen': `127.0.0.1:${taken}`, 'notify-url': `http://127.0.0.1:${taken}/qlik-notify` })
      )
      expect(port.outputs.status).toBe('FinishedSuccess')
      sim.faults.add({ method: 'POST', path: '/qrs/notification', times: 1, action: { kind: 'status', status: 403, body: 'Forbidden' } })
      const free = await freePort()
      const refused = await main(
        certificateInputs(sim, { 'task-id': IDS.ok, 'max-poll-interval': '1s', 'notify-listen': `127.0.0.1:${free}`, 'notify-url': `http://127.0.0.1:${free}/qlik-notify` })
      )
      expect(refused.outputs.status).toBe('FinishedSuccess')
      // The warnings go through the toolkit: annotations of each run.
      expect(port.annotations).toEqual([
        { level: 'warning', message: expect.stringMatching(new RegExp(`^Push wake-ups off: cannot listen on 127\\.0\\.0\\.1:${taken} \\(`)), title: undefined }
      ])
      expect(refused.annotations).toEqual([
        {
          level: 'warning',
          message: expect.stringMatching(/^Push wake-ups off: the QRS refused the notification subscription \(POST \/qrs\/notification answered 403/),
          title: undefined
        }
      ])
      expect(sim.notifications.active()).toEqual([])
    } finally {
      sim.faults.clear()
      await new Promise(done => busy.close(done))
    }
  })
})

describe('targets that do not start, servers that cannot be reached', () => {
  it('if-running wait: waits for the running execution, then starts a fresh one', async () => {
    const running = sim.startTask(IDS.long)
    const before = sim.startCount(IDS.long)
    const toolkit = await main(certificateInputs(sim, { 'task-id': IDS.long }))
    expect(toolkit.errors()).toEqual([])
    expect(toolkit.outputs['execution-id']).not.toBe(running)
    expect(sim.startCount(IDS.long)).toBe(before + 1)
  })

  it('a disabled task is refused by name', async () => {
    const toolkit = await main(certificateInputs(sim, { 'task-id': IDS.disabled }))
    expect(toolkit.failed).toBe(true)
    expect(toolkit.errors()[0].message).toMatch(/Reload Archive/)
  })

  it('an untrusted server certificate and a closed port are explained', async () => {
    const untrusted = await main(certificateInputs(sim, { 'task-id': IDS.ok, 'ca-cert': sim.certs.otherCa }))
    expect(untrusted.errors()[0].message).toMatch(/^TLS: the certificate of .* is not trusted/)
    const port = await freePort()
    // Refused connections are retried: a clock that does not sleep keeps the test short.
    const toolkit = new FakeToolkit(certificateInputs(sim, { url: `https://localhost:${port}`, 'task-id': IDS.ok }))
    await run({ toolkit, clock: { now: () => Date.now(), sleep: async () => undefined } })
    expect(toolkit.errors()[0].message).toMatch(/Nothing accepts connections at localhost:\d+ \(ECONNREFUSED\)/)
  })
})

describe('task chains', () => {
  const APP = 'd4000000-0000-4000-8000-000000000001'
  const id = (n: number) => `e5000000-0000-4000-8000-${String(n).padStart(12, '0')}`
  const task = (name: string, n: number, outcome: 7 | 8) => ({ id: id(n), name, appId: APP, runs: [{ attempts: [{ outcome, durationMs: 300 }] }] })
  const on = (n: number, name: string, upstream: number, downstream: number, ruleState: 1 | 2 = 1) => ({
    id: `f6000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    name,
    rules: [{ taskId: id(upstream), ruleState }],
    downstreamTaskId: id(downstream)
  })
  let chains: Simulator
  beforeAll(async () => {
    const scenario: Scenario = {
      machineName: 'qliksrv01.corp.example',
      serverNames: ['qliksrv01.corp.example', 'localhost', '127.0.0.1'],
      nodeName: 'qliksrv01',
      apps: [{ id: APP, name: 'Warehouse' }],
      tasks: [task('Chain A', 1, 7), task('Chain B', 2, 7), task('Fail A', 3, 7), task('Fail B', 4, 8)],
      compositeEvents: [on(1, 'After Chain A', 1, 2), on(2, 'After Fail A', 3, 4)]
    }
    chains = await startSimulator({ scenario, certsDir: testCertificates().dir, quiet: true })
  })
  afterAll(async () => chains?.close())

  it('waits for the chain and shows it in the summary', async () => {
    const toolkit = new FakeToolkit(certificateInputs(chains, { 'task-name': 'Chain A', 'wait-for-chain': 'true' }))
    await run({ toolkit, clock: systemClock })
    expect(toolkit.failed).toBe(false)
    expect(toolkit.summary).toContain('Task chain')
    expect(toolkit.summary).toContain('Chain B')
  })

  it('a failed task in the chain fails the step with its own titled annotation, or warns', async () => {
    const failing = new FakeToolkit(certificateInputs(chains, { 'task-name': 'Fail A', 'wait-for-chain': 'true' }))
    await run({ toolkit: failing, clock: systemClock })
    expect(failing.failed).toBe(true)
    expect(failing.errors()).toEqual([expect.objectContaining({ title: 'Qlik task chain failed after Fail A', message: expect.stringMatching(/'Fail B' FinishedFail/) })])
    const warning = new FakeToolkit(certificateInputs(chains, { 'task-name': 'Fail A', 'wait-for-chain': 'true', 'chain-failure': 'warn' }))
    await run({ toolkit: warning, clock: systemClock })
    expect(warning.failed).toBe(false)
    expect(warning.annotations).toEqual([expect.objectContaining({ level: 'warning', title: 'Qlik task chain failed after Fail A' })])
  })
})
