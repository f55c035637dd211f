import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../src/main.js'
import { systemClock } from '../../src/util/clock.js'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { testCertificates } from '../helpers/certs.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'
import { APP, T, selectorsSite } from '../helpers/selectors-site.js'
import { certificateInputs } from '../helpers/site.js'

// run() in this process with a fake toolkit: the target selection (tags, custom properties, apps by
// name, max-targets) and the dry run. __tests__/e2e/selectors.test.ts runs the same through the bundle.
let sim: Simulator
let scratch: string
beforeAll(async () => {
  sim = await startSimulator({ scenario: selectorsSite(), certsDir: testCertificates().dir, quiet: true })
  scratch = mkdtempSync(join(tmpdir(), 'targets-'))
  process.env.RUNNER_TEMP = scratch
})
afterAll(async () => {
  await sim?.close()
  rmSync(scratch, { recursive: true, force: true })
  delete process.env.RUNNER_TEMP
})

async function main(inputs: Record<string, string>): Promise<FakeToolkit> {
  const toolkit = new FakeToolkit(certificateInputs(sim, { 'max-poll-interval': '1s', ...inputs }))
  await run({ toolkit, clock: systemClock })
  return toolkit
}

type Entry = Record<string, unknown>
const entries = (toolkit: FakeToolkit) => JSON.parse(toolkit.outputs.result) as Entry[]
const errorText = (toolkit: FakeToolkit) =>
  toolkit
    .errors()
    .map(e => e.message)
    .join('\n')
const lines = (...list: string[]) => list.join('\n')

describe('targets by tag and custom property, in process', () => {
  it('two tags: the union by name, an external program task included, each started once', async () => {
    const before = [T(1), T(2), T(3)].map(id => sim.startCount(id))
    const toolkit = await main({ 'task-tag': lines('Nightly Finance', 'Weekly') })
    expect(toolkit.errors()).toEqual([])
    expect(toolkit.failed).toBe(false)
    expect(entries(toolkit).map(e => [e['task-name'], e.status])).toEqual([
      ['Finance nightly 1', 'FinishedSuccess'],
      ['Finance nightly 2', 'FinishedSuccess'],
      ['Weekly cleanup', 'FinishedSuccess']
    ])
    expect([T(1), T(2), T(3)].map(id => sim.startCount(id))).toEqual(before.map(n => n + 1))
  })

  it('custom property: the task whose property has the value, not the decoy', async () => {
    const decoy = sim.startCount(T(4))
    const toolkit = await main({ 'task-custom-property': 'ReloadGroup=Finance' })
    expect(toolkit.errors()).toEqual([])
    expect(entries(toolkit).map(e => e['task-name'])).toEqual(['Finance nightly 1'])
    expect(sim.startCount(T(4))).toBe(decoy)
  })

  it('a selector that matches nothing fails naming itself, and nothing starts', async () => {
    const before = sim.startCount()
    const tag = await main({ 'task-name': 'Finance nightly 1', 'task-tag': 'Nightly Sales' })
    expect(tag.failed).toBe(true)
    expect(errorText(tag)).toMatch(/No task has the tag 'Nightly Sales' \(the tag exists/)
    const property = await main({ 'task-custom-property': 'ReloadGroup=Marketing' })
    expect(errorText(property)).toMatch(/No task has the custom property 'ReloadGroup' = 'Marketing'/)
    expect(sim.startCount()).toBe(before)
  })

  it('max-targets: a larger selection fails before anything starts, every target listed as not started', async () => {
    const before = sim.startCount()
    const toolkit = await main({ 'task-tag': lines('Nightly Finance', 'Weekly'), 'task-name': 'Decoy', 'max-targets': '2' })
    expect(toolkit.failed).toBe(true)
    expect(errorText(toolkit)).toMatch(/The selection has 4 targets, more than max-targets \(2\)/)
    expect(entries(toolkit).map(e => [e['task-name'], e.status])).toEqual([
      ['Decoy', 'NotStarted'],
      ['Finance nightly 1', 'NotStarted'],
      ['Finance nightly 2', 'NotStarted'],
      ['Weekly cleanup', 'NotStarted']
    ])
    expect(toolkit.summary).toContain('more than max-targets (2)')
    expect(sim.startCount()).toBe(before)
  })
})

describe('apps by name, in process', () => {
  it('with stream: the app published there', async () => {
    const toolkit = await main({ 'app-name': 'Budget', stream: 'Sales' })
    expect(toolkit.errors()).toEqual([])
    expect(toolkit.outputs).toMatchObject({ 'app-id': APP.budgetSales, status: 'FinishedSuccess' })
  })

  it('without stream, a name in two streams and a work area fails listing each match', async () => {
    const before = sim.startCount()
    const toolkit = await main({ 'app-name': 'Budget' })
    expect(toolkit.failed).toBe(true)
    const error = errorText(toolkit)
    expect(error).toContain("The app name 'Budget' matches 3 apps")
    expect(error).toContain(`${APP.budgetDraft} (not published (a work area), owner CORP\\jdoe)`)
    expect(sim.startCount()).toBe(before)
    expect(JSON.parse(toolkit.outputs.result)).toMatchObject({ 'app-name': 'Budget', 'app-id': null, status: 'NotStarted' })
  })

  it('an app name that matches nothing fails naming it', async () => {
    const toolkit = await main({ 'app-name': 'Nonexistent app' })
    expect(toolkit.failed).toBe(true)
    expect(errorText(toolkit)).toMatch(/Nonexistent app/)
  })
})

describe('dry run, in process', () => {
  it('plans every target, starts and stops nothing, and succeeds', async () => {
    const counts = () => [sim.startCount(), sim.stopCount(), sim.requests.filter(r => r.method === 'POST').length]
    const before = counts()
    const toolkit = await main({ 'task-tag': 'Nightly Finance', 'app-name': 'Forecast', 'dry-run': 'true' })
    expect(toolkit.errors()).toEqual([])
    expect(toolkit.failed).toBe(false)
    expect(counts()).toEqual(before)
    expect(toolkit.log.join('\n')).toContain('Dry run: all 3 targets would start. Nothing was started.')
    expect(entries(toolkit).map(e => [e['task-name'] ?? e['app-name'], e['planned-action'], e['may-start']])).toEqual([
      ['Forecast', 'reload the app (Reload now)', true],
      ['Finance nightly 1', 'start', true],
      ['Finance nightly 2', 'start', true]
    ])
    expect(toolkit.summary).toMatch(/Dry run: all 3 targets would start/)
  })

  it('a disabled, a running (if-running fail) and a locked task fail the plan, naming each', async () => {
    const running = sim.startTask(T(7))
    const starts = sim.startCount()
    const toolkit = await main({ 'task-name': lines('Disabled nightly', 'Long task', 'Locked task', 'Decoy'), 'dry-run': 'true', 'if-running': 'fail' })
    expect(toolkit.failed).toBe(true)
    expect(sim.startCount()).toBe(starts)
    const error = errorText(toolkit)
    expect(error).toMatch(/Dry run: 3 of 4 targets would not start\. Nothing was started\./)
    expect(error).toContain('- Disabled nightly: the task is disabled')
    expect(error).toContain(`- Long task: it is already running (execution ${running}) and if-running is 'fail'`)
    expect(error).toContain('- Locked task: the signed-in user may not start it')
    const wait = await main({ 'task-name': 'Long task', 'dry-run': 'true' })
    expect(wait.failed).toBe(false)
    expect(JSON.parse(wait.outputs.result)).toMatchObject({ 'planned-action': `wait for execution ${running} to end, then start` })
    const id = await main({ 'task-id': T(6), 'dry-run': 'true' })
    expect(JSON.parse(id.outputs.result)).toMatchObject({ 'task-name': 'Locked task', 'may-start': false })
    const gone = await main({ 'task-id': T(99), 'dry-run': 'true' })
    expect(gone.failed).toBe(true)
  })

  it('a server that does not answer privileges: "not known", and that does not block the plan', async () => {
    sim.switches.privileges = 'omitted'
    try {
      const toolkit = await main({ 'task-name': 'Locked task', 'dry-run': 'true' })
      expect(toolkit.failed).toBe(false)
      expect(JSON.parse(toolkit.outputs.result)).toMatchObject({ 'may-start': null, status: 'DryRun', success: true })
    } finally {
      sim.switches.privileges = 'answered'
    }
  })
})
