import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import jwt from 'jsonwebtoken'
import { readFileSync } from 'node:fs'
import { startSimulator, type Scenario, type Simulator } from '../../simulator/src/index.js'
import { runAction, startAction, type ActionRun, type RunningAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { bearerTokens, cookieValues, expectNoLeaks, ticketValues } from '../helpers/leaks.js'
import { IDS, SCRIPT_ERROR, WINDOWS, testSite } from '../helpers/site.js'

/**
 * The end-to-end scenarios again, in the runner's debug mode (core.debug lines printed): no secret of
 * the inputs, no session cookie and no minted token may show in stdout, stderr, the outputs, the step
 * summary or the state file, whatever the outcome.
 */

const EXTRA = {
  /** An app whose "Reload now" fails, with a script log. */
  appForecast: 'd4000000-0000-4000-8000-000000000001',
  /** A long task of its own for wait: false, so no other scenario finds it running. */
  nowait: 'd4000000-0000-4000-8000-000000000002',
  /** Long tasks of their own for the cancellation scenarios. */
  cancelled: 'd4000000-0000-4000-8000-000000000003',
  killed: 'd4000000-0000-4000-8000-000000000004',
  /** An app no task reloads: the engine cancel scenario, with nothing of the scheduler in its way. */
  engineApp: 'd4000000-0000-4000-8000-000000000005'
}

function site(): Scenario {
  const scenario = testSite()
  scenario.apps!.push({ id: EXTRA.appForecast, name: 'Forecast', reloadRuns: [{ attempts: [{ outcome: 8, durationMs: 300, details: [SCRIPT_ERROR] }] }] })
  scenario.apps!.push({ id: EXTRA.engineApp, name: 'Engine only' })
  for (const [id, name] of [
    [EXTRA.nowait, 'Reload Later'],
    [EXTRA.cancelled, 'Reload Cancelled'],
    [EXTRA.killed, 'Reload Killed']
  ]) {
    scenario.tasks!.push({ id, name, appId: IDS.appSales, runs: [{ attempts: [{ outcome: 7, durationMs: 60_000 }] }] })
  }
  return scenario
}

const DEBUG = { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' }

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ scenario: site(), certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())

interface Checked {
  run: ActionRun
  inputs: Record<string, string>
  since: number
}

/** Runs the bundle in debug mode; the caller checks the outcome, then `checkLeaks`. */
async function debugRun(inputs: Record<string, string>, during?: (since: number) => Promise<void>): Promise<Checked> {
  const all = { 'ca-cert': sim.certs.ca, 'max-poll-interval': '1s', ...inputs }
  const since = Date.now()
  const pending = runAction(all, { env: DEBUG })
  await during?.(since)
  return { run: await pending, inputs: all, since }
}

/** No leak, and debug mode really was on. Returns the secrets looked for. */
function checkLeaks({ run, inputs, since }: Checked, extra: string[] = []): string[] {
  expect(run.stdout).toMatch(/^::debug::/m)
  const secrets = expectNoLeaks(run, inputs, [...cookieValues(sim, since), ...bearerTokens(sim, since), ...ticketValues(sim, since), ...extra])
  expect(secrets.length).toBeGreaterThan(0)
  return secrets
}

const errorLine = (run: ActionRun) => run.stdout.split('\n').find(line => line.startsWith('::error')) ?? ''

const certificate = (extra: Record<string, string> = {}) => ({
  url: sim.url,
  'auth-type': 'certificate',
  'client-cert': sim.certs.clientCert,
  'client-key': sim.certs.clientKey,
  ...extra
})
const ntlm = (extra: Record<string, string> = {}) => ({
  url: `${sim.proxyUrl}/ntlm`,
  'auth-type': 'ntlm',
  username: `${WINDOWS.domain}\\${WINDOWS.user}`,
  password: WINDOWS.password,
  ...extra
})
const sign = (key: string) => jwt.sign({ userId: 'svc_reload', userDirectory: 'CORP' }, key, { algorithm: 'RS256', expiresIn: 300 })

describe('no secret leaks in debug mode', () => {
  it('certificate auth, encrypted key with passphrase: success', async () => {
    const checked = await debugRun(certificate({ 'task-id': IDS.ok, 'client-key': sim.certs.clientKeyEncrypted, 'client-key-passphrase': sim.certs.clientKeyPassphrase }))
    expect(errorLine(checked.run)).toBe('')
    expect(checked.run.outputs.status).toBe('FinishedSuccess')
    const secrets = checkLeaks(checked)
    expect(secrets).toContain(sim.certs.clientKeyPassphrase)
    expect(secrets.length).toBeGreaterThan(10) // the passphrase and the key's body lines
  })

  it('certificate auth, key as PEM text: FinishedFail', async () => {
    const checked = await debugRun(certificate({ 'task-id': IDS.fail, 'client-key': readFileSync(sim.certs.clientKey, 'utf8') }))
    expect(checked.run.code).toBe(1)
    expect(checked.run.outputs.status).toBe('FinishedFail')
    expect(checkLeaks(checked).length).toBeGreaterThan(10)
  })

  it('NTLM: success', async () => {
    const checked = await debugRun(ntlm({ 'task-id': IDS.ok }))
    expect(errorLine(checked.run)).toBe('')
    expect(checked.run.outputs.status).toBe('FinishedSuccess')
    const cookies = cookieValues(sim, checked.since)
    expect(cookies.length).toBeGreaterThan(0)
    expect(checkLeaks(checked)).toEqual(expect.arrayContaining([WINDOWS.password, ...cookies]))
  })

  it('NTLM: the tickets the proxy handed out are checked too', async () => {
    const checked = await debugRun(ntlm({ 'task-id': IDS.ok }))
    expect(checked.run.outputs.status).toBe('FinishedSuccess')
    const tickets = ticketValues(sim, checked.since)
    expect(tickets.length).toBeGreaterThan(0)
    expect(checkLeaks(checked)).toEqual(expect.arrayContaining(tickets))
  })

  it('NTLM: a ticket redemption slower than request-timeout (retried) leaks neither ticket nor xrfkey', async () => {
    sim.faults.clear()
    // The first request (the lookup) is the one the proxy redirects; the second redeems the ticket.
    sim.faults.add({ method: 'GET', path: '/qrs/reloadtask/full', after: 1, times: 1, action: { kind: 'delay', ms: 2_500 } })
    try {
      const checked = await debugRun(ntlm({ 'task-id': IDS.ok, 'request-timeout': '1s' }))
      expect(checked.run.stdout).toMatch(/did not answer in time \(Request timeout: \/ntlm\/qrs\/reloadtask\/full\?…\)/)
      expect(checked.run.stdout).not.toMatch(/xrfkey=/)
      expect(checked.run.outputs.status).toBe('FinishedSuccess')
      const tickets = ticketValues(sim, checked.since)
      expect(tickets.length).toBeGreaterThanOrEqual(2)
      expect(checkLeaks(checked)).toEqual(expect.arrayContaining(tickets))
    } finally {
      sim.faults.clear()
    }
  })

  it('NTLM: a redemption that sets no session cookie fails without showing the ticket', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'GET', path: '/qrs/reloadtask/full', after: 1, times: 1, action: { kind: 'status', status: 200, body: '{}' } })
    try {
      const checked = await debugRun(ntlm({ 'task-id': IDS.ok }))
      expect(checked.run.code).toBe(1)
      expect(errorLine(checked.run)).toMatch(/set no session cookie \(it redirected to https:\/\/[^ ]*\?…\)/)
      const tickets = ticketValues(sim, checked.since)
      expect(tickets.length).toBeGreaterThan(0)
      expect(checkLeaks(checked)).toEqual(expect.arrayContaining(tickets))
    } finally {
      sim.faults.clear()
    }
  })

  it('NTLM: wrong password', async () => {
    const checked = await debugRun(ntlm({ 'task-id': IDS.ok, password: 'Wrong-Pass-9 ünïcode' }))
    expect(checked.run.code).toBe(1)
    expect(errorLine(checked.run)).toMatch(/refused the Windows sign-in/)
    checkLeaks(checked)
  })

  it('NTLM: the session expires mid-wait and is renewed', async () => {
    const handshakes = sim.proxy.ntlmHandshakes.ntlm ?? 0
    const checked = await debugRun(ntlm({ 'task-id': IDS.long }), async since => {
      // Expire the proxy session once the reload is running (as proxy-auth.test.ts does).
      for (let i = 0; i < 100 && !sim.requests.some(r => r.time >= since && r.method === 'POST' && r.listener === 'proxy'); i++) {
        await new Promise(done => setTimeout(done, 100))
      }
      await new Promise(done => setTimeout(done, 1_000))
      sim.expireSessions('ntlm')
    })
    expect(errorLine(checked.run)).toBe('')
    expect(checked.run.outputs.status).toBe('FinishedSuccess')
    expect(checked.run.stdout).toMatch(/session expired: signing in again/)
    expect(sim.proxy.ntlmHandshakes.ntlm).toBe(handshakes + 2)
    // Both sessions' cookies are checked.
    expect(cookieValues(sim, checked.since).length).toBeGreaterThanOrEqual(2)
    checkLeaks(checked)
  })

  it('JWT: a given token, success', async () => {
    const token = sign(readFileSync(sim.certs.jwtKey, 'utf8'))
    const checked = await debugRun({ url: `${sim.proxyUrl}/jwt`, 'auth-type': 'jwt', jwt: token, 'task-id': IDS.ok })
    expect(errorLine(checked.run)).toBe('')
    expect(checked.run.outputs.status).toBe('FinishedSuccess')
    expect(checkLeaks(checked)).toContain(token)
  })

  it('JWT: a given token the proxy refuses', async () => {
    const token = sign(readFileSync(sim.certs.clientKey, 'utf8'))
    const checked = await debugRun({ url: `${sim.proxyUrl}/jwt`, 'auth-type': 'jwt', jwt: token, 'task-id': IDS.ok })
    expect(checked.run.code).toBe(1)
    expect(errorLine(checked.run)).toMatch(/The proxy refused the JWT/)
    expect(checkLeaks(checked)).toContain(token)
  })

  it('JWT: minted from jwt-private-key given as PEM text, success', async () => {
    const checked = await debugRun({
      url: `${sim.proxyUrl}/jwt`,
      'auth-type': 'jwt',
      'jwt-private-key': readFileSync(sim.certs.jwtKey, 'utf8'),
      'jwt-user-id': 'svc_reload',
      'jwt-user-directory': 'CORP',
      'task-id': IDS.ok
    })
    expect(errorLine(checked.run)).toBe('')
    expect(checked.run.outputs.status).toBe('FinishedSuccess')
    const minted = bearerTokens(sim, checked.since)
    expect(minted.length).toBeGreaterThan(0)
    expect(checkLeaks(checked)).toEqual(expect.arrayContaining(minted))
  })

  it('header auth: success', async () => {
    const checked = await debugRun({ url: `${sim.proxyUrl}/hdr`, 'auth-type': 'header', 'header-name': 'X-Qlik-HeaderAuth', 'header-value': 'svc_hdr_reload', 'task-id': IDS.ok })
    expect(errorLine(checked.run)).toBe('')
    expect(checked.run.outputs.status).toBe('FinishedSuccess')
    expect(checkLeaks(checked)).toContain('svc_hdr_reload')
  })

  it('app reload through NTLM: failure with the script log printed and saved', async () => {
    const checked = await debugRun(ntlm({ 'app-id': EXTRA.appForecast, 'script-log': 'always' }))
    expect(checked.run.code).toBe(1)
    expect(checked.run.outputs.status).toBe('FinishedFail')
    expect(checked.run.outputs['script-log-path']).toBeTruthy()
    expect(checked.run.stdout).toMatch(/::group::Script log \(/)
    checkLeaks(checked)
  })

  it('a timeout (certificate auth, encrypted key)', async () => {
    const checked = await debugRun(
      certificate({ 'task-id': IDS.slow, timeout: '2s', 'client-key': sim.certs.clientKeyEncrypted, 'client-key-passphrase': sim.certs.clientKeyPassphrase })
    )
    expect(checked.run.code).toBe(1)
    expect(errorLine(checked.run)).toMatch(/::error::Timed out after 2s/)
    checkLeaks(checked)
  })

  it('wait: false (NTLM)', async () => {
    const checked = await debugRun(ntlm({ 'task-id': EXTRA.nowait, wait: 'false' }))
    expect(errorLine(checked.run)).toBe('')
    expect(checked.run.code).toBe(0)
    expect(checked.run.outputs['execution-id']).toMatch(/^[0-9a-f-]{36}$/)
    checkLeaks(checked)
  })

  /** Starts main in debug mode and resolves once it waits on the execution it started. */
  async function waitingMain(inputs: Record<string, string>): Promise<{ step: RunningAction; inputs: Record<string, string>; since: number }> {
    const all = { 'ca-cert': sim.certs.ca, 'max-poll-interval': '1s', ...inputs }
    const since = Date.now()
    const step = startAction(all, { env: DEBUG })
    for (let i = 0; i < 300 && !/\+\d+\w* (Triggered|Started)/.test(step.stdout()); i++) await new Promise(done => setTimeout(done, 50))
    expect(step.stdout()).toMatch(/Started|Triggered/)
    return { step, inputs: all, since }
  }

  it('cancelled (SIGINT) mid-wait through NTLM: main stops the task, the post step has nothing to do', async () => {
    const { step, inputs, since } = await waitingMain(ntlm({ 'task-id': EXTRA.cancelled }))
    step.child.kill('SIGINT')
    const main = await step.done
    expect(main.code).toBe(1)
    expect(main.stdout).toMatch(/::error::The job was cancelled/)
    checkLeaks({ run: main, inputs, since })
    const postSince = Date.now()
    const post = await runAction(inputs, { env: DEBUG, state: main.state })
    expect(post.code).toBe(0)
    // Nothing to do, so nothing to debug-print either; nothing may leak all the same.
    expectNoLeaks(post, inputs, cookieValues(sim, postSince))
  })

  it('killed (SIGKILL) mid-wait with a minted JWT: the post step signs in again and stops the task', async () => {
    const { step, inputs, since } = await waitingMain({
      url: `${sim.proxyUrl}/jwt`,
      'auth-type': 'jwt',
      'jwt-private-key': sim.certs.jwtKey,
      'jwt-user-id': 'svc_reload',
      'jwt-user-directory': 'CORP',
      'task-id': EXTRA.killed
    })
    step.child.kill('SIGKILL')
    const main = await step.done
    expect(main.state['execution-id']).toMatch(/^[0-9a-f-]{36}$/)
    checkLeaks({ run: main, inputs, since })
    const postSince = Date.now()
    const post = await runAction(inputs, { env: DEBUG, state: main.state })
    expect(post.code).toBe(0)
    expect(post.stdout).toMatch(/::warning::The main step did not finish \(cancelled or killed\): stopped task/)
    checkLeaks({ run: post, inputs, since: postSince })
  })

  describe('engine mode: the engine session signs in as the QRS calls do', () => {
    const engineNtlm = (extra: Record<string, string> = {}) => ntlm({ 'reload-mode': 'engine', 'app-id': IDS.appFinance, 'expect-rows': '* > 0', ...extra })

    it('NTLM: the upgrade carries the session cookie; nothing of it, the ticket or the password shows', async () => {
      const checked = await debugRun(engineNtlm())
      expect(errorLine(checked.run)).toBe('')
      expect(checked.run.outputs.status).toBe('FinishedSuccess')
      const upgrade = sim.requests.find(r => r.time >= checked.since && r.path === `/ntlm/app/${IDS.appFinance}`)
      expect(upgrade?.status).toBe(101)
      const cookies = cookieValues(sim, checked.since)
      expect(cookies.length).toBeGreaterThan(0)
      expect(checkLeaks(checked)).toEqual(expect.arrayContaining([WINDOWS.password, ...cookies, ...ticketValues(sim, checked.since)]))
    })

    it('JWT: a given token, then the cookie on the engine socket', async () => {
      const token = sign(readFileSync(sim.certs.jwtKey, 'utf8'))
      const checked = await debugRun({ url: `${sim.proxyUrl}/jwt`, 'auth-type': 'jwt', jwt: token, 'reload-mode': 'engine', 'app-id': IDS.appFinance })
      expect(errorLine(checked.run)).toBe('')
      expect(checkLeaks(checked)).toContain(token)
    })

    it('header auth and a failed data check (the error path prints the tables)', async () => {
      const checked = await debugRun({
        url: `${sim.proxyUrl}/hdr`,
        'auth-type': 'header',
        'header-name': 'X-Qlik-HeaderAuth',
        'header-value': 'svc_hdr_reload',
        'reload-mode': 'engine',
        'app-id': IDS.appFinance,
        'expect-rows': 'Data > 1000000'
      })
      expect(errorLine(checked.run)).toMatch(/Data check failed/)
      expect(checkLeaks(checked)).toContain('svc_hdr_reload')
    })

    it('certificate auth on the engine port, encrypted key; cancelled (SIGINT) mid-reload, then the post step', async () => {
      sim.faults.add({ method: 'DoReloadEx', path: `/app/${EXTRA.engineApp}`, times: 1, action: { kind: 'hang' } })
      try {
        const inputs = certificate({
          'reload-mode': 'engine',
          'engine-url': sim.engineUrl,
          'app-id': EXTRA.engineApp,
          'client-key': sim.certs.clientKeyEncrypted,
          'client-key-passphrase': sim.certs.clientKeyPassphrase
        })
        const all = { 'ca-cert': sim.certs.ca, 'max-poll-interval': '1s', ...inputs }
        const since = Date.now()
        const step = startAction(all, { env: DEBUG })
        for (let i = 0; i < 200 && !sim.engine.calls.some(c => c.time >= since && c.method === 'DoReloadEx'); i++) await new Promise(done => setTimeout(done, 25))
        expect(sim.engine.calls.some(c => c.time >= since && c.method === 'DoReloadEx')).toBe(true)
        step.child.kill('SIGINT')
        const main = await step.done
        expect(errorLine(main)).toMatch(/The job was cancelled: stopped the engine reload of app 'Engine only'/)
        expect(checkLeaks({ run: main, inputs: all, since })).toContain(sim.certs.clientKeyPassphrase)
        const post = await runAction(all, { env: DEBUG, state: main.state })
        expect(post.code).toBe(0)
        expectNoLeaks(post, all)
      } finally {
        sim.faults.clear()
      }
    })
  })
})

describe('the leak check itself', () => {
  const clean: ActionRun = { code: 0, stdout: '', stderr: '', outputs: {}, state: {}, summary: '' }
  const keyText = () => readFileSync(sim.certs.clientKey, 'utf8')
  const keyLine = () => keyText().split('\n')[3]

  it('finds a secret in each place a user sees, and ignores ::add-mask:: lines', () => {
    const inputs = { password: 'Pass word-1', 'client-key': sim.certs.clientKey, jwt: 'aaa.bbb.ccc-token' }
    expectNoLeaks({ ...clean, stdout: `::add-mask::Pass word-1\n::add-mask::${keyLine()}\n::debug::GET /qrs/about → 200` }, inputs)
    const leaky: Partial<ActionRun>[] = [
      { stdout: '::debug::password Pass word-1' },
      { stdout: `::error::bad key line%0A${keyLine()}` },
      { stderr: 'aaa.bbb.ccc-token' },
      { outputs: { result: '{"token":"aaa.bbb.ccc-token"}' } },
      { summary: '<td>Pass word-1</td>' },
      { state: { session: 'cookie-value-123' } }
    ]
    for (const part of leaky) expect(() => expectNoLeaks({ ...clean, ...part }, inputs, ['cookie-value-123'])).toThrow()
  })

  it('reads key lines from PEM text (also with literal \\n) and from a file path', () => {
    const line = keyLine()
    for (const value of [keyText(), keyText().replace(/\n/g, '\\n'), sim.certs.clientKey]) {
      expect(() => expectNoLeaks({ ...clean, stdout: line }, { 'jwt-private-key': value })).toThrow()
    }
  })

  it('takes the session cookie values from the cookie headers the client sent', () => {
    const fake = {
      requests: [
        { time: 5, headers: { cookie: 'X-Qlik-Session-ntlm=abc123; Other=def456' } },
        { time: 1, headers: { cookie: 'Old=zzz999' } },
        { time: 6, headers: { authorization: 'Bearer x.y.z' } }
      ]
    } as unknown as Simulator
    expect(cookieValues(fake, 2).sort()).toEqual(['abc123', 'def456'])
    expect(bearerTokens(fake, 2)).toEqual(['x.y.z'])
  })
})
