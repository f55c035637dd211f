import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { runAction, startAction, type RunningAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { IDS, certificateInputs, testSite } from '../helpers/site.js'
import { call, waitForSessionEnd } from '../../simulator/__tests__/helpers.js'

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ scenario: testSite(), certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())

const inputs = (extra: Record<string, string> = {}) => certificateInputs(sim, { 'task-id': IDS.slow, ...extra })

/** Resolves once the step is waiting on an execution it started (its first status line is out). */
async function waiting(step: RunningAction): Promise<void> {
  for (let i = 0; i < 300 && !/\+\d+\w* (Triggered|Started)/.test(step.stdout()); i++) await new Promise(done => setTimeout(done, 50))
  expect(step.stdout()).toMatch(/Started|Triggered/)
}

/** The execution a step started, from its saved state. */
const main = (run: { state: Record<string, string> }): string => run.state['execution-id']

const stopsOf = (taskId: string, since: number) => sim.stops.filter(stop => stop.taskId === taskId && stop.time >= since)

describe('cancellation', () => {
  it('stops the task within 3 s of SIGINT, and fails saying so', async () => {
    const step = startAction(inputs())
    await waiting(step)
    const cancelledAt = Date.now()
    step.child.kill('SIGINT')
    const run = await step.done
    const stops = stopsOf(IDS.slow, cancelledAt)
    expect(stops).toHaveLength(1)
    expect(stops[0].time - cancelledAt).toBeLessThan(3_000)
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::The job was cancelled: stopped task 'Reload Everything' \(execution [0-9a-f-]{36}\), now Aborted \(6\)/)
    // The outputs report the stopped execution, as after a timeout.
    expect(run.outputs).toMatchObject({ status: 'Aborted', 'status-code': '6', 'task-name': 'Reload Everything', 'execution-id': main(run) })
    expect(run.outputs['stopped-at']).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(run.state.done).toBe('true')
  })

  it('leaves the post step nothing to do after main stopped the task', async () => {
    const step = startAction(inputs())
    await waiting(step)
    step.child.kill('SIGINT')
    const main = await step.done
    const since = Date.now()
    const post = await runAction(inputs(), { state: main.state })
    expect(post.code).toBe(0)
    expect(stopsOf(IDS.slow, since)).toHaveLength(0)
  })

  it('has the post step stop the task when main was killed (SIGKILL) before it could', async () => {
    const step = startAction(inputs())
    await waiting(step)
    step.child.kill('SIGKILL')
    const main = await step.done
    expect(main.state['execution-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(main.state.done).not.toBe('true')
    const since = Date.now()
    const post = await runAction(inputs(), { state: main.state })
    expect(post.code).toBe(0)
    expect(post.stdout).toMatch(/::warning::The main step did not finish \(cancelled or killed\): stopped task/)
    expect(stopsOf(IDS.slow, since)).toHaveLength(1)
  })

  it('has the post step stop what a start started when main was killed (SIGKILL) while its answer was on the way', async () => {
    sim.faults.add({ method: 'POST', path: `/qrs/task/${IDS.slow}/start/synchronous`, action: { kind: 'delay', ms: 5_000 } })
    const known = new Set(sim.state.sessions.map(s => s.id))
    const step = startAction(inputs())
    // The start went out (its execution exists on the server); its answer is 5 s away.
    for (let i = 0; i < 300 && !sim.state.sessions.some(s => !known.has(s.id) && s.taskId === IDS.slow); i++) await new Promise(done => setTimeout(done, 20))
    step.child.kill('SIGKILL')
    const main = await step.done
    sim.faults.clear()
    const [execution] = sim.state.sessions.filter(s => !known.has(s.id) && s.taskId === IDS.slow)
    // The start was saved before it was sent; its execution was not known yet.
    expect(JSON.parse(main.state.starting)).toEqual([expect.objectContaining({ taskId: IDS.slow, user: 'INTERNAL\\sa_api', before: [] })])
    expect(main.state['execution-id']).toBeUndefined()
    const since = Date.now()
    const post = await runAction(inputs(), { state: main.state })
    expect(post.code).toBe(0)
    expect(post.stdout).toContain(
      `::warning::The main step did not finish (cancelled or killed) during the start of task 'Reload Everything' (sent at ${JSON.parse(main.state.starting)[0].at}): stopped task 'Reload Everything' (execution ${execution.id}), now Aborted (6).`
    )
    expect(stopsOf(IDS.slow, since)).toEqual([expect.objectContaining({ aborted: true, executionIds: [execution.id] })])
  })

  it('never stops a reload that already ended: a killed main leaves a finished success as it is', async () => {
    const step = startAction(inputs({ 'task-id': IDS.ok }))
    await waiting(step)
    step.child.kill('SIGKILL')
    const main = await step.done
    // Let the reload finish on the server, then run the post step.
    await new Promise(done => setTimeout(done, 1_500))
    const since = Date.now()
    const post = await runAction(inputs({ 'task-id': IDS.ok }), { state: main.state })
    expect(post.code).toBe(0)
    expect(post.stdout).toMatch(/; execution [0-9a-f-]{36} had already ended, now FinishedSuccess \(7\): not stopping task .* \(another run of it may be going\)/)
    expect(stopsOf(IDS.ok, since)).toHaveLength(0)
    const result = sim.state.results.filter(r => r.executionID === main.state['execution-id']).at(-1)
    expect(result?.status).toBe(7)
  })

  it('does not stop the task with stop-on-cancel: false, and says it keeps running', async () => {
    const step = startAction(inputs({ 'stop-on-cancel': 'false' }))
    await waiting(step)
    const since = Date.now()
    step.child.kill('SIGINT')
    const run = await step.done
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/keeps running in Qlik Sense because stop-on-cancel is false/)
    const post = await runAction(inputs({ 'stop-on-cancel': 'false' }), { state: run.state })
    expect(post.code).toBe(0)
    expect(stopsOf(IDS.slow, since)).toHaveLength(0)
    // Stop the reload this test left running (it would hold the task for the next test), and check it ran until now.
    const stopped = await call(sim, 'POST', `/qrs/task/${IDS.slow}/stop`)
    expect(stopped.status).toBe(204)
    expect(stopsOf(IDS.slow, since)).toHaveLength(1)
    await waitForSessionEnd(sim, main(run))
  })

  it('after a normal run the post step does nothing', async () => {
    const main = await runAction(inputs({ 'task-id': IDS.ok }))
    expect(main.code).toBe(0)
    expect(main.state.done).toBe('true')
    const before = sim.requests.length
    const post = await runAction(inputs({ 'task-id': IDS.ok }), { state: main.state })
    expect(post.code).toBe(0)
    expect(sim.requests.length).toBe(before)
  })
})
