/**
 * The action against the simulator's unconfirmed variants of issue 21: a site whose executions pass
 * through every step (Triggered, Queued, Started, the log reference before the end), each a callback,
 * and the HTTP stack's URL limit (414).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, readFileSync } from 'node:fs'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { runAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { IDS, SCRIPT_ERROR, certificateInputs, testSite } from '../helpers/site.js'
import { freePort } from '../helpers/tinyproxy.js'

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({
    scenario: testSite(),
    certsDir: testCertificates().dir,
    quiet: true,
    switches: { triggeredMs: 200, queuedStepMs: 800, logReferenceLeadMs: 100 }
  })
})
afterAll(async () => sim?.close())

const detailsOf = (executionId: string) =>
  sim.state.results
    .find(r => r.executionID === executionId)!
    .details.map(d => d.message)
    .filter(m => m.startsWith('Changing') || m.startsWith('Reference'))

describe('a site whose executions pass through every step', () => {
  it('polling: the end is read after Queued and Started, the log that was referenced before the end is shown', async () => {
    const run = await runAction(certificateInputs(sim, { 'task-id': IDS.fail }))
    expect(run.code).toBe(1)
    expect(run.outputs.status).toBe('FinishedFail')
    expect(detailsOf(run.outputs['execution-id'])).toEqual([
      'Changing task state from NeverStarted to Triggered',
      'Changing task state from Triggered to Queued',
      'Changing task state from Queued to Started',
      'Reference to scriptlog added',
      'Changing task state from Started to FinishedFail'
    ])
    expect(existsSync(run.outputs['script-log-path'])).toBe(true)
    expect(readFileSync(run.outputs['script-log-path'], 'utf8')).toContain(SCRIPT_ERROR)
    expect(run.summary).toContain(SCRIPT_ERROR)
  })

  /** A push run of IDS.ok: the callbacks to the step's path, and when the step read the result after the end. */
  async function pushRun() {
    const port = await freePort()
    const notifyUrl = `http://127.0.0.1:${port}/qlik-notify`
    const from = sim.requests.length
    const run = await runAction(certificateInputs(sim, { 'task-id': IDS.ok, 'max-poll-interval': '30s', 'notify-listen': `127.0.0.1:${port}`, 'notify-url': notifyUrl }))
    const requests = sim.requests.slice(from)
    const deliveries = sim.notifications.deliveries().filter(d => d.url.startsWith(`${notifyUrl}/`))
    const props = deliveries.map(d => (JSON.parse(d.body) as { changedProperties: string[] }[])[0].changedProperties.join())
    const result = sim.state.results.find(r => r.executionID === run.outputs['execution-id'])!
    const stop = Date.parse(result.stopTime)
    const decision = requests.find(r => r.time >= stop && r.path.startsWith('/qrs/executionresult'))
    expect(sim.notifications.active().filter(a => a.url.startsWith(`${notifyUrl}/`))).toHaveLength(0)
    return { run, requests, props, lagMs: decision ? decision.time - stop : Infinity }
  }

  it('push: subscribed to status changes only, the step reads the end at once (no wake-up used up by the log reference)', async () => {
    const { run, requests, props, lagMs } = await pushRun()
    expect(run.code).toBe(0)
    expect(run.outputs.status).toBe('FinishedSuccess')
    expect(run.stdout).toMatch(/Push wake-ups on/)
    const subscribe = requests.find(r => r.method === 'POST' && r.path === '/qrs/notification')!
    expect(Object.fromEntries(new URLSearchParams(subscribe.query))).toMatchObject({ name: 'ExecutionResult', changetype: '2', propertyname: 'status' })
    // Subscribed after the start: Queued, Started, the end; not the log reference 100 ms before the end.
    expect(props).toEqual(['status,modifiedDate', 'status,startTime,modifiedDate', 'status,stopTime,duration,modifiedDate'])
    // The cascade of issue 21 read the end about 900 ms late; the bench's goal is 100 ms on an idle machine.
    expect(lagMs).toBeLessThan(600)
    // Lookup, start, subscribe, one look at once, a read per wake-up, the unsubscribe.
    expect(requests.length).toBeLessThanOrEqual(9)
  })

  it('push on a server that ignores propertyName: every change is a callback, and the end is still read at once', async () => {
    sim.switches.notificationPropertyName = 'ignored'
    try {
      const { run, props, lagMs } = await pushRun()
      expect(run.code).toBe(0)
      expect(props).toEqual([
        'status,modifiedDate',
        'status,startTime,modifiedDate',
        'fileReferenceID,scriptLogAvailable,scriptLogLocation,scriptLogSize,modifiedDate',
        'status,stopTime,duration,modifiedDate'
      ])
      // The log reference's wake-up and the end's come 100 ms apart: the burst lets both through.
      expect(lagMs).toBeLessThan(600)
    } finally {
      sim.switches.notificationPropertyName = 'honoured'
    }
  })
})

describe('the HTTP stack refuses an over-long URL', () => {
  it('a task name that makes the lookup URL longer than 16 KB: 414, reported as such, no HTML', async () => {
    const from = sim.requests.length
    const run = await runAction(certificateInputs(sim, { 'task-name': `Reload ${'Sales '.repeat(3_000)}` }))
    expect(run.code).toBe(1)
    const errors = run.stdout.split('\n').filter(l => l.startsWith('::error'))
    expect(errors.join('\n')).toMatch(/answered 414: .*The request URL is too long/)
    expect(errors.join('\n')).not.toMatch(/<[a-z]/i)
    // A 4xx is not retried, and nothing was started.
    expect(sim.requests.slice(from).map(r => r.status)).toEqual([414])
  })
})
