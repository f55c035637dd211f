import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import type { Switches } from '../../simulator/src/index.js'
import { runAction, type ActionRun } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { IDS, SCRIPT_ERROR, testSite } from '../helpers/site.js'

/** Runs the bundle against one simulator; each describe below starts its own. */
function withSimulator(switches: Partial<Switches> = {}, serverNames?: string[]) {
  const ctx = {} as { sim: Simulator; run: (inputs: Record<string, string>, env?: Record<string, string>) => Promise<ActionRun> }
  beforeAll(async () => {
    const names = serverNames ?? testSite().serverNames!
    const certs = testCertificates('qliksrv01.corp.example', names)
    ctx.sim = await startSimulator({ scenario: testSite(), certsDir: certs.dir, serverNames: names, switches, quiet: true })
    ctx.run = (inputs, env = {}) =>
      runAction(
        {
          url: ctx.sim.url,
          'auth-type': 'certificate',
          'client-cert': ctx.sim.certs.clientCert,
          'client-key': ctx.sim.certs.clientKey,
          'ca-cert': ctx.sim.certs.ca,
          'max-poll-interval': '1s',
          ...inputs
        },
        { env }
      )
  })
  afterAll(async () => ctx.sim?.close())
  return ctx
}

const qrsRequests = (sim: Simulator) => sim.requests.filter(r => r.path.startsWith('/qrs/'))

describe('certificate auth: reload a task end to end', () => {
  const ctx = withSimulator()

  it('reloads a task by id and sets every output', async () => {
    const run = await ctx.run({ 'task-id': IDS.ok })
    expect(run.stdout).not.toMatch(/::error/)
    expect(run.code).toBe(0)
    expect(run.outputs).toMatchObject({
      status: 'FinishedSuccess',
      'status-code': '7',
      'task-id': IDS.ok,
      'task-name': 'Reload Sales',
      'app-id': IDS.appSales,
      node: expect.stringMatching(/qliksrv01/)
    })
    expect(run.outputs['execution-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(run.outputs['execution-result-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(Date.parse(run.outputs['started-at'])).toBeLessThanOrEqual(Date.parse(run.outputs['stopped-at']))
    expect(Number(run.outputs['duration-ms'])).toBeGreaterThan(0)
    const result = JSON.parse(run.outputs.result)
    expect(result).toMatchObject({
      status: 'FinishedSuccess',
      'status-code': 7,
      'task-id': IDS.ok,
      'task-name': 'Reload Sales',
      'app-name': 'Sales',
      'execution-id': run.outputs['execution-id'],
      success: true,
      error: null
    })
    expect(ctx.sim.startCount(IDS.ok)).toBe(1)
  })

  it('sends a fresh 16-character xrfkey in query and header, and the X-Qlik-User header, on every request', async () => {
    // Only this run's requests: the test stands on its own, whatever ran before it.
    const since = ctx.sim.requests.length
    const run = await ctx.run({ 'task-id': IDS.ok })
    expect(run.code).toBe(0)
    const requests = qrsRequests(ctx.sim).filter(r => ctx.sim.requests.indexOf(r) >= since)
    expect(requests.length).toBeGreaterThan(3)
    const keys = requests.map(r => {
      const query = new URLSearchParams(r.query).get('xrfkey')
      expect(query).toMatch(/^[0-9A-Za-z]{16}$/)
      expect(r.headers['x-qlik-xrfkey']).toBe(query)
      expect(r.headers['x-qlik-user']).toBe('UserDirectory=INTERNAL; UserId=sa_api')
      expect(r.clientCertCN).toBe('QlikClient')
      return query
    })
    expect(new Set(keys).size).toBe(keys.length)
    // Started with the synchronous start, waited on the execution session, read the results of that execution.
    const execution = requests.find(r => r.method === 'POST')!
    expect(execution.path).toBe(`/qrs/task/${IDS.ok}/start/synchronous`)
    expect(requests.some(r => r.path.startsWith('/qrs/executionsession/'))).toBe(true)
    expect(requests.some(r => r.path.startsWith('/qrs/executionresult') && /ExecutionId eq [0-9a-f-]{36}/i.test(new URLSearchParams(r.query).get('filter') ?? ''))).toBe(true)
  })

  it('finds a task by a name with a quote and non-ASCII letters, escaped the QRS way', async () => {
    const run = await ctx.run({ 'task-name': "Reload O'Brien Ümsätze" })
    expect(run.code).toBe(0)
    expect(run.outputs).toMatchObject({ status: 'FinishedSuccess', 'task-id': IDS.quote, 'task-name': "Reload O'Brien Ümsätze" })
    const lookup = qrsRequests(ctx.sim).find(r => r.method === 'GET' && /O\\'Brien/.test(new URLSearchParams(r.query).get('filter') ?? ''))
    expect(lookup).toBeDefined()
    expect(lookup!.query).not.toMatch(/[ 'Ü]/) // URL-encoded on the wire
  })

  it('fails the step when the reload fails, with the status and the scheduler error detail', async () => {
    const run = await ctx.run({ 'task-name': 'Reload Finance' })
    expect(run.code).toBe(1)
    expect(run.outputs).toMatchObject({ status: 'FinishedFail', 'status-code': '8', 'task-id': IDS.fail })
    const error = run.stdout.split('\n').find(line => line.startsWith('::error'))
    expect(error).toMatch(/^::error title=Qlik reload failed%3A Reload Finance \(FinishedFail\)::Reload task 'Reload Finance' ended with FinishedFail \(8\)/)
    expect(error).toContain(SCRIPT_ERROR)
    // One annotation, not one per layer.
    expect(run.stdout.split('\n').filter(line => line.startsWith('::error'))).toHaveLength(1)
  })

  it('fails clearly when a disabled task does not start', async () => {
    const run = await ctx.run({ 'task-id': IDS.disabled })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::Task 'Reload Archive' .* did not start: the server answered with an empty execution id\. The task is disabled/)
    expect(run.outputs.status ?? '').toBe('')
  })

  it('fails naming a task name that matches no task, before starting anything', async () => {
    const before = ctx.sim.startCount()
    const run = await ctx.run({ 'task-name': 'Reload Nothing' })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::No task named 'Reload Nothing'/)
    expect(ctx.sim.startCount()).toBe(before)
  })

  it('lets the last attempt decide when the task retried', async () => {
    const run = await ctx.run({ 'task-id': IDS.retry })
    expect(run.code).toBe(0)
    expect(run.outputs.status).toBe('FinishedSuccess')
    expect(JSON.parse(run.outputs.result).attempts).toBe(2)
  })

  it('keeps waiting through Queued', async () => {
    const run = await ctx.run({ 'task-id': IDS.queued })
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/Queued \(3\)/)
    expect(run.outputs.status).toBe('FinishedSuccess')
  })

  it("never reports the previous run's result as this one", async () => {
    const first = await ctx.run({ 'task-id': IDS.flaky })
    expect(first.outputs.status).toBe('FinishedFail')
    const second = await ctx.run({ 'task-id': IDS.flaky })
    expect(second.code).toBe(0)
    expect(second.outputs.status).toBe('FinishedSuccess')
    expect(second.outputs['execution-result-id']).not.toBe(first.outputs['execution-result-id'])
    expect(Date.parse(second.outputs['started-at'])).toBeGreaterThan(Date.parse(first.outputs['stopped-at']))
  })

  it('with wait: false starts the task, sets the outputs and succeeds at once', async () => {
    const run = await ctx.run({ 'task-id': IDS.queued, wait: 'false' })
    expect(run.code).toBe(0)
    expect(run.outputs['execution-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(['Triggered', 'Queued', 'Started']).toContain(run.outputs.status)
    expect(ctx.sim.requests.filter(r => r.path === `/qrs/executionsession/${run.outputs['execution-id']}`)).toHaveLength(0)
  })

  it('stops the task when the timeout passes, and fails saying so', async () => {
    const stops = ctx.sim.stopCount(IDS.slow)
    const run = await ctx.run({ 'task-id': IDS.slow, timeout: '2s' })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(
      /::error::Timed out after 2s waiting for task 'Reload Everything' \(last status Started \(2\)\): stopped task 'Reload Everything' \(execution [0-9a-f-]{36}\), now Aborted \(6\)\. Raise 'timeout'/
    )
    expect(run.outputs.status).toBe('Aborted')
    expect(ctx.sim.stopCount(IDS.slow)).toBe(stops + 1)
  })

  it('leaves the reload running on timeout with stop-on-timeout: false, and says so', async () => {
    const stops = ctx.sim.stopCount(IDS.slow)
    const run = await ctx.run({ 'task-id': IDS.slow, timeout: '2s', 'stop-on-timeout': 'false' })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::Timed out after 2s .*The reload keeps running in Qlik Sense: stop-on-timeout is false/)
    expect(run.outputs.status).toBe('Started')
    expect(ctx.sim.stopCount(IDS.slow)).toBe(stops)
    expect(run.state.done).toBe('true')
  })

  it('opens a password-protected key with client-key-passphrase, and masks the passphrase', async () => {
    const run = await ctx.run({ 'task-id': IDS.ok, 'client-key': ctx.sim.certs.clientKeyEncrypted, 'client-key-passphrase': ctx.sim.certs.clientKeyPassphrase })
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`::add-mask::${ctx.sim.certs.clientKeyPassphrase}`)
  })

  it('never shows the key or its passphrase, debug mode included', async () => {
    const run = await ctx.run(
      { 'task-id': IDS.fail, 'client-key': ctx.sim.certs.clientKeyEncrypted, 'client-key-passphrase': ctx.sim.certs.clientKeyPassphrase },
      { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' }
    )
    expect(run.stdout).toMatch(/::debug::/)
    const keyLines = readFileSync(ctx.sim.certs.clientKeyEncrypted, 'utf8')
      .split('\n')
      .filter(line => line.length >= 8 && !line.startsWith('-----'))
    // The runner swallows ::add-mask:: commands; everything else is what users see.
    const visible = [
      run.stdout
        .split('\n')
        .filter(line => !line.startsWith('::add-mask::'))
        .join('\n'),
      run.stderr,
      JSON.stringify(run.outputs),
      run.summary
    ].join('\n')
    for (const secret of [ctx.sim.certs.clientKeyPassphrase, ...keyLines]) expect(visible).not.toContain(secret)
  })

  it('explains a client certificate the site does not trust', async () => {
    const run = await ctx.run({ 'task-id': IDS.ok, 'client-cert': ctx.sim.certs.otherClientCert, 'client-key': ctx.sim.certs.otherClientKey })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::GET \/qrs\/reloadtask\/full answered 403.*%0A.*client certificate must be exported from this site's QMC/)
  })

  it('explains a server certificate from an unknown CA (wrong ca-cert)', async () => {
    const run = await ctx.run({ 'task-id': IDS.ok, 'ca-cert': ctx.sim.certs.otherCa })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::TLS: the certificate of localhost:\d+ is not trusted .*Set 'ca-cert' to the site's root certificate/)
  })

  it('refuses to verify without ca-cert when the system store does not know the site CA', async () => {
    const run = await ctx.run({ 'task-id': IDS.ok, 'ca-cert': '' })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::TLS: .*not trusted/)
  })

  it('skips verification only when told, with a warning', async () => {
    const run = await ctx.run({ 'task-id': IDS.ok, 'ca-cert': '', 'insecure-skip-tls-verify': 'true' })
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/::warning::insecure-skip-tls-verify is on/)
  })
})

describe('certificate auth: a server certificate issued to the machine name only', () => {
  const ctx = withSimulator({}, ['qliksrv01.corp.example'])

  it('fails connecting by another name, and names the certificate and the input to set', async () => {
    const run = await ctx.run({ 'task-id': IDS.ok })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::TLS: the certificate of localhost:\d+ is issued to DNS:qliksrv01\.corp\.example.*set 'tls-server-name: qliksrv01\.corp\.example'/)
    expect(ctx.sim.startCount()).toBe(0)
  })

  it('succeeds with tls-server-name set to the machine name, also through an IP address', async () => {
    const byName = await ctx.run({ 'task-id': IDS.ok, 'tls-server-name': 'qliksrv01.corp.example' })
    expect(byName.code).toBe(0)
    const byIp = await ctx.run({ 'task-id': IDS.ok, 'tls-server-name': 'qliksrv01.corp.example', url: ctx.sim.url.replace('localhost', '127.0.0.1') })
    expect(byIp.code).toBe(0)
    expect(byIp.outputs.status).toBe('FinishedSuccess')
  })
})

// Behaviours no source confirms are simulator switches: the client must be right under each variant.
describe.each([
  { retryResultStatus: 10, resultsOrder: 'asc', resultLagMs: 400, shuffleDetails: true },
  { retryResultStatus: 8, resultsOrder: 'desc', resultLagMs: 0, shuffleDetails: false, untrustedClientCert: 'handshake' }
] as Partial<Switches>[])('server variant %j', switches => {
  const ctx = withSimulator(switches)

  it('reports the retried reload by its last attempt', async () => {
    const run = await ctx.run({ 'task-id': IDS.retry })
    expect(run.code).toBe(0)
    expect(run.outputs.status).toBe('FinishedSuccess')
  })

  it('reports a failure by its final status', async () => {
    const run = await ctx.run({ 'task-id': IDS.fail })
    expect(run.code).toBe(1)
    expect(run.outputs.status).toBe('FinishedFail')
  })

  it('explains an untrusted client certificate', async () => {
    const before = ctx.sim.startCount()
    const run = await ctx.run({ 'task-id': IDS.ok, 'client-cert': ctx.sim.certs.otherClientCert, 'client-key': ctx.sim.certs.otherClientKey })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::.*client certificate/)
    expect(ctx.sim.startCount()).toBe(before)
  })
})
