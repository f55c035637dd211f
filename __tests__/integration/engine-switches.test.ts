/**
 * The engine's unconfirmed behaviours are simulator switches (simulator/README.md, "Engine (QIX)"): the
 * engine mode is run against each variant, in this process, and must do the same right thing in each.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../src/main.js'
import { systemClock } from '../../src/util/clock.js'
import { startSimulator, type Simulator, type Switches } from '../../simulator/src/index.js'
import { testCertificates } from '../helpers/certs.js'
import { APPS, engineSite } from '../helpers/engine-site.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'
import { WINDOWS, certificateInputs } from '../helpers/site.js'

let scratch: string
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'engine-switches-'))
  process.env.RUNNER_TEMP = scratch
})
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true })
  delete process.env.RUNNER_TEMP
})

/** A simulator with `switches`, for one test; a Windows VP whose sessions idle out after 1.5 s. */
async function withSim<T>(switches: Partial<Switches>, work: (sim: Simulator) => Promise<T>): Promise<T> {
  const scenario = engineSite()
  scenario.proxy!.virtualProxies.push({ prefix: 'short', auth: 'windows', sessionCookieName: 'X-Qlik-Session-short', windowsAuthPattern: 'Windows', sessionTimeoutMs: 1_500 })
  const sim = await startSimulator({ scenario, certsDir: testCertificates().dir, quiet: true, switches })
  try {
    return await work(sim)
  } finally {
    await sim.close()
  }
}

async function main(inputs: Record<string, string>): Promise<FakeToolkit> {
  const toolkit = new FakeToolkit(inputs)
  await run({ toolkit, clock: systemClock })
  return toolkit
}

const engine = (sim: Simulator, extra: Record<string, string>) => certificateInputs(sim, { 'reload-mode': 'engine', 'engine-url': sim.engineUrl, ...extra })

describe('engine mode under each engine switch', () => {
  it.each([['refused'], ['ignored'], ['accepted']] as const)('engineNewReloadParams: %s: the reload sends only qMode, qPartial, qDebug, and succeeds', async variant => {
    await withSim({ engineNewReloadParams: variant }, async sim => {
      const toolkit = await main(engine(sim, { 'app-id': APPS.budget, partial: 'true' }))
      expect(toolkit.failed).toBe(false)
      expect(sim.engine.calls.find(c => c.method === 'DoReloadEx')?.params).toEqual([{ qMode: 0, qPartial: true, qDebug: false }])
    })
  })

  it.each([
    ['omitted', 'lf'],
    ['sent', 'crlf']
  ] as const)('engineProgressEmptyFields: %s, engineProgressLineEnd: %s: the same lines, no stray line ends', async (fields, lineEnd) => {
    await withSim({ engineProgressEmptyFields: fields, engineProgressLineEnd: lineEnd }, async sim => {
      const toolkit = await main(engine(sim, { 'app-id': APPS.orders }))
      expect(toolkit.failed).toBe(false)
      const lines = toolkit.log.filter(line => /^(Started loading data|Orders << Orders|Lines fetched: 1,200|Customers << Customers|Lines fetched: 55)$/.test(line))
      expect(lines).toEqual(['Started loading data', 'Orders << Orders', 'Lines fetched: 1,200', 'Customers << Customers', 'Lines fetched: 55'])
      expect(toolkit.log.some(line => line.includes('\r'))).toBe(false)
    })
  })

  it.each([['session'], ['shared']] as const)('engineUnsavedData: %s: a failed check leaves the saved app as it was', async variant => {
    await withSim({ engineUnsavedData: variant }, async sim => {
      const before = sim.engine.savedTables(APPS.budget)
      const toolkit = await main(engine(sim, { 'app-id': APPS.budget, 'expect-rows': 'Budget >= 1' }))
      expect(toolkit.failed).toBe(true)
      expect(sim.engine.saveCount()).toBe(0)
      expect(sim.engine.savedTables(APPS.budget)).toEqual(before)
    })
  })

  it.each([['refused'], ['allowed']] as const)('engineMixedOpenModes: %s: a dry run beside a reload of the app proves the session either way', async variant => {
    await withSim({ engineMixedOpenModes: variant }, async sim => {
      sim.faults.add({ method: 'DoReloadEx', path: `/app/${APPS.slow}`, times: 1, action: { kind: 'hang' } })
      const cancel = new AbortController()
      const toolkit = new FakeToolkit(engine(sim, { 'app-id': APPS.slow }))
      const reloading = run({ toolkit, clock: systemClock, cancel: cancel.signal })
      for (let i = 0; i < 200 && !sim.engine.calls.some(c => c.method === 'DoReloadEx'); i++) await new Promise(done => setTimeout(done, 20))
      const dry = await main(engine(sim, { 'app-id': APPS.slow, 'dry-run': 'true' }))
      expect(dry.failed).toBe(false)
      const opened = sim.engine.calls.filter(c => c.method === 'OpenDoc').map(c => (c.params as unknown[])[4])
      expect(opened).toEqual(variant === 'refused' ? [false, true, false] : [false, true])
      cancel.abort()
      await reloading
    })
  })

  it.each([[true], [false]])(
    'engineKeepsProxySession: %s: reloads longer than the proxy session outlive it; the next app signs in again only when the session lapsed',
    async keeps => {
      await withSim({ engineKeepsProxySession: keeps }, async sim => {
        const handshakes = sim.proxy.ntlmHandshakes.short ?? 0
        const toolkit = await main({
          url: `${sim.proxyUrl}/short`,
          'auth-type': 'ntlm',
          username: `${WINDOWS.domain}\\${WINDOWS.user}`,
          password: WINDOWS.password,
          'ca-cert': sim.certs.ca,
          'reload-mode': 'engine',
          'app-id': `${APPS.orders}\n${APPS.budget}`,
          'max-parallel': '1'
        })
        expect(toolkit.errors()).toEqual([])
        expect(sim.engine.saveCount()).toBe(2)
        // The second app's upgrade finds the session gone unless the first one's traffic kept it.
        expect((sim.proxy.ntlmHandshakes.short ?? 0) - handshakes).toBe(keeps ? 1 : 2)
      })
    },
    30_000
  )
})
