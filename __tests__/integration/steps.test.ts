import { beforeAll, describe, expect, it } from '@jest/globals'
import { run } from '../../src/main.js'
import { post } from '../../src/post.js'
import { systemClock } from '../../src/util/clock.js'
import type { Simulator } from '../../simulator/src/index.js'
import { inProcessSite } from '../helpers/in-process.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'
import { IDS, SCRIPT_ERROR, certificateInputs } from '../helpers/site.js'

// run() and post() in this process, with a fake toolkit: what the runner would see, read from memory.
const site = inProcessSite()
let sim: Simulator
let scratch: string
beforeAll(() => {
  sim = site.sim()
  scratch = site.scratch()
})

const inputs = (extra: Record<string, string>) => certificateInputs(sim, extra)

async function main(extra: Record<string, string>, cancel?: AbortSignal): Promise<FakeToolkit> {
  const toolkit = new FakeToolkit(inputs(extra))
  await run({ toolkit, clock: systemClock, cancel })
  return toolkit
}

/** Resolves once the step has saved an execution it started. */
async function started(toolkit: FakeToolkit): Promise<void> {
  for (let i = 0; i < 300 && !toolkit.state['execution-id']; i++) await new Promise(done => setTimeout(done, 50))
  expect(toolkit.state['execution-id']).toMatch(/^[0-9a-f-]{36}$/)
}

describe('run() in-process', () => {
  it('a reload that succeeds: outputs, log, summary, state; no annotation, not failed', async () => {
    const toolkit = await main({ 'task-id': IDS.ok })
    expect(toolkit.failed).toBe(false)
    expect(toolkit.annotations).toEqual([])
    expect(toolkit.outputs).toMatchObject({ status: 'FinishedSuccess', 'status-code': '7', 'task-id': IDS.ok, 'task-name': 'Reload Sales', 'app-id': IDS.appSales })
    expect(JSON.parse(toolkit.outputs.result)).toMatchObject({ status: 'FinishedSuccess', 'execution-id': toolkit.outputs['execution-id'] })
    expect(toolkit.log).toContain("Reload task 'Reload Sales' finished successfully.")
    expect(toolkit.groups).toEqual(expect.arrayContaining([expect.stringMatching(/^Connect to /), 'Start the reload', 'Result: FinishedSuccess']))
    expect(toolkit.summary).toMatch(/✅ Reload Sales: FinishedSuccess/)
    expect(toolkit.state).toMatchObject({ done: 'true', executions: '[]', starting: '[]', 'main-ended': 'true' })
  })

  it('a script failure: one error annotation with its title and the script error, failed, summary says why', async () => {
    const toolkit = await main({ 'task-id': IDS.fail })
    expect(toolkit.failed).toBe(true)
    expect(toolkit.errors()).toHaveLength(1)
    const [annotation] = toolkit.errors()
    expect(annotation.title).toBe('Qlik reload failed: Reload Finance (FinishedFail)')
    expect(annotation.message).toMatch(/^Reload task 'Reload Finance' ended with FinishedFail \(8\), not FinishedSuccess\./)
    expect(annotation.message).toContain(SCRIPT_ERROR)
    expect(toolkit.outputs).toMatchObject({ status: 'FinishedFail', 'status-code': '8' })
    expect(toolkit.outputs['script-log-path']).toContain(scratch)
    expect(toolkit.summary).toMatch(/❌ Reload Finance: FinishedFail/)
    expect(toolkit.summary).toContain('not FinishedSuccess')
  })

  it('a timeout: the task is stopped, the step fails saying so', async () => {
    const since = Date.now()
    const toolkit = await main({ 'task-id': IDS.slow, timeout: '2s' })
    expect(toolkit.failed).toBe(true)
    expect(toolkit.errors().map(a => a.message)).toEqual([
      // The stop told as every stop is (run/stop.ts), then what to change.
      expect.stringMatching(
        /^Timed out after 2s waiting for task 'Reload Everything' \(last status \w+ \(\d+\)\): stopped task 'Reload Everything' \(execution [0-9a-f-]{36}\), now Aborted \(6\)\. Raise 'timeout' if reloads of this app take longer\.$/
      )
    ])
    expect(sim.stops.filter(stop => stop.taskId === IDS.slow && stop.time >= since)).toHaveLength(1)
    expect(toolkit.state.done).toBe('true')
    expect(toolkit.summary).toMatch(/Timed out after 2s/)
  })

  it('a cancellation: our execution is stopped, the step fails saying so, nothing left for post', async () => {
    const cancel = new AbortController()
    const toolkit = new FakeToolkit(inputs({ 'task-id': IDS.slow }))
    const step = run({ toolkit, clock: systemClock, cancel: cancel.signal })
    await started(toolkit)
    const since = Date.now()
    cancel.abort()
    await step
    expect(toolkit.failed).toBe(true)
    expect(toolkit.errors().map(a => a.message)).toEqual([
      expect.stringMatching(/^The job was cancelled: stopped task 'Reload Everything' \(execution [0-9a-f-]{36}\), now Aborted/)
    ])
    expect(sim.stops.filter(stop => stop.taskId === IDS.slow && stop.time >= since)).toHaveLength(1)
    expect(toolkit.state.done).toBe('true')
  })

  it('several targets: one result array, an annotation per failure, failed', async () => {
    const toolkit = await main({ 'task-id': `${IDS.ok}\n${IDS.fail}` })
    expect(toolkit.failed).toBe(true)
    const result = JSON.parse(toolkit.outputs.result) as { target: string; success: boolean }[]
    expect(result.map(r => [r.target, r.success])).toEqual([
      ['Reload Sales', true],
      ['Reload Finance', false]
    ])
    expect(toolkit.errors().map(a => a.title)).toEqual(['Qlik reload failed: Reload Finance (FinishedFail)'])
    expect(toolkit.summary).toMatch(/❌ 1 of 2 Qlik Sense reloads failed/)
  })

  it('wait: false succeeds once the reload is started', async () => {
    const toolkit = await main({ 'task-id': IDS.ok, wait: 'false' })
    expect(toolkit.failed).toBe(false)
    expect(toolkit.outputs['execution-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(toolkit.log.some(line => line.startsWith('wait is false: not waiting for the reload'))).toBe(true)
  })

  it('bad input fails before any request, naming the input', async () => {
    const before = sim.requests.length
    const toolkit = new FakeToolkit({ 'auth-type': 'certificate', 'task-id': IDS.ok })
    await run({ toolkit, clock: systemClock })
    expect(toolkit.failed).toBe(true)
    expect(toolkit.errors()[0].message).toMatch(/^Input 'url': is required/)
    expect(toolkit.summary).toMatch(/Input &#39;url&#39;|Input 'url'/)
    expect(sim.requests.length).toBe(before)
  })
})

describe('post() in-process', () => {
  it('stops an execution main saved but did not end', async () => {
    const executionId = sim.startTask(IDS.slow)
    const toolkit = new FakeToolkit(inputs({ 'task-id': IDS.slow }))
    Object.assign(toolkit.state, { done: 'false', executions: JSON.stringify([{ taskId: IDS.slow, executionId }]) })
    const since = Date.now()
    await post({ toolkit, clock: systemClock })
    expect(toolkit.failed).toBe(false)
    expect(toolkit.annotations).toEqual([
      { level: 'warning', message: `The main step did not finish (cancelled or killed): stopped task ${IDS.slow} (execution ${executionId}), now Aborted (6).`, title: undefined }
    ])
    expect(sim.stops.filter(stop => stop.taskId === IDS.slow && stop.time >= since)).toHaveLength(1)
  })

  it('leaves an execution that has ended, and one the user said not to stop', async () => {
    const ended = new FakeToolkit(inputs({ 'task-id': IDS.ok }))
    Object.assign(ended.state, { executions: JSON.stringify([{ taskId: IDS.ok, executionId: '00000000-0000-4000-8000-00000000abcd' }]) })
    await post({ toolkit: ended, clock: systemClock })
    expect(ended.log).toContain(
      `The main step did not finish (cancelled or killed); execution 00000000-0000-4000-8000-00000000abcd had already ended: not stopping task ${IDS.ok} (another run of it may be going).`
    )

    const kept = new FakeToolkit(inputs({ 'task-id': IDS.ok, 'stop-on-cancel': 'false' }))
    Object.assign(kept.state, { 'task-id': IDS.ok, 'execution-id': 'e1' })
    await post({ toolkit: kept, clock: systemClock })
    expect(kept.annotations.map(a => a.message)).toEqual([`The main step did not finish; execution e1 of task ${IDS.ok} may still run (stop-on-cancel is false).`])
  })

  it('leaves a running execution of a main step that reached its end; stops only what main meant to stop and could not', async () => {
    const healthy = sim.startTask(IDS.slow)
    const toolkit = new FakeToolkit(inputs({ 'task-id': IDS.slow }))
    Object.assign(toolkit.state, {
      done: 'false',
      executions: JSON.stringify([{ taskId: IDS.slow, executionId: healthy }]),
      'main-ended': 'true',
      'stop-pending': '[]'
    })
    const since = Date.now()
    await post({ toolkit, clock: systemClock })
    expect(toolkit.log).toEqual([])
    expect(sim.stops.filter(stop => stop.time >= since)).toHaveLength(0)

    const pending = new FakeToolkit(inputs({ 'task-id': IDS.slow }))
    Object.assign(pending.state, { 'main-ended': 'true', 'stop-pending': JSON.stringify([{ taskId: IDS.slow, executionId: healthy }]) })
    await post({ toolkit: pending, clock: systemClock })
    expect(pending.annotations.map(a => a.message)).toEqual([`The main step could not stop it: stopped task ${IDS.slow} (execution ${healthy}), now Aborted (6).`])
    expect(sim.stops.filter(stop => stop.time >= since).map(stop => stop.executionIds)).toEqual([[healthy]])
  })

  it('a start main sent without knowing what it started: the execution of that task that appeared since, run by our user, is stopped', async () => {
    const ours = sim.startTask(IDS.slow, { userDirectory: 'INTERNAL', userId: 'sa_api' })
    const toolkit = new FakeToolkit(inputs({ 'task-id': IDS.slow }))
    const record = { taskId: IDS.slow, name: 'Reload Everything', at: '2026-03-01T10:00:00.000Z', user: 'INTERNAL\\sa_api', before: [] }
    Object.assign(toolkit.state, { done: 'false', executions: '[]', starting: JSON.stringify([record]) })
    const since = Date.now()
    await post({ toolkit, clock: systemClock })
    expect(toolkit.annotations.map(a => a.message)).toEqual([
      `The main step did not finish (cancelled or killed) during the start of task 'Reload Everything' (sent at 2026-03-01T10:00:00.000Z): stopped task 'Reload Everything' (execution ${ours}), now Aborted (6).`
    ])
    expect(sim.stops.filter(stop => stop.time >= since).map(stop => stop.executionIds)).toEqual([[ours]])
  })

  it('a start main sent that started nothing of ours: looks, says so, stops nothing (what ran before it, another user’s run); an app reload the same way', async () => {
    const before = sim.startTask(IDS.slow, { userDirectory: 'INTERNAL', userId: 'sa_api' })
    const theirs = sim.startTask(IDS.slow)
    const toolkit = new FakeToolkit(inputs({ 'task-id': IDS.slow }))
    const record = { taskId: IDS.slow, name: 'Reload Everything', at: '2026-03-01T10:00:00.000Z', user: 'INTERNAL\\sa_api', before: [before] }
    Object.assign(toolkit.state, { 'main-ended': 'true', 'start-pending': JSON.stringify([record, { ...record, taskId: undefined, appId: IDS.appSales, name: 'Sales' }]) })
    const since = Date.now()
    await post({ toolkit, clock: systemClock })
    expect(toolkit.log.filter(line => line.startsWith('The main step'))).toEqual([
      "The main step was cancelled during the start of task 'Reload Everything' (sent at 2026-03-01T10:00:00.000Z); no running execution of it by INTERNAL\\sa_api had appeared 15s later. If one runs, stop it in the QMC.",
      "The main step was cancelled during the start of app 'Sales' (sent at 2026-03-01T10:00:00.000Z); no running execution of it by INTERNAL\\sa_api had appeared 15s later. If one runs, stop it in the QMC."
    ])
    expect(toolkit.annotations).toEqual([])
    expect(sim.stops.filter(stop => stop.time >= since)).toEqual([])
    expect(sim.state.sessions.filter(s => s.active).map(s => s.id)).toEqual(expect.arrayContaining([before, theirs]))
  }, 60_000)

  it('does nothing when main said it was done', async () => {
    const toolkit = new FakeToolkit({})
    Object.assign(toolkit.state, { done: 'true', executions: '[{"taskId":"t","executionId":"e"}]' })
    await post({ toolkit, clock: systemClock })
    expect(toolkit.log).toEqual([])
    expect(toolkit.annotations).toEqual([])
  })
})
