import { afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { run } from '../../src/main.js'
import { systemClock } from '../../src/util/clock.js'
import type { Simulator } from '../../simulator/src/index.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'
import { inProcessSite } from '../helpers/in-process.js'
import { IDS, certificateInputs } from '../helpers/site.js'

// run() in this process with a fake toolkit: starting a task when it is already running, and when
// the answer to the start is lost (src/reload/start.ts). The e2e suites run the same through the bundle.
const site = inProcessSite()
let sim: Simulator
beforeAll(() => {
  sim = site.sim()
})
afterEach(() => sim.faults.clear())

async function main(inputs: Record<string, string>): Promise<FakeToolkit> {
  const toolkit = new FakeToolkit(certificateInputs(sim, { 'max-poll-interval': '1s', ...inputs }))
  await run({ toolkit, clock: systemClock })
  return toolkit
}

const START = `/qrs/task/${IDS.ok}/start/synchronous`
const active = (executionId: string) => sim.state.sessions.some(s => s.id === executionId && s.active)

describe('a task that is already running', () => {
  it('if-running wait: waits for it to end, then starts a fresh execution', async () => {
    const theirs = sim.startTask(IDS.long)
    const starts = sim.startCount(IDS.long)
    const toolkit = await main({ 'task-id': IDS.long })
    expect(toolkit.errors()).toEqual([])
    expect(toolkit.outputs['execution-id']).not.toBe(theirs)
    expect(active(theirs)).toBe(false)
    expect(sim.startCount(IDS.long)).toBe(starts + 1)
  }, 30_000)

  it('if-running attach: reports that execution and starts nothing', async () => {
    const theirs = sim.startTask(IDS.long)
    const starts = sim.startCount(IDS.long)
    const toolkit = await main({ 'task-id': IDS.long, 'if-running': 'attach' })
    expect(toolkit.errors()).toEqual([])
    expect(toolkit.outputs).toMatchObject({ 'execution-id': theirs, status: 'FinishedSuccess' })
    expect(sim.startCount(IDS.long)).toBe(starts)
  }, 30_000)

  it('if-running fail: fails naming the execution, starts nothing', async () => {
    const theirs = sim.startTask(IDS.long)
    const starts = sim.startCount(IDS.long)
    const toolkit = await main({ 'task-id': IDS.long, 'if-running': 'fail' })
    expect(toolkit.failed).toBe(true)
    expect(toolkit.errors()[0].message).toBe(`Task 'Reload Long' is already running (execution ${theirs}) and if-running is 'fail'.`)
    expect(sim.startCount(IDS.long)).toBe(starts)
    await main({ 'task-id': IDS.long, 'if-running': 'attach' })
  }, 30_000)

  it('if-running wait with a timeout shorter than that run: fails, starting and stopping nothing', async () => {
    const theirs = sim.startTask(IDS.long)
    const starts = sim.startCount(IDS.long)
    const stops = sim.stopCount()
    const toolkit = await main({ 'task-id': IDS.long, timeout: '1s' })
    expect(toolkit.failed).toBe(true)
    expect(toolkit.errors()[0].message).toMatch(
      new RegExp(`was already running \\(execution ${theirs}\\) and did not end within the timeout; this step started nothing and stopped nothing`)
    )
    expect([sim.startCount(IDS.long), sim.stopCount()]).toEqual([starts, stops])
    await main({ 'task-id': IDS.long, 'if-running': 'attach' })
  }, 30_000)
})

describe('a start whose answer is lost', () => {
  it('reset before the server handled it: looks for its execution until the timeout, never sends it again, fails saying so', async () => {
    sim.faults.add({ method: 'POST', path: START, times: 1, action: { kind: 'reset' } })
    const starts = sim.startCount(IDS.ok)
    const since = Date.now()
    const toolkit = await main({ 'task-id': IDS.ok, timeout: '3s' })
    expect(toolkit.errors().map(e => e.message)).toEqual([
      expect.stringMatching(/^The start of task 'Reload Sales' was sent once .* no execution of the task by INTERNAL\\sa_api appeared/)
    ])
    expect(sim.startCount(IDS.ok)).toBe(starts)
    expect(sim.requests.filter(r => r.time >= since && r.path === START)).toHaveLength(1)
    // The main step reached its end: the post step has nothing left to look for.
    expect(toolkit.state).toMatchObject({ 'main-ended': 'true', 'start-pending': '[]' })
  }, 30_000)

  it('reset after the server started it: finds that execution and never starts twice', async () => {
    sim.faults.add({ method: 'POST', path: START, times: 1, action: { kind: 'reset-after-handling' } })
    const starts = sim.startCount(IDS.ok)
    const toolkit = await main({ 'task-id': IDS.ok })
    expect(toolkit.errors()).toEqual([])
    expect(toolkit.outputs.status).toBe('FinishedSuccess')
    expect(sim.startCount(IDS.ok)).toBe(starts + 1)
  }, 30_000)

  it('a disabled task: the empty execution id is explained', async () => {
    const toolkit = await main({ 'task-id': IDS.disabled })
    expect(toolkit.failed).toBe(true)
    expect(toolkit.errors()[0].message).toMatch(/did not start: the server answered with an empty execution id\. The task is disabled/)
  })
})
