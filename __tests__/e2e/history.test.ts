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
const LONGER = 'c0000000-0000-4000-8000-000000000004'
const DURATION_MS = 6_000
/** Long enough (≥ 10 s, history.ts) for the recent runs to be read. */
const LONGER_MS = 12_000

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
      { id: FAILED_BEFORE, name: 'Reload failed before', appId: APP, runs, previousRun: { status: 8, durationMs: 1_000 } },
      {
        id: LONGER,
        name: 'Reload with five runs of history',
        appId: APP,
        runs: [{ attempts: [{ outcome: 7, durationMs: LONGER_MS }] }],
        // Oldest first, a run every few minutes: the last run alone (13 s) is 8 % off; the median of the last
        // five (12.1 s) is not. The failed run and the one from three days ago (outside 100 durations) are left out.
        previousRuns: [
          { status: 7, durationMs: 30_000, endedAgoMs: 3 * 86_400_000 },
          { status: 7, durationMs: 11_900, endedAgoMs: 900_000 },
          { status: 7, durationMs: 12_100, endedAgoMs: 720_000 },
          { status: 8, durationMs: 2_000, endedAgoMs: 540_000 },
          { status: 7, durationMs: 11_800, endedAgoMs: 360_000 },
          { status: 7, durationMs: 12_200, endedAgoMs: 180_000 }
        ],
        previousRun: { status: 7, durationMs: 13_000, endedAgoMs: 60_000 }
      }
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
    historyReads: requests.filter(r => r.path === '/qrs/executionresult'),
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
    // No check at once; 3.1 s (E/2), then the window 5.6-6.8 s every 300 ms: about five polls, not one every half second.
    expect(ours.polls).toBeLessThanOrEqual(6)
    // A 6 s reload: the lookup's last run is the forecast, no read of the recent runs.
    expect(ours.historyReads).toHaveLength(0)
    // Lookup, start, the polls, the result: nothing else (no /qrs/about: the lookup signs in).
    expect(ours.mix[0]).toBe('GET /qrs/reloadtask/full')
    expect(ours.requests).toBe(2 + ours.polls + 1)

    const today = await reload(NO_HISTORY)
    expect(today.run.code).toBe(0)
    expect(today.run.stdout).not.toContain('previous run took')
    // A never-run task: NeverStarted says it is not running either.
    expect(today.runningChecks).toBe(0)
    expect(today.polls).toBeGreaterThan(ours.polls)
  }, 60_000)

  it('a longer task: one read of its recent runs, the median and spread of the last five, few polls', async () => {
    const ours = await reload(LONGER)
    expect(ours.run.code).toBe(0)
    expect(ours.run.outputs.status).toBe('FinishedSuccess')
    // The median (12.1 s), not the last run (13 s).
    expect(ours.run.stdout).toContain("The task's last 5 runs took 12s–13s, median 12s: checks gather around that.")
    // One read, bounded by time (100 of the last run's durations before its start), newest first.
    expect(ours.historyReads).toHaveLength(1)
    const query = new URLSearchParams(ours.historyReads[0].query)
    expect(query.get('filter')).toMatch(new RegExp(`^TaskID eq ${LONGER} and Status eq 7 and StartTime ge '\\d{4}-`))
    expect(query.get('orderby')).toBe('StartTime desc')
    expect(ours.historyReads[0].status).toBe(200)
    expect(ours.runningChecks).toBe(0)
    expect(ours.gonePolls).toBe(1)
    expect(ours.resultReads).toBe(1)
    // E/2 (6 s), then the window 11.6-13.2 s: a handful of polls.
    expect(ours.polls).toBeLessThanOrEqual(7)
    // Lookup, start, the recent runs (read after the start: a start never waits for them), the polls, the result.
    expect(ours.mix.slice(0, 3)).toEqual(['GET /qrs/reloadtask/full', `POST /qrs/task/${LONGER}/start/synchronous`, 'GET /qrs/executionresult'])
    expect(ours.requests).toBe(3 + ours.polls + 1)
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
