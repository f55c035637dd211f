/**
 * Outages during the wait, a killed main, and the stop that must hit only our own execution:
 * the bundle run as the runner runs it, the post step included.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import type { Scenario } from '../../simulator/src/index.js'
import { runAction, startAction, type ActionRun, type RunningAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { IDS, certificateInputs, testSite } from '../helpers/site.js'

const T = {
  thirty: 'b2000000-0000-4000-8000-000000000001',
  raceCancel: 'b2000000-0000-4000-8000-000000000002',
  raceTimeout: 'b2000000-0000-4000-8000-000000000003',
  raceFailFast: 'b2000000-0000-4000-8000-000000000004',
  failLate: 'b2000000-0000-4000-8000-000000000005'
}

/** Ours is short; the next start of the same task (someone else's) runs 20 s. */
const raced = (id: string, name: string) => ({
  id,
  name,
  appId: IDS.appSales,
  runs: [{ attempts: [{ outcome: 7, durationMs: 1_500 }] }, { attempts: [{ outcome: 7, durationMs: 20_000 }] }]
})

function site(): Scenario {
  const s = testSite()
  s.tasks = [
    ...(s.tasks ?? []),
    { id: T.thirty, name: 'Reload Thirty', appId: IDS.appSales, runs: [{ attempts: [{ outcome: 7, durationMs: 30_000 }] }] },
    raced(T.raceCancel, 'Race cancel'),
    raced(T.raceTimeout, 'Race timeout'),
    raced(T.raceFailFast, 'Race fail-fast'),
    { id: T.failLate, name: 'Fail late', appId: IDS.appFinance, runs: [{ attempts: [{ outcome: 8, durationMs: 3_000 }] }] }
  ]
  return s
}

// One simulator per long outage (they run at the same time), one for the rest.
const sims: Simulator[] = []
beforeAll(async () => {
  for (let i = 0; i < 3; i++) sims.push(await startSimulator({ scenario: site(), certsDir: testCertificates().dir, quiet: true }))
})
afterAll(async () => Promise.all(sims.map(sim => sim.close())))

const sleep = (ms: number) => new Promise(done => setTimeout(done, ms))
const ANY_GET = /^\/qrs\//

/** Resolves once the step is waiting on an execution it started (its first status line is out). */
async function waiting(step: RunningAction): Promise<void> {
  for (let i = 0; i < 300 && !/\+\d+\w* (Triggered|Started)/.test(step.stdout()); i++) await sleep(50)
  expect(step.stdout()).toMatch(/Started|Triggered/)
}

async function until(probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !probe();) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(50)
  }
}

const sessionOf = (sim: Simulator, taskId: string) => sim.state.sessions.find(s => s.taskId === taskId && s.active)
const resultOf = (sim: Simulator, executionId: string) => sim.state.results.filter(r => r.executionID === executionId).at(-1)

/** Main, then the post step with main's state, as the runner runs them. */
async function withPost(sim: Simulator, inputs: Record<string, string>, main: ActionRun): Promise<ActionRun> {
  return runAction(certificateInputs(sim, inputs), { state: main.state })
}

describe('outages during the wait do not fail a healthy reload, and the post step never stops it', () => {
  it.concurrent(
    '25 s of 503s on every QRS GET in the middle of a 30 s reload: exit 0, FinishedSuccess, zero stops (post step included)',
    async () => {
      const sim = sims[0]
      const inputs = { 'task-id': T.thirty, 'max-poll-interval': '2s' }
      const step = startAction(certificateInputs(sim, inputs), { timeoutMs: 90_000 })
      await waiting(step)
      await sleep(2_000)
      sim.faults.add({ method: 'GET', path: ANY_GET, forMs: 25_000, action: { kind: 'status', status: 503 } })
      const main = await step.done
      expect(sim.faults.applied().length).toBeGreaterThan(0)
      expect(main.stdout).not.toMatch(/::error/)
      expect(main.code).toBe(0)
      expect(main.outputs.status).toBe('FinishedSuccess')
      expect(resultOf(sim, main.outputs['execution-id'])?.status).toBe(7)
      // One line when it stopped answering, one when it came back; no retry chatter in between.
      expect(main.stdout).toMatch(/QRS is not answering \(GET \/qrs\/executionsession\/[0-9a-f-]+ answered 503/)
      expect(main.stdout).toMatch(/QRS did not answer for (1\d|2\d|3\d) s; still waiting for execution [0-9a-f-]{36}\./)
      expect(main.stdout.match(/QRS is not answering/g)).toHaveLength(1)
      const post = await withPost(sim, inputs, main)
      expect(post.code).toBe(0)
      expect(sim.stops).toHaveLength(0)
    },
    120_000
  )

  it.concurrent(
    'the simulator refusing connections for 20 s in the middle of a 30 s reload: exit 0, FinishedSuccess, zero stops (post step included)',
    async () => {
      const sim = sims[1]
      const inputs = { 'task-id': T.thirty, 'max-poll-interval': '2s' }
      const step = startAction(certificateInputs(sim, inputs), { timeoutMs: 90_000 })
      await waiting(step)
      await sleep(4_000)
      await sim.refuseConnections(20_000)
      const main = await step.done
      expect(main.stdout).not.toMatch(/::error/)
      expect(main.code).toBe(0)
      expect(main.outputs.status).toBe('FinishedSuccess')
      expect(resultOf(sim, main.outputs['execution-id'])?.status).toBe(7)
      expect(main.stdout).toMatch(/QRS is not answering \(.*ECONN(REFUSED|RESET)|QRS is not answering \(.*closed the connection/)
      expect(main.stdout).toMatch(/QRS did not answer for \d+ s; still waiting for execution/)
      const post = await withPost(sim, inputs, main)
      expect(post.code).toBe(0)
      expect(sim.stops).toHaveLength(0)
    },
    120_000
  )
})

describe('stops', () => {
  const sim = () => sims[2]

  it('a SIGKILL of main: the post step stops our execution, and only it', async () => {
    const inputs = { 'task-id': IDS.slow }
    const step = startAction(certificateInputs(sim(), inputs))
    await waiting(step)
    step.child.kill('SIGKILL')
    const main = await step.done
    expect(main.state['main-ended']).toBeUndefined()
    const since = Date.now()
    const post = await withPost(sim(), inputs, main)
    expect(post.code).toBe(0)
    expect(post.stdout).toMatch(/::warning::The main step did not finish \(cancelled or killed\): stopped task .*, now Aborted \(6\)/)
    expect(
      sim()
        .stops.filter(s => s.time >= since)
        .map(s => s.executionIds)
    ).toEqual([[main.state['execution-id']]])
  })

  it.each([
    ['Retry-After: 60 on the session read', { kind: 'status', status: 503, retryAfter: '60' }],
    ['a session read that takes 30 s to answer', { kind: 'delay', ms: 30_000 }]
  ] as const)('SIGINT during %s: the stop goes out within 1 s', async (_name, action) => {
    const inputs = { 'task-id': IDS.slow }
    const step = startAction(certificateInputs(sim(), inputs))
    await waiting(step)
    const executionId = sessionOf(sim(), IDS.slow)!.id
    sim().faults.add({ method: 'GET', path: `/qrs/executionsession/${executionId}`, times: 1, action: { ...action } })
    await until(() => sim().faults.applied().length > 0)
    await sleep(action.kind === 'delay' ? 300 : 100)
    sim().faults.clear()
    const cancelledAt = Date.now()
    step.child.kill('SIGINT')
    const main = await step.done
    const stops = sim().stops.filter(s => s.time >= cancelledAt)
    expect(stops.map(s => s.executionIds)).toEqual([[executionId]])
    expect(stops[0].time - cancelledAt).toBeLessThan(1_000)
    expect(main.stdout).toMatch(/::error::The job was cancelled: stopped task 'Reload Everything'/)
  })

  /**
   * Ours ends while the step does not see it (its session reads get 503s), someone else starts the
   * same task, then the event that makes the step stop; `release` lifts the 503s at that event, so
   * the re-read before the stop sees ours ended. The other run must go on.
   */
  async function race(
    taskId: string,
    release: (step: RunningAction, clear: () => void, startedAt: number) => Promise<void>,
    extra: Record<string, string> = {}
  ): Promise<{ main: ActionRun; ours: string; other: string; since: number }> {
    const s = sim()
    const inputs = { 'task-id': taskId, ...extra }
    const step = startAction(certificateInputs(s, inputs))
    await until(() => sessionOf(s, taskId) !== undefined)
    const startedAt = Date.now()
    const ours = sessionOf(s, taskId)!.id
    s.faults.add({ method: 'GET', path: `/qrs/executionsession/${ours}`, times: Infinity, action: { kind: 'status', status: 503 } })
    // With several targets the step reads their sessions in one list: a server without that list has each
    // read on its own (issue 21), so that ours can be the one whose reads fail while the others go on.
    s.faults.add({ method: 'GET', path: '/qrs/executionsession/full', times: Infinity, action: { kind: 'status', status: 404 } })
    await until(() => resultOf(s, ours)?.status === 7)
    const since = Date.now()
    const other = s.startTask(taskId)
    await release(step, () => s.faults.clear(), startedAt)
    const main = await step.done
    s.faults.clear()
    await withPost(s, inputs, main)
    return { main, ours, other, since }
  }

  it('SIGINT after ours ended and another run of the task began: the other run is not stopped', async () => {
    const { main, ours, other, since } = await race(T.raceCancel, async (step, clear) => {
      clear()
      step.child.kill('SIGINT')
    })
    expect(main.code).toBe(1)
    expect(main.stdout).toMatch(new RegExp(`execution ${ours} had already ended, now FinishedSuccess \\(7\\): not stopping task 'Race cancel'`))
    expect(sim().stops.filter(s => s.time >= since)).toHaveLength(0)
    expect(sessionOf(sim(), T.raceCancel)?.id).toBe(other)
  }, 30_000)

  it('a timeout after ours ended and another run of the task began: the other run is not stopped', async () => {
    const { main, ours, other, since } = await race(
      T.raceTimeout,
      async (_step, clear, startedAt) => {
        // The wait's last read comes at its 4 s deadline (it still gets a 503: a timeout); the re-read for the stop, retried, just after.
        await sleep(startedAt + 4_300 - Date.now())
        clear()
      },
      { timeout: '4s' }
    )
    expect(main.code).toBe(1)
    expect(main.stdout).toMatch(
      new RegExp(
        `::error::Timed out after 4s waiting for task 'Race timeout' \\(.*\\); execution ${ours} had already ended, now FinishedSuccess \\(7\\): not stopping task 'Race timeout' \\(another run of it may be going\\)\\. Raise 'timeout'`
      )
    )
    expect(sim().stops.filter(s => s.time >= since)).toHaveLength(0)
    expect(sessionOf(sim(), T.raceTimeout)?.id).toBe(other)
  }, 30_000)

  it('fail-fast after ours ended and another run of the task began: the other run is not stopped', async () => {
    const { main, ours, other, since } = await race(
      T.raceFailFast,
      async (step, clear) => {
        await until(() => /failed: stopping the other targets \(fail-fast\)/.test(step.stdout()))
        clear()
      },
      { 'task-id': `${T.raceFailFast}\n${T.failLate}`, 'fail-fast': 'true' }
    )
    expect(main.code).toBe(1)
    expect(main.stdout).toMatch(
      new RegExp(`Another target failed \\(fail-fast\\); execution ${ours} had already ended, now FinishedSuccess \\(7\\): not stopping task 'Race fail-fast'`)
    )
    expect(sim().stops.filter(s => s.time >= since)).toHaveLength(0)
    expect(sessionOf(sim(), T.raceFailFast)?.id).toBe(other)
  }, 30_000)
})
