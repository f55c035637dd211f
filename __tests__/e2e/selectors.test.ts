import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { runAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { certificateInputs } from '../helpers/site.js'
import { APP, T, selectorsSite } from '../helpers/selectors-site.js'

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ scenario: selectorsSite(), certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())

const run = (inputs: Record<string, string>) => runAction(certificateInputs(sim, inputs), { timeoutMs: 60_000 })
const lines = (...list: string[]) => list.join('\n')
const errors = (stdout: string) => stdout.split('\n').filter(line => line.startsWith('::error'))
type Entry = Record<string, unknown>
const entries = (outputs: Record<string, string>) => JSON.parse(outputs.result) as Entry[]
const filters = (path: string) => sim.requests.filter(r => r.path === path).map(r => new URLSearchParams(r.query).get('filter'))
const KEYS = [
  'target',
  'task-id',
  'task-name',
  'app-id',
  'app-name',
  'stream',
  'status',
  'status-code',
  'execution-id',
  'execution-result-id',
  'started-at',
  'stopped-at',
  'duration-ms',
  'node',
  'attempts',
  'details',
  'success',
  'error',
  'script-log-path',
  'planned-action',
  'may-start',
  'reload-mode',
  'partial',
  'tables'
]

describe('targets by tag and custom property', () => {
  it('one tag: every task that carries it, by name, with the filter sent to the QRS', async () => {
    const starts = [sim.startCount(T(1)), sim.startCount(T(2))]
    const result = await run({ 'task-tag': 'nightly finance' })
    expect(errors(result.stdout)).toEqual([])
    expect(result.code).toBe(0)
    const list = entries(result.outputs)
    expect(list.map(e => [e['task-name'], e['task-id'], e.status])).toEqual([
      ['Finance nightly 1', T(1), 'FinishedSuccess'],
      ['Finance nightly 2', T(2), 'FinishedSuccess']
    ])
    for (const entry of list) expect(Object.keys(entry)).toEqual(KEYS)
    expect([sim.startCount(T(1)), sim.startCount(T(2))]).toEqual([starts[0] + 1, starts[1] + 1])
    expect(filters('/qrs/reloadtask/full')).toContain("tags.name eq 'nightly finance'")
    expect(filters('/qrs/externalprogramtask/full')).toContain("tags.name eq 'nightly finance'")
    expect((result.summary.match(/<tr>/g) ?? []).length).toBe(3)
  }, 60_000)

  it('two tags: the union, each task once, an external program task included', async () => {
    const before = sim.startCount(T(2))
    const result = await run({ 'task-tag': lines('Nightly Finance', 'Weekly') })
    expect(result.code).toBe(0)
    expect(entries(result.outputs).map(e => e['task-name'])).toEqual(['Finance nightly 1', 'Finance nightly 2', 'Weekly cleanup'])
    expect(sim.startCount(T(2))).toBe(before + 1)
  }, 60_000)

  it('tags combine with task-name: the named ones first, a task selected twice runs once', async () => {
    const result = await run({ 'task-name': 'Finance nightly 2', 'task-tag': 'Nightly Finance' })
    expect(result.code).toBe(0)
    expect(entries(result.outputs).map(e => e['task-name'])).toEqual(['Finance nightly 2', 'Finance nightly 1'])
  }, 60_000)

  it('custom property: the task whose property has the value, not the decoy whose other property has it', async () => {
    const decoy = sim.startCount(T(4))
    const result = await run({ 'task-custom-property': 'ReloadGroup=Finance' })
    expect(errors(result.stdout)).toEqual([])
    expect(result.code).toBe(0)
    expect(entries(result.outputs).map(e => e['task-name'])).toEqual(['Finance nightly 1'])
    expect(sim.startCount(T(4))).toBe(decoy)
    expect(filters('/qrs/reloadtask/full')).toContain("customProperties.definition.name eq 'ReloadGroup' and customProperties.value eq 'Finance'")
  }, 60_000)

  it('a selector that matches nothing fails naming itself, and nothing starts (not even the valid targets)', async () => {
    const before = sim.startCount()
    const result = await run({ 'task-name': 'Finance nightly 1', 'task-tag': 'Nightly Sales' })
    expect(result.code).toBe(1)
    expect(errors(result.stdout).join('\n')).toMatch(/No task has the tag 'Nightly Sales' \(the tag exists, but no reload or external program task/)
    expect(sim.startCount()).toBe(before)
    const typo = await run({ 'task-tag': 'Nightly Fiance' })
    expect(errors(typo.stdout).join('\n')).toMatch(/No task has the tag 'Nightly Fiance' \(no tag of that name exists/)
    const property = await run({ 'task-custom-property': 'ReloadGroup=Marketing' })
    expect(errors(property.stdout).join('\n')).toMatch(/No task has the custom property 'ReloadGroup' = 'Marketing'/)
    expect(sim.startCount()).toBe(before)
  }, 60_000)

  it('max-targets: a larger selection fails before anything starts, naming how many matched and by what', async () => {
    const before = sim.startCount()
    const result = await run({ 'task-tag': lines('Nightly Finance', 'Weekly'), 'task-name': 'Decoy', 'max-targets': '2' })
    expect(result.code).toBe(1)
    expect(errors(result.stdout).join('\n')).toMatch(
      /The selection has 4 targets, more than max-targets \(2\): 1 named \(task-name\), task-tag 'Nightly Finance' matched 2, task-tag 'Weekly' matched 2\. Nothing was started/
    )
    expect(sim.startCount()).toBe(before)
    const list = entries(result.outputs)
    expect(list.map(e => [e['task-name'], e.status])).toEqual([
      ['Decoy', 'NotStarted'],
      ['Finance nightly 1', 'NotStarted'],
      ['Finance nightly 2', 'NotStarted'],
      ['Weekly cleanup', 'NotStarted']
    ])
    for (const entry of list) expect(Object.keys(entry)).toEqual(KEYS)
    expect((result.summary.match(/<tr>/g) ?? []).length).toBe(5)
    expect(result.summary).toContain('more than max-targets (2)')
  }, 60_000)
})

describe('apps by name', () => {
  it('with stream: the app published there', async () => {
    const result = await run({ 'app-name': 'Budget', stream: 'Sales' })
    expect(errors(result.stdout)).toEqual([])
    expect(result.code).toBe(0)
    expect(result.outputs).toMatchObject({ 'app-id': APP.budgetSales, status: 'FinishedSuccess', 'task-name': 'Manually triggered reload of Budget' })
    expect(JSON.parse(result.outputs.result)).toMatchObject({ 'app-id': APP.budgetSales, 'app-name': 'Budget', stream: 'Sales', status: 'FinishedSuccess' })
  }, 60_000)

  it('without stream, a name in two streams and a work area fails listing each match, and nothing starts', async () => {
    const before = sim.startCount()
    const reloads = sim.requests.filter(r => r.method === 'POST').length
    const result = await run({ 'app-name': 'Budget' })
    expect(result.code).toBe(1)
    const error = errors(result.stdout).join('\n')
    expect(error).toContain("The app name 'Budget' matches 3 apps")
    expect(error).toContain(`${APP.budgetFinance} (stream 'Finance', owner INTERNAL\\sa_repository)`)
    expect(error).toContain(`${APP.budgetSales} (stream 'Sales', owner INTERNAL\\sa_repository)`)
    expect(error).toContain(`${APP.budgetDraft} (not published (a work area), owner CORP\\jdoe)`)
    expect(error).toMatch(/Set stream to pick the published one, or use app-id/)
    expect(sim.startCount()).toBe(before)
    expect(sim.requests.filter(r => r.method === 'POST').length).toBe(reloads)
    expect(JSON.parse(result.outputs.result)).toMatchObject({ 'app-name': 'Budget', 'app-id': null, status: 'NotStarted' })
  }, 60_000)

  it('stream without app-name is an input error', async () => {
    const result = await run({ 'task-name': 'Decoy', stream: 'Sales' })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain("::error::Input 'stream': only applies to app-name")
  })
})

describe('dry run', () => {
  it('resolves and checks every target, prints the plan, starts and stops nothing: exit 0', async () => {
    const starts = sim.startCount()
    const stops = sim.stopCount()
    const posts = sim.requests.filter(r => r.method === 'POST').length
    const result = await run({ 'task-tag': 'Nightly Finance', 'app-name': 'Forecast', 'dry-run': 'true' })
    expect(errors(result.stdout)).toEqual([])
    expect(result.code).toBe(0)
    expect([sim.startCount(), sim.stopCount(), sim.requests.filter(r => r.method === 'POST').length]).toEqual([starts, stops, posts])
    expect(result.stdout).toMatch(/Target +Id +Stream +Selected by +Enabled +Running +May start +Plan/)
    expect(result.stdout).toMatch(/Finance nightly 1 +e7000000-0000-4000-8000-000000000001 +— +task-tag 'Nightly Finance' +yes +no +yes +start/)
    expect(result.stdout).toContain('Dry run: all 3 targets would start. Nothing was started.')
    const list = entries(result.outputs)
    expect(list.map(e => [e['task-name'] ?? e['app-name'], e.status, e['planned-action'], e['may-start']])).toEqual([
      ['Forecast', 'DryRun', 'reload the app (Reload now)', true],
      ['Finance nightly 1', 'DryRun', 'start', true],
      ['Finance nightly 2', 'DryRun', 'start', true]
    ])
    for (const entry of list) expect(Object.keys(entry)).toEqual(KEYS)
    expect(result.summary).toMatch(/<h3>✅ Dry run: all 3 targets would start/)
    expect(result.summary).toMatch(/<td align="left">Finance nightly 2<\/td><td align="left">e7000000-0000-4000-8000-000000000002<\/td>/)
    expect(result.summary).toContain(`<td align="left">app 'Forecast'</td><td align="left">${APP.forecast}</td><td align="left">Sales</td>`)
    // The privileges were asked for.
    expect(sim.requests.some(r => r.path === '/qrs/reloadtask/full' && new URLSearchParams(r.query).get('privileges') === 'true')).toBe(true)
  }, 60_000)

  it('a disabled task, a running task with if-running fail and a task the user may not start: exit 1 naming each', async () => {
    const running = sim.startTask(T(7))
    const starts = sim.startCount()
    const result = await run({ 'task-name': lines('Disabled nightly', 'Long task', 'Locked task', 'Decoy'), 'dry-run': 'true', 'if-running': 'fail' })
    expect(result.code).toBe(1)
    expect(sim.startCount()).toBe(starts)
    const error = errors(result.stdout).join('\n')
    expect(error).toMatch(/Dry run: 3 of 4 targets would not start\. Nothing was started\./)
    expect(error).toContain('- Disabled nightly: the task is disabled')
    expect(error).toContain(`- Long task: it is already running (execution ${running}) and if-running is 'fail'`)
    expect(error).toContain('- Locked task: the signed-in user may not start it')
    expect(error).not.toContain('- Decoy')
    const list = entries(result.outputs)
    expect(list.map(e => [e['task-name'], e.status, e.success, e['may-start']])).toEqual([
      ['Disabled nightly', 'DryRun', false, true],
      ['Long task', 'DryRun', false, true],
      ['Locked task', 'DryRun', false, false],
      ['Decoy', 'DryRun', true, true]
    ])
    expect(result.summary).toMatch(/<h3>❌ Dry run: 3 of 4 targets would not start/)
    // if-running: wait plans to wait for that execution.
    const wait = await run({ 'task-name': 'Long task', 'dry-run': 'true' })
    expect(wait.code).toBe(0)
    expect(JSON.parse(wait.outputs.result)).toMatchObject({ 'planned-action': `wait for execution ${running} to end, then start`, status: 'DryRun' })
  }, 60_000)

  it('a server that does not answer privileges: "not known", and that does not block the plan', async () => {
    sim.switches.privileges = 'omitted'
    try {
      const result = await run({ 'task-name': 'Locked task', 'dry-run': 'true' })
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(/Locked task +e7000000-0000-4000-8000-000000000006 +— +task-name +yes +no +not known +start/)
      expect(JSON.parse(result.outputs.result)).toMatchObject({ 'may-start': null, status: 'DryRun', success: true })
    } finally {
      sim.switches.privileges = 'answered'
    }
  }, 60_000)
})
