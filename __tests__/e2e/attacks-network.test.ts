/**
 * Issue 20, items 3, 5 and 6: answers cut in the middle, bodies that drip or stall, and servers that
 * invite a retry storm, against the bundle run as the runner runs it.
 *
 * Decisions:
 * - Item 3: an error while reading a body is a connection error (transient): reads retry it, the wait
 *   rides it out, and a start whose answer was cut is reconciled by finding its execution, never sent again.
 * - Item 5: `request-timeout` bounds the whole request, head and body (not the idle time between bytes);
 *   a read in flight when `timeout` passes is cut there, and the stop that follows has its own budget
 *   (15 s on timeout, as today's STOP_WAIT_ON_TIMEOUT_MS).
 * - Item 6: every retry gap is at least 500 ms whatever Retry-After says (0, or a date in the past), and
 *   the backoff's floor grows from there: at most about two requests a second per read, so a 4 s
 *   storm-inviting outage costs at most 12 requests.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { runAction, startAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { IDS, certificateInputs, testSite } from '../helpers/site.js'

const SESSION = /^\/qrs\/executionsession\/[0-9a-f-]{36}$/i
const START = (id: string) => `/qrs/task/${id}/start/synchronous`
const STORM_WINDOW_MS = 4_000
const MAX_STORM_REQUESTS = 12

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ scenario: testSite(), certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())

/** The failure annotations of a run, to show what went wrong without the whole log. */
const errors = (stdout: string): string[] => stdout.split('\n').filter(line => line.startsWith('::error'))
const sessionsOf = (taskId: string, since: number) => sim.state.sessions.filter(s => s.taskId === taskId && Date.parse(s.createdDate) >= since - 1_000)

describe('item 3: an answer cut in the middle is a connection error, not a failure', () => {
  it('(a) a session read cut mid-body during the wait is ridden out: the step reports the success', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'GET', path: SESSION, after: 1, action: { kind: 'cut' } })
    const stops = sim.stops.length
    const run = await runAction(certificateInputs(sim, { 'task-id': IDS.long }))
    expect(sim.faults.applied()).toHaveLength(1)
    expect(errors(run.stdout)).toEqual([])
    expect([run.code, run.outputs.status]).toEqual([0, 'FinishedSuccess'])
    expect(sim.stops.length).toBe(stops)
  })

  it("(b) the start's 201 cut after the execution was created: that execution is the step's, nothing started twice", async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'POST', path: START(IDS.ok), action: { kind: 'cut' } })
    const since = Date.now()
    const run = await runAction(certificateInputs(sim, { 'task-id': IDS.ok }))
    const started = sessionsOf(IDS.ok, since)
    expect(started).toHaveLength(1)
    expect(errors(run.stdout)).toEqual([])
    expect(run.outputs['execution-id']).toBe(started[0].id)
    expect([run.code, run.outputs.status]).toEqual([0, 'FinishedSuccess'])
  })

  it('(c) a lookup body that stalls with request-timeout: 2s is tried again', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'GET', path: '/qrs/reloadtask/full', action: { kind: 'drip', ms: 60_000 } })
    const since = Date.now()
    const run = await runAction(certificateInputs(sim, { 'task-id': IDS.ok, 'request-timeout': '2s' }), { timeoutMs: 50_000 })
    expect(errors(run.stdout)).toEqual([])
    expect(sim.requests.filter(r => r.time >= since && r.path === '/qrs/reloadtask/full').length).toBeGreaterThanOrEqual(2)
    expect([run.code, run.outputs.status]).toEqual([0, 'FinishedSuccess'])
  }, 60_000)
})

describe('item 5: time limits are limits', () => {
  it('a lookup that drips one byte a second gives up at request-timeout: 3s and is tried again', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'GET', path: '/qrs/reloadtask/full', action: { kind: 'drip', ms: 1_000 } })
    const started = Date.now()
    const run = await runAction(certificateInputs(sim, { 'task-id': IDS.ok, 'request-timeout': '3s' }), { timeoutMs: 45_000 })
    const took = Date.now() - started
    expect({ took: took < 20_000, code: run.code, status: run.outputs.status }).toEqual({ took: true, code: 0, status: 'FinishedSuccess' })
  }, 60_000)

  it('session reads that drip with timeout: 5s: the wait ends at the timeout and the task is stopped', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'GET', path: SESSION, times: Infinity, action: { kind: 'drip', ms: 1_000 } })
    const stops = sim.stops.length
    const started = Date.now()
    const step = startAction(certificateInputs(sim, { 'task-id': IDS.slow, timeout: '5s' }), { timeoutMs: 60_000 })
    const run = await step.done
    const took = Date.now() - started
    sim.faults.clear()
    const stop = sim.stops.slice(stops)[0]
    // Stopped within the timeout plus the stop's own 15 s, and the step did not outlive that by much.
    expect({ stopped: stop?.aborted, stopAfterMs: stop ? stop.time - started < 5_000 + 15_000 + 3_000 : 'no stop', took: took < 30_000 }).toEqual({
      stopped: true,
      stopAfterMs: true,
      took: true
    })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/Timed out after/)
  }, 70_000)
})

describe('item 6: no storms, whatever the server says', () => {
  it.each([
    ['Retry-After: 0', '0'],
    ['Retry-After: a date in the past', 'Thu, 01 Jan 2015 00:00:00 GMT']
  ])(
    '503 with %s on the session read for 4 s: a bounded number of requests, then the success',
    async (_name, retryAfter) => {
      sim.faults.clear()
      const run = startAction(certificateInputs(sim, { 'task-id': IDS.long }), { timeoutMs: 45_000 })
      // The outage starts once the step is waiting.
      for (let i = 0; i < 200 && !/\+\d+\w* (Triggered|Started)/.test(run.stdout()); i++) await new Promise(done => setTimeout(done, 25))
      const since = Date.now()
      sim.faults.add({ method: 'GET', path: SESSION, forMs: STORM_WINDOW_MS, action: { kind: 'status', status: 503, retryAfter } })
      const result = await run.done
      const faulted = sim.requests.filter(r => r.time >= since && r.fault === 'status').length
      expect(faulted).toBeGreaterThan(0)
      expect(faulted).toBeLessThanOrEqual(MAX_STORM_REQUESTS)
      expect([result.code, result.outputs.status]).toEqual([0, 'FinishedSuccess'])
    },
    60_000
  )
})
