import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { runAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { IDS, WINDOWS, certificateInputs, testSite } from '../helpers/site.js'

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ scenario: testSite(), certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())
beforeEach(() => sim.faults.clear())

const run = (extra: Record<string, string> = {}) => runAction(certificateInputs(sim, { 'task-id': IDS.ok, ...extra }))

const SESSION = /^\/qrs\/executionsession\/[0-9a-f-]{36}$/i
const START = `/qrs/task/${IDS.ok}/start/synchronous`

/** What the server says happened to the execution this step reported. */
function serverTruth(executionId: string) {
  const results = sim.state.results.filter(r => r.executionID === executionId)
  return results.sort((a, b) => Date.parse(a.startTime) - Date.parse(b.startTime)).at(-1)
}

describe('transient faults: the reported outcome equals the server truth, and the task starts once', () => {
  it.each([
    ['a burst of three 503s while polling', { method: 'GET', path: SESSION, after: 1, times: 3, action: { kind: 'status', status: 503 } }],
    ['a 429 with Retry-After on the task lookup', { method: 'GET', path: '/qrs/reloadtask/full', times: 2, action: { kind: 'status', status: 429, retryAfter: '1' } }],
    ['connection resets while reading results', { method: 'GET', path: '/qrs/executionresult/full', times: 2, action: { kind: 'reset' } }],
    ['an execution session that vanishes early', { method: 'GET', path: SESSION, times: 1, action: { kind: 'end-session' } }],
    ['a 502 on the first request (the lookup)', { method: 'GET', path: '/qrs/reloadtask/full', times: 1, action: { kind: 'status', status: 502 } }]
  ] as const)('%s', async (_name, rule) => {
    sim.faults.add({ ...rule, action: { ...rule.action } })
    const starts = sim.startCount(IDS.ok)
    const result = await run()
    expect(result.stdout).not.toMatch(/::error/)
    expect(result.code).toBe(0)
    expect(sim.faults.applied().length).toBeGreaterThan(0)
    expect(sim.startCount(IDS.ok)).toBe(starts + 1)
    const truth = serverTruth(result.outputs['execution-id'])
    expect(truth?.status).toBe(7)
    expect(result.outputs['execution-result-id']).toBe(truth?.id)
    expect(result.outputs.status).toBe('FinishedSuccess')
  })

  it('honours Retry-After: the retry waits as long as the server asked', async () => {
    sim.faults.add({ method: 'GET', path: '/qrs/reloadtask/full', times: 1, action: { kind: 'status', status: 503, retryAfter: '2' } })
    const result = await run()
    expect(result.code).toBe(0)
    const lookups = sim.requests.filter(r => r.path === '/qrs/reloadtask/full').slice(-2)
    expect(lookups[1].time - lookups[0].time).toBeGreaterThanOrEqual(1_900)
    expect(result.stdout).toMatch(/GET \/qrs\/reloadtask\/full: .*answered 503.*trying again in 2\.0 s \(1\/5\)/)
  })

  it('gives up after the retries, saying what the server answered', async () => {
    sim.faults.add({ method: 'GET', path: '/qrs/reloadtask/full', times: Infinity, action: { kind: 'status', status: 503, body: 'Service Unavailable' } })
    const since = Date.now()
    const result = await run({ 'task-id': IDS.ok })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/::error::GET \/qrs\/reloadtask\/full answered 503: Service Unavailable/)
    expect(sim.requests.filter(r => r.time >= since && r.path === '/qrs/reloadtask/full').length).toBe(6)
  }, 90_000)

  it('a start whose connection is reset before the server handled it: looked for until the timeout, never sent again, the step says so', async () => {
    sim.faults.add({ method: 'POST', path: START, times: 1, action: { kind: 'reset' } })
    const starts = sim.startCount(IDS.ok)
    const since = Date.now()
    const result = await run({ timeout: '5s' })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/::warning::The answer to the start of task 'Reload Sales' was lost \(.*\): it may have started\. The start is not sent again/)
    expect(result.stdout).toMatch(
      /::error::The start of task 'Reload Sales' was sent once .* no execution of the task by INTERNAL\\sa_api appeared in \d+s of looking, until the timeout/
    )
    expect(sim.startCount(IDS.ok)).toBe(starts)
    expect(sim.requests.filter(r => r.time >= since && r.path === START)).toHaveLength(1)
  })

  it('a start whose answer is lost after the server started it: finds that execution, never starts twice', async () => {
    sim.faults.add({ method: 'POST', path: START, times: 1, action: { kind: 'reset-after-handling' } })
    const starts = sim.startCount(IDS.ok)
    const result = await run()
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/Found the execution the start started: [0-9a-f-]{36}/)
    expect(sim.startCount(IDS.ok)).toBe(starts + 1)
    expect(serverTruth(result.outputs['execution-id'])?.status).toBe(7)
  })

  it('a failing reload stays a failure through faults', async () => {
    sim.faults.add({ method: 'GET', path: SESSION, times: 2, action: { kind: 'status', status: 503 } })
    const result = await run({ 'task-id': IDS.fail })
    expect(result.code).toBe(1)
    expect(result.outputs.status).toBe('FinishedFail')
    expect(serverTruth(result.outputs['execution-id'])?.status).toBe(8)
  })

  it('a server without the session list or external program task routes still reloads (extras taken as empty)', async () => {
    sim.faults.add({ method: 'GET', path: '/qrs/executionsession/full', times: Infinity, action: { kind: 'status', status: 404, body: 'Not found' } })
    sim.faults.add({ method: 'GET', path: '/qrs/externalprogramtask/full', times: Infinity, action: { kind: 'status', status: 404, body: 'Not found' } })
    const found = await run()
    expect(found.code).toBe(0)
    expect(found.outputs.status).toBe('FinishedSuccess')
    const missing = await run({ 'task-id': '', 'task-name': 'No such task' })
    expect(missing.code).toBe(1)
    expect(missing.stdout).toMatch(/::error::No task named 'No such task'/)
  })

  it('a timeout is still reported as such when the stop itself fails', async () => {
    sim.faults.add({ method: 'POST', path: `/qrs/task/${IDS.slow}/stop`, times: 1, action: { kind: 'status', status: 404, body: 'Not found' } })
    const result = await run({ 'task-id': IDS.slow, timeout: '2s' })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /::error::Timed out after 2s waiting for task 'Reload Everything' \(.*\), and stopping task 'Reload Everything' \(execution [0-9a-f-]{36}\) failed: POST \/qrs\/task\/[0-9a-f-]+\/stop answered 404.*Stop it in the QMC if it still runs\./
    )
    // Main tracked it as still running, so the post step gets to stop it.
    expect(result.state.done).not.toBe('true')
    const post = await runAction(certificateInputs(sim, { 'task-id': IDS.slow }), { state: result.state })
    expect(post.stdout).toMatch(/stopped task/)
  })

  it('a slow answer past request-timeout is retried for reads', async () => {
    sim.faults.add({ method: 'GET', path: '/qrs/reloadtask/full', times: 1, action: { kind: 'delay', ms: 3_000 } })
    const result = await run({ 'request-timeout': '1s' })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/did not answer in time.*trying again/)
  })

  it('dropped proxy sessions mid-wait are renewed with one more NTLM handshake', async () => {
    sim.faults.add({ method: 'GET', path: SESSION, after: 1, times: 1, action: { kind: 'drop-sessions' } })
    const handshakes = sim.proxy.ntlmHandshakes.ntlm
    const result = await runAction({
      url: `${sim.proxyUrl}/ntlm`,
      'auth-type': 'ntlm',
      username: `${WINDOWS.domain}\\${WINDOWS.user}`,
      password: WINDOWS.password,
      'ca-cert': sim.certs.ca,
      'max-poll-interval': '1s',
      'task-id': IDS.long
    })
    expect(result.stdout).not.toMatch(/::error/)
    expect(result.outputs.status).toBe('FinishedSuccess')
    expect(sim.proxy.ntlmHandshakes.ntlm).toBe(handshakes + 2)
  }, 30_000)
})
