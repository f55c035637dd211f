/**
 * Engine mode end to end: the bundle run as the runner runs it, against the simulator's engine over TLS
 * (the engine port with the client certificate, and through the virtual proxies), post step included.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, readFileSync } from 'node:fs'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { testCertificates } from '../helpers/certs.js'
import { APPS, BROKEN_ERROR, ENGINE_TASKS, HOSTILE, engineSite } from '../helpers/engine-site.js'
import { runnerCommands } from '../helpers/runner-commands.js'
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
    expect(run.outputs).toMatchObject({
      status: 'FinishedSuccess',
      'status-code': '7',
      'app-id': APPS.orders,
      'app-name': 'Orders',
      'task-id': '',
      'task-name': '',
      'execution-id': '',
      'execution-result-id': ''
    })
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
    // The progress log is kept on success too (script-log: on-failure does not print it again).
    expect(readFileSync(run.outputs['script-log-path'], 'utf8')).toContain('Orders << Orders')
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

describe('engine mode: partial reload, failures', () => {
  it('partial: DoReloadEx with qPartial, the data model kept and added to', async () => {
    const since = Date.now()
    const run = await runAction(engine({ 'app-id': APPS.orders, partial: 'true' }))
    expect(run.code).toBe(0)
    const [reload] = callsOf(APPS.orders, since, 'DoReloadEx')
    expect(reload.params).toEqual([{ qMode: 0, qPartial: true, qDebug: false }])
    expect(result(run)).toMatchObject({ partial: true, 'reload-mode': 'engine', tables: [{ name: 'Orders' }, { name: 'Customers' }, { name: 'Returns', rows: 7 }] })
    expect(run.stdout).toMatch(/Partial engine reload of app 'Orders' finished successfully and was saved\./)
    expect(run.stdout).toMatch(/Returns: 7 \(new\)/)
    expect(savesOf(APPS.orders, since)).toHaveLength(1)
  })

  it('a failing script: FinishedFail, its errors in the annotation and the summary, the progress log saved, no DoSave', async () => {
    const since = Date.now()
    const run = await runAction(engine({ 'app-id': APPS.broken }))
    expect(run.code).toBe(1)
    expect(run.outputs).toMatchObject({ status: 'FinishedFail', 'status-code': '8', 'app-name': 'Broken' })
    const annotation = errorLine(run).replace(/%0A/g, '\n')
    expect(annotation).toMatch(/title=Qlik reload failed%3A app 'Broken' \(FinishedFail\)::Engine reload of app 'Broken' ended with FinishedFail \(8\), not FinishedSuccess\./)
    expect(annotation).toContain(`Script errors:\n  ${BROKEN_ERROR.message} (in: ${BROKEN_ERROR.statement})`)
    expect(annotation).toContain("Last lines of the reload's progress:")
    expect(run.summary).toContain(`Field 'Revenue' not found (in: LOAD Revenue FROM [lib://Data/sales.qvd] (qvd))`)
    const path = run.outputs['script-log-path']
    // Under RUNNER_TEMP (the local runner's folder of the step), named after the app id.
    expect(path).toMatch(new RegExp(`/qsr-run-[^/]+/qlik-engine-log-${APPS.broken}-[0-9a-f]{8}\\.log$`))
    expect(existsSync(path)).toBe(true)
    const log = readFileSync(path, 'utf8')
    expect(log).toContain('The following error occurred:\r\n')
    expect(log).toContain(`${BROKEN_ERROR.message}\r\n`)
    expect(callsOf(APPS.broken, since, 'DoSave')).toHaveLength(0)
    expect(savesOf(APPS.broken, since)).toHaveLength(0)
  })

  it('expect-rows failing in engine mode: the target fails naming the table, expected and actual; the app is not saved', async () => {
    const since = Date.now()
    const savedBefore = sim.engine.savedTables(APPS.budget)
    const run = await runAction(engine({ 'app-name': 'Budget', 'expect-rows': 'Budget >= 1\nAccounts > 0\nForecast >= 1' }))
    expect(run.code).toBe(1)
    expect(run.outputs.status).toBe('FinishedSuccess')
    const error = errorLine(run)
    expect(error).toMatch(
      /title=Qlik data check failed%3A app 'Budget'::Data check failed for app 'Budget' \(expect-rows\): table 'Budget' has 0 rows, expected >= 1; table 'Forecast' does not exist \(expected >= 1; the app has 'Budget', 'Accounts'\)\. The app was not saved/
    )
    expect(result(run)).toMatchObject({
      success: false,
      tables: [
        { name: 'Budget', rows: 0 },
        { name: 'Accounts', rows: 310 }
      ]
    })
    expect(callsOf(APPS.budget, since, 'DoReloadEx')).toHaveLength(1)
    expect(callsOf(APPS.budget, since, 'DoSave')).toHaveLength(0)
    expect(sim.engine.savedTables(APPS.budget)).toEqual(savedBefore)
    expect(run.summary).toContain('<td>Budget</td><td>1,200</td><td>0</td><td>−1,200</td><td>❌ &gt;= 1</td>')
    expect(run.summary).toContain('<td>Forecast</td><td>—</td><td>—</td><td></td><td>❌ &gt;= 1</td>')
  })

  it('a user who may reload but not save: the reload succeeded, DoSave refused, the step fails saying so', async () => {
    const run = await runAction(engine({ 'app-id': APPS.locked, 'qlik-user': 'UserDirectory=CORP; UserId=no_update' }))
    expect(run.code).toBe(1)
    expect(errorLine(run)).toMatch(
      /The reload succeeded, but saving the app failed: The engine answered DoSave of app 'Locked' with .*access denied, code 5.*not save it \(update right/
    )
  })
})

describe('engine mode through the virtual proxies', () => {
  const proxy = (prefix: string, extra: Record<string, string>) => ({
    url: `${sim.proxyUrl}/${prefix}`,
    'ca-cert': sim.certs.ca,
    'max-poll-interval': '1s',
    'reload-mode': 'engine',
    'app-id': APPS.budget,
    ...extra
  })

  it('NTLM: the engine socket carries the cookie of the run’s one handshake', async () => {
    const since = Date.now()
    const handshakes = sim.proxy.ntlmHandshakes.ntlm ?? 0
    const run = await runAction(proxy('ntlm', { 'auth-type': 'ntlm', username: `${WINDOWS.domain}\\${WINDOWS.user}`, password: WINDOWS.password }))
    expect(errorLine(run)).toBe('')
    expect(run.outputs.status).toBe('FinishedSuccess')
    expect(sim.proxy.ntlmHandshakes.ntlm).toBe(handshakes + 1)
    const calls = callsOf(APPS.budget, since)
    expect(calls.length).toBeGreaterThan(3)
    expect(calls.every(c => c.listener === 'proxy' && c.user === 'CORP\\svc_reload')).toBe(true)
    const upgrade = sim.requests.filter(r => r.time >= since && r.path === `/ntlm/app/${APPS.budget}`)
    expect(upgrade.map(r => r.status)).toEqual([101])
    expect(String(upgrade[0].headers.cookie)).toMatch(/X-Qlik-Session-ntlm=/)
  })

  it('JWT minted on the runner: the bearer until the proxy set its cookie, then the cookie', async () => {
    const since = Date.now()
    const run = await runAction(proxy('jwt', { 'auth-type': 'jwt', 'jwt-private-key': sim.certs.jwtKey, 'jwt-user-id': 'svc_reload', 'jwt-user-directory': 'CORP' }))
    expect(errorLine(run)).toBe('')
    expect(run.outputs.status).toBe('FinishedSuccess')
    const upgrade = sim.requests.find(r => r.time >= since && r.path === `/jwt/app/${APPS.budget}`)
    expect(upgrade?.status).toBe(101)
    expect(String(upgrade?.headers.cookie)).toMatch(/X-Qlik-Session-jwt=/)
    expect(callsOf(APPS.budget, since).every(c => c.listener === 'proxy' && c.user === 'CORP\\svc_reload')).toBe(true)
  })

  it('header: the header virtual proxy', async () => {
    const since = Date.now()
    const run = await runAction(proxy('hdr', { 'auth-type': 'header', 'header-name': 'X-Qlik-HeaderAuth', 'header-value': 'svc_reload' }))
    expect(errorLine(run)).toBe('')
    expect(run.outputs.status).toBe('FinishedSuccess')
    expect(callsOf(APPS.budget, since, 'DoSave')).toHaveLength(1)
    expect(callsOf(APPS.budget, since).every(c => c.listener === 'proxy')).toBe(true)
  })
})

describe('engine mode: cancel and timeout', () => {
  /** Resolves once the step prints its first progress line. */
  async function reloading(step: { stdout: () => string }): Promise<void> {
    for (let i = 0; i < 300 && !/engine reload started/.test(step.stdout()); i++) await new Promise(done => setTimeout(done, 50))
    await new Promise(done => setTimeout(done, 300))
  }

  it('SIGINT mid-reload: CancelReload, the reload Aborted, nothing saved; the post step then has nothing to do', async () => {
    const since = Date.now()
    const step = startAction(engine({ 'app-id': APPS.slow }))
    await reloading(step)
    step.child.kill('SIGINT')
    const run = await step.done
    expect(run.code).toBe(1)
    expect(errorLine(run)).toMatch(/The job was cancelled: stopped the engine reload of app 'Slow', now Aborted \(6\)\. The app was not saved/)
    // The outputs and the summary say what became of it, as after a timeout.
    expect(run.outputs).toMatchObject({ status: 'Aborted', 'status-code': '6', 'app-name': 'Slow' })
    expect(run.outputs['started-at']).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(run.outputs['stopped-at']).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(Number(run.outputs['duration-ms'])).toBeGreaterThan(0)
    expect(existsSync(run.outputs['script-log-path'])).toBe(true)
    expect(result(run)).toMatchObject({ status: 'Aborted', 'reload-mode': 'engine', success: false })
    expect(run.summary).toContain('Aborted')
    expect(callsOf(APPS.slow, since, 'CancelReload')).toHaveLength(1)
    expect(sim.engine.reloads.filter(r => r.appId === APPS.slow && r.queuedAt >= since).map(r => r.outcome)).toEqual(['aborted'])
    expect(savesOf(APPS.slow, since)).toHaveLength(0)
    const post = await runAction(engine({ 'app-id': APPS.slow }), { state: run.state })
    expect(post.code).toBe(0)
    expect(post.stdout).not.toMatch(/::warning::/)
  })

  it('timeout: CancelReload, Aborted, the message says what happened', async () => {
    const since = Date.now()
    const run = await runAction(engine({ 'app-id': APPS.slow, timeout: '2s' }))
    expect(run.code).toBe(1)
    expect(run.outputs).toMatchObject({ status: 'Aborted', 'status-code': '6' })
    expect(errorLine(run)).toMatch(
      /Timed out after 2s waiting for the engine reload of app 'Slow' \(last status Started \(2\)\): stopped the engine reload of app 'Slow', now Aborted \(6\)\. The app was not saved: it keeps the data it had\. Raise 'timeout'/
    )
    expect(existsSync(run.outputs['script-log-path'])).toBe(true)
    expect(callsOf(APPS.slow, since, 'CancelReload')).toHaveLength(1)
    expect(savesOf(APPS.slow, since)).toHaveLength(0)
  })
})

describe('engine mode: a main step killed mid-reload (the session dies with it)', () => {
  for (const variant of ['abort', 'complete'] as const) {
    it(`engineReloadOnClose: ${variant}: the post step says what became of it, and nothing saved it`, async () => {
      const other = await startSimulator({ scenario: engineSite(), certsDir: testCertificates().dir, quiet: true, switches: { engineReloadOnClose: variant } })
      try {
        const inputs = certificateInputs(other, { 'reload-mode': 'engine', 'engine-url': other.engineUrl, 'app-id': APPS.budget })
        const step = startAction(inputs)
        // Killed once the engine holds the reload: the step logs its start as DoReload leaves, and a kill
        // in the next instant can take the unsent message with it (then there is no reload to look at).
        for (let i = 0; i < 500 && !(/engine reload started/.test(step.stdout()) && other.engine.reloads.length > 0); i++) {
          await new Promise(done => setTimeout(done, 20))
        }
        step.child.kill('SIGKILL')
        const main = await step.done
        const post = await runAction(inputs, { state: main.state })
        expect(post.code).toBe(0)
        expect(post.stdout).toMatch(
          /::warning::The main step did not finish \(cancelled or killed\) during the engine reload of app 'Budget' .*its engine session ended with the process/
        )
        // Whatever the engine did with it, nobody saved it.
        const final = variant === 'abort' ? 'aborted' : 'success'
        for (let i = 0; i < 250 && other.engine.reloads[0]?.outcome !== final; i++) await new Promise(done => setTimeout(done, 20))
        const [reload] = other.engine.reloads
        expect(reload).toMatchObject({ sessionClosed: true, outcome: final })
        expect(other.engine.saveCount(APPS.budget)).toBe(0)
        expect(other.engine.savedTables(APPS.budget)).toEqual([
          { name: 'Budget', rows: 1200 },
          { name: 'Accounts', rows: 310 }
        ])
      } finally {
        await other.close()
      }
    })
  }
})

describe('expect-rows in task mode', () => {
  it('after the task succeeded: the app opened in the engine, its tables read and checked; nothing reloaded or saved there', async () => {
    const since = Date.now()
    const run = await runAction(certificateInputs(sim, { 'task-id': ENGINE_TASKS.orders, 'engine-url': sim.engineUrl, 'expect-rows': 'Orders >= 1\nCustomers = 55' }))
    expect(errorLine(run)).toBe('')
    expect(run.code).toBe(0)
    expect(result(run)).toMatchObject({
      'reload-mode': 'task',
      tables: [
        { name: 'Orders', rows: 1200 },
        { name: 'Customers', rows: 55 }
      ]
    })
    expect(callsOf(APPS.orders, since).map(c => c.method)).toEqual(['OpenDoc', 'GetTablesAndKeys'])
    expect(run.summary).toContain('<td>Customers</td><td>55</td><td>✅ = 55</td>')
  })

  it('a check that fails fails the target, naming table, expected and actual', async () => {
    const run = await runAction(certificateInputs(sim, { 'task-name': 'Reload Budget', 'engine-url': sim.engineUrl, 'expect-rows': 'Budget > 0' }))
    expect(run.code).toBe(1)
    expect(run.outputs.status).toBe('FinishedSuccess')
    expect(errorLine(run)).toMatch(
      /Data check failed for app 'Budget' \(expect-rows\): table 'Budget' has 0 rows, expected > 0\. The task reloaded and saved the app: it holds this data now\./
    )
  })
})

describe('engine mode: dry run, several apps', () => {
  it('dry run: each app opened without data, nothing reloaded or saved', async () => {
    const since = Date.now()
    const run = await runAction(engine({ 'app-id': `${APPS.orders}\n${APPS.locked}`, 'dry-run': 'true', 'qlik-user': 'UserDirectory=CORP; UserId=no_update' }))
    expect(run.code).toBe(1)
    const opened = sim.engine.calls.filter(c => c.time >= since && c.method === 'OpenDoc')
    expect(opened.map(c => (c.params as unknown[])[4])).toEqual([true, true])
    expect(sim.engine.calls.filter(c => c.time >= since && (c.method === 'DoReloadEx' || c.method === 'DoSave'))).toHaveLength(0)
    expect(run.stdout).toMatch(/reload in the engine, then save/)
    expect(errorLine(run)).toMatch(/app 'Locked': the signed-in user may open the app but not save it/)
  })

  it('max-parallel and fail-fast: one session per app; the failure cancels the other reload, which is not saved', async () => {
    const since = Date.now()
    const run = await runAction(engine({ 'app-id': `${APPS.slow}\n${APPS.broken}`, 'fail-fast': 'true', 'max-parallel': '2' }))
    expect(run.code).toBe(1)
    const sessions = new Set(sim.engine.calls.filter(c => c.time >= since).map(c => `${c.appId} ${c.sessionId}`))
    expect(sessions.size).toBe(2)
    expect(callsOf(APPS.slow, since, 'CancelReload')).toHaveLength(1)
    expect(savesOf(APPS.slow, since)).toHaveLength(0)
    expect(run.stdout).toMatch(/Another target failed \(fail-fast\): stopped the engine reload of app 'Slow', now Aborted \(6\)\./)
  })
})

describe('engine mode: server text cannot take over the job', () => {
  it('progress lines, transient text, table names and script errors are printed without one runner command taking effect', async () => {
    const run = await runAction(engine({ 'app-id': APPS.hostile, 'expect-rows': '* > 0' }))
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(`${HOSTILE}\n`)
    const { commands, stoppedAtEnd } = runnerCommands(run.stdout)
    expect(stoppedAtEnd).toBe(false)
    for (const name of new Set(commands.map(c => c.command))) expect(['group', 'endgroup', 'error', 'add-mask', 'debug', 'stop-commands', 'resume-commands']).toContain(name)
    expect(commands.filter(c => c.command === 'add-mask' && c.data.includes('PWNED'))).toEqual([])
    expect(commands.filter(c => c.command !== 'error' && c.data.includes('PWNED'))).toEqual([])
    // Our own annotation still works, its text escaped by the toolkit.
    const errors = commands.filter(c => c.command === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0].data).toContain('::warning::PWNED error (in: TRACE ::add-mask::PWNED)')
    expect(run.summary).not.toMatch(/<[a-z]+[^>]*PWNED/)
  })
})

describe('engine mode: input errors before any request', () => {
  it.each([
    [{ 'task-name': 'Reload Sales' }, "Input 'task-name': names tasks, but reload-mode: engine reloads apps"],
    [{ 'app-id': APPS.orders, wait: 'false' }, "Input 'wait': must be true with reload-mode: engine"],
    [{ 'app-id': APPS.orders, 'wait-for-chain': 'true' }, "Input 'wait-for-chain': does not apply with reload-mode: engine"],
    [{ 'app-id': APPS.orders, 'if-running': 'attach' }, "Input 'if-running': 'attach' does not apply with reload-mode: engine"],
    [{ 'app-id': APPS.orders, 'reload-mode': 'task', partial: 'true' }, "Input 'partial': needs reload-mode: engine"],
    [{ 'app-id': APPS.orders, 'engine-url': 'ws://localhost:4747' }, "Input 'engine-url': must start with wss:// or https://"],
    [{ 'app-id': APPS.orders, 'expect-rows': 'Orders at least 1' }, "Input 'expect-rows': 'Orders at least 1' is not '<table> <op> <count>'"],
    [{ 'app-id': APPS.orders, 'reload-mode': 'sometimes' }, "Input 'reload-mode': 'sometimes' is not one of task, engine"]
  ])('%j', async (extra, message) => {
    const requests = sim.requests.length
    const calls = sim.engine.calls.length
    const run = await runAction(engine(extra))
    expect(run.code).toBe(1)
    expect(errorLine(run)).toContain(message)
    expect(sim.requests.length).toBe(requests)
    expect(sim.engine.calls.length).toBe(calls)
  })
})
