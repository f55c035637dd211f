/**
 * Engine mode end to end: the bundle run as the runner runs it, against the simulator's engine over TLS
 * (the engine port with the client certificate, and through the virtual proxies), post step included.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, readFileSync } from 'node:fs'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { testCertificates } from '../helpers/certs.js'
import { APPS, BROKEN_ERROR, ENGINE_TASKS, engineSite } from '../helpers/engine-site.js'
import { runAction, startAction, type ActionRun } from '../helpers/local-runner.js'
import { WINDOWS, certificateInputs } from '../helpers/site.js'

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ scenario: engineSite(), certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())

const engine = (extra: Record<string, string> = {}) => certificateInputs(sim, { 'reload-mode': 'engine', 'engine-url': sim.engineUrl, ...extra })
const errorLine = (run: ActionRun) => run.stdout.split('\n').find(line => line.startsWith('::error')) ?? ''
const result = (run: ActionRun) => JSON.parse(run.outputs.result) as Record<string, any>
const callsOf = (appId: string, since: number, method?: string) => sim.engine.calls.filter(c => c.appId === appId && c.time >= since && (!method || c.method === method))
const savesOf = (appId: string, since: number) => sim.engine.saves.filter(s => s.appId === appId && s.time >= since)

describe('engine mode: certificate auth on the engine port', () => {
  it('reloads, prints the progress as it comes, checks the tables, saves; outputs as the issue names them', async () => {
    const since = Date.now()
    const run = await runAction(engine({ 'app-id': APPS.orders, 'expect-rows': 'Orders >= 1000\n* > 0' }))
    expect(errorLine(run)).toBe('')
    expect(run.code).toBe(0)
    expect(run.outputs).toMatchObject({ status: 'FinishedSuccess', 'status-code': '7', 'app-id': APPS.orders, 'app-name': 'Orders', 'task-id': '', 'task-name': '', 'execution-id': '', 'execution-result-id': '' })
    expect(run.outputs['started-at']).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(run.outputs['stopped-at']).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(Number(run.outputs['duration-ms'])).toBeGreaterThanOrEqual(2_400)
    expect(result(run)).toMatchObject({
      'reload-mode': 'engine',
      partial: false,
      success: true,
      tables: [
        { name: 'Orders', rows: 1200 },
        { name: 'Customers', rows: 55 }
      ]
    })
    // The progress lines in order, the transient one, then the tables and the checks.
    const log = run.stdout
    const order = ['Started loading data', 'Orders << Orders', 'Lines fetched: 1,200', 'Customers << Customers', 'Lines fetched: 55'].map(line => log.indexOf(`${line}\n`))
    expect(order.every(at => at > 0)).toBe(true)
    expect([...order].sort((a, b) => a - b)).toEqual(order)
    expect(log).toMatch(/\+\d+(ms|s) Orders << Orders 600 Lines fetched/)
    expect(log).toMatch(/Orders: 1,200 \(\+200 from 1,000\)/)
    expect(log).toMatch(/App 'Orders' saved \(DoSave\)\./)
    expect(log).toMatch(/Engine reload of app 'Orders' finished successfully and was saved\./)
    // One session, on the engine port, as the certificate's user; reloaded and saved once.
    const calls = callsOf(APPS.orders, since)
    expect(new Set(calls.map(c => c.sessionId)).size).toBe(1)
    expect(calls.every(c => c.listener === 'engine' && c.user === 'INTERNAL\\sa_api')).toBe(true)
    expect(calls.map(c => c.method).filter(m => m !== 'GetProgress')).toEqual(['OpenDoc', 'GetTablesAndKeys', 'DoReloadEx', 'GetTablesAndKeys', 'DoSave'])
    expect(savesOf(APPS.orders, since)).toHaveLength(1)
    // GetProgress about once a second: never more than twice in any second, a handful in 2.5 s.
    const sessionId = calls[0].sessionId
    expect(sim.engine.progressRate(1000, sessionId)).toBeLessThanOrEqual(2)
    expect(sim.engine.progressCount(sessionId)).toBeGreaterThanOrEqual(3)
    expect(sim.engine.progressCount(sessionId)).toBeLessThanOrEqual(6)
    // The summary: before → after, the change, the checks.
    expect(run.summary).toMatch(/Rows before.*Rows after.*Change/)
    expect(run.summary).toContain('<td>Orders</td><td>1,000</td><td>1,200</td><td>+200</td><td>✅ &gt;= 1,000 ✅ &gt; 0</td>')
    expect(sim.engine.sessions()).toHaveLength(0)
  })
})
