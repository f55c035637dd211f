import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import type { Scenario } from '../../simulator/src/index.js'
import { runAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { certificateInputs } from '../helpers/site.js'

const APP = 'c0000000-0000-4000-8000-0000000000a1'
const WITH_HISTORY = 'c0000000-0000-4000-8000-000000000001'
const NO_HISTORY = 'c0000000-0000-4000-8000-000000000002'
const FAILED_BEFORE = 'c0000000-0000-4000-8000-000000000003'
const DURATION_MS = 6_000

/** Three 6 s reloads: one whose previous run took about as long, one never run, one whose last run failed. */
function scenario(): Scenario {
  const runs = [{ attempts: [{ outcome: 7, durationMs: DURATION_MS }] }]
  return {
    machineName: 'qliksrv01.corp.example',
    serverNames: ['qliksrv01.corp.example', 'localhost', '127.0.0.1'],
    nodeName: 'qliksrv02',
    apps: [{ id: APP, name: 'Sales' }],
    tasks: [
      { id: WITH_HISTORY, name: 'Reload with history', appId: APP, runs, previousRun: { status: 7, durationMs: 6_200 } },
      { id: NO_HISTORY, name: 'Reload without history', appId: APP, runs },
      { id: FAILED_BEFORE, name: 'Reload failed before', appId: APP, runs, previousRun: { status: 8, durationMs: 1_000 } }
    ]
  }
}

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ scenario: scenario(), certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())

/** Runs the step on one task (default max-poll-interval) and counts what the simulator answered for that run. */
async function reload(taskId: string) {
  const since = sim.requests.length
  const run = await runAction(certificateInputs(sim, { 'task-id': taskId, 'max-poll-interval': '15s' }))
  const requests = sim.requests.slice(since)
  const executionId = run.outputs['execution-id']
  const polls = requests.filter(r => r.path.toLowerCase() === `/qrs/executionsession/${executionId}`.toLowerCase())
  return {
    run,
    requests: requests.length,
    polls: polls.length,
    gonePolls: polls.filter(r => r.status === 404).length,
    resultReads: requests.filter(r => r.path === '/qrs/executionresult/full').length,
    runningChecks: requests.filter(r => r.path === '/qrs/executionsession/full').length,
    mix: requests.map(r => `${r.method} ${r.path}`)
  }
}

describe('waiting by the task history', () => {
  it('a task whose previous run took about as long is noticed with few polls, one request per poll, the result read once', async () => {
    const ours = await reload(WITH_HISTORY)
    expect(ours.run.code).toBe(0)
    expect(ours.run.outputs.status).toBe('FinishedSuccess')
    expect(ours.run.stdout).toContain("The task's previous run took 6s: checks gather around that.")
    // The lookup said the last run had ended: no separate running check.
    expect(ours.runningChecks).toBe(0)
    expect(ours.gonePolls).toBe(1)
    expect(ours.resultReads).toBe(1)
    // Sparse before the expected end (2 s, 4 s), then a dense window: a handful of polls, not one every half second.
    expect(ours.polls).toBeLessThanOrEqual(7)
    // about, lookup, start, the polls, the result: nothing else.
    expect(ours.requests).toBe(3 + ours.polls + 1)

    const today = await reload(NO_HISTORY)
    expect(today.run.code).toBe(0)
    expect(today.run.stdout).not.toContain('previous run took')
    // A never-run task: NeverStarted says it is not running either.
    expect(today.runningChecks).toBe(0)
    expect(today.polls).toBeGreaterThan(ours.polls)
  }, 60_000)

  it('a failed previous run is no forecast: the wait polls as without history', async () => {
    const failedBefore = await reload(FAILED_BEFORE)
    expect(failedBefore.run.code).toBe(0)
    expect(failedBefore.run.stdout).not.toContain('previous run took')
    expect(failedBefore.polls).toBeGreaterThan(7)
  }, 60_000)

  it('a task whose last run has not ended is checked for a running execution before the start', async () => {
    const other = sim.startTask(WITH_HISTORY)
    const attached = await runAction(certificateInputs(sim, { 'task-id': WITH_HISTORY, 'if-running': 'attach' }))
    expect(attached.code).toBe(0)
    expect(attached.outputs['execution-id']).toBe(other)
    expect(sim.startCount(WITH_HISTORY)).toBe(2)
  }, 60_000)
})
