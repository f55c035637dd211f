/**
 * Issue 20, items 2 and 4: a cancel during the start stops what the start started, and the post step
 * never starts anything. Main runs as the runner runs it, is cancelled (SIGINT) at the moment in
 * question, then the post step runs with main's state, the way the runner starts it.
 *
 * Decision (item 4): the post step has an entry of its own, as google-github-actions/auth does:
 * action.yml `runs.post: dist/post/index.js`, built by ncc from `src/post-entry.ts` (npm run bundle
 * builds both; __tests__/setup/bundle.ts builds it when the file exists). The post entry only ever
 * stops executions main saved; with no state it does nothing and sends no request.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { existsSync } from 'node:fs'
import { BUNDLE, postBundle, runAction, startAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { IDS, certificateInputs, testSite } from '../helpers/site.js'

const LONG_APP = 'c3000000-0000-4000-8000-000000000001'

let sim: Simulator
beforeAll(async () => {
  const scenario = testSite()
  scenario.apps!.push({ id: LONG_APP, name: 'Long App', reloadRuns: [{ attempts: [{ outcome: 7, durationMs: 60_000 }] }] })
  sim = await startSimulator({ scenario, certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())

const sleep = (ms: number) => new Promise(done => setTimeout(done, ms))

async function until<T>(probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  for (const end = Date.now() + timeoutMs; ; await sleep(20)) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > end) throw new Error('condition not met in time')
  }
}

/** Sessions of a task created from now on. */
function newSessions(taskId: () => string | undefined) {
  const known = new Set(sim.state.sessions.map(s => s.id))
  return () => sim.state.sessions.filter(s => !known.has(s.id) && s.taskId === taskId())
}

/** The final status the server has for an execution (0 while it has none). */
const finalStatus = (executionId: string): number => sim.state.results.filter(r => r.executionID === executionId).at(-1)?.status ?? 0

describe('item 2: a cancel during the start stops what the start started', () => {
  it('a start answered after 5 s, SIGINT 1.5 s after it went out: main or the post step stops that execution', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'POST', path: `/qrs/task/${IDS.slow}/start/synchronous`, action: { kind: 'delay', ms: 5_000 } })
    const inputs = certificateInputs(sim, { 'task-id': IDS.slow })
    const started = newSessions(() => IDS.slow)
    const stopsBefore = sim.stops.length
    const step = startAction(inputs)
    // The start went out (the server has handled it: its execution exists); the answer is 5 s away.
    const [execution] = await until(() => (started().length > 0 ? started() : undefined))
    await sleep(1_500)
    step.child.kill('SIGINT')
    const main = await step.done
    const post = await runAction(inputs, { state: main.state })
    expect(post.code).toBe(0)
    // Exactly one start, and its execution stopped, by main or by the post step.
    expect(started()).toHaveLength(1)
    expect(sim.stops.slice(stopsBefore)).toEqual([expect.objectContaining({ taskId: IDS.slow, aborted: true, executionIds: [execution.id] })])
    await until(() => (finalStatus(execution.id) === 6 ? true : undefined), 5_000)
    // The step says what happened to it.
    expect(main.code).toBe(1)
    expect(main.stdout).toContain(execution.id)
    expect(main.stdout).not.toMatch(/cancelled before a reload was started/)
  }, 60_000)

  it('an app reload, SIGINT 200 ms after POST /qrs/app/{id}/reload answered 204: its execution is stopped', async () => {
    sim.faults.clear()
    const inputs = certificateInputs(sim, { 'app-id': LONG_APP })
    const appTask = () => sim.state.apps.find(a => a.id === LONG_APP)?.manualTaskId
    const started = newSessions(appTask)
    const since = Date.now()
    const stopsBefore = sim.stops.length
    const step = startAction(inputs)
    await until(() => sim.requests.find(r => r.time >= since && r.method === 'POST' && r.path === `/qrs/app/${LONG_APP}/reload` && r.status === 204))
    await sleep(200)
    step.child.kill('SIGINT')
    const main = await step.done
    const post = await runAction(inputs, { state: main.state })
    expect(post.code).toBe(0)
    const [execution] = started()
    expect(started()).toHaveLength(1)
    expect(sim.stops.slice(stopsBefore)).toEqual([expect.objectContaining({ taskId: appTask(), aborted: true, executionIds: [execution.id] })])
    await until(() => (finalStatus(execution.id) === 6 ? true : undefined), 5_000)
    expect(main.stdout).toContain(execution.id)
    expect(main.stdout).not.toMatch(/cancelled before a reload was started/)
  }, 60_000)
})

describe('item 4: the post step never starts anything', () => {
  it.each([50, 100, 150, 200])('SIGINT %i ms after main started: the post entry starts nothing and sends nothing', async delay => {
    sim.faults.clear()
    const inputs = certificateInputs(sim, { 'task-id': IDS.ok })
    const starts = sim.startCount()
    const step = startAction(inputs)
    await sleep(delay)
    step.child.kill('SIGINT')
    const main = await step.done
    // Whatever main got to (usually nothing), the post step runs as the runner runs it.
    const mainStarts = sim.startCount() - starts
    const requests = sim.requests.length
    const post = await runAction(inputs, { state: main.state })
    expect({ mainStarts, postStarts: sim.startCount() - starts - mainStarts }).toEqual({ mainStarts, postStarts: 0 })
    if (mainStarts === 0) expect(sim.requests.slice(requests)).toEqual([])
    expect(post.code).toBe(0)
  })

  it('action.yml gives the post step an entry of its own, and the bundle has it', () => {
    expect(postBundle()).not.toBe(BUNDLE)
    expect(existsSync(postBundle())).toBe(true)
  })
})
