/**
 * Issue 20, item 9: the server's answers are checked at the door.
 *
 * Decisions:
 * - Each answer the action reads is checked where it enters, for the fields the action uses (extra
 *   fields ignored): an answer whose used fields have the wrong type is "unexpected". The step then
 *   fails with a message that says so (`... answered something unexpected: <field> ...`), never with a
 *   TypeError or RangeError; outside the wait at once (nothing is started on an unexpected lookup),
 *   inside the wait it is ridden out for 20 s (a running reload does not lose its step to one bad answer),
 *   then it fails the step, whatever the timeout (the default, an hour, here).
 * - Every cell of the job summary is escaped, numbers included.
 * - No identity the server echoes is trusted: a task looked up by id must have that id (a proxy that
 *   drops `filter` answers every task), a task looked up by name that name.
 * - The engine's answers too (engine mode and expect-rows): OpenDoc's Doc, DoReloadEx's qResult,
 *   GetProgress's qProgressData, GetTablesAndKeys's tables are checked where they enter ("the engine
 *   answered something unexpected to ..."); a WebSocket message that is not JSON-RPC closes the
 *   session with a clear error instead of ending the process.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { HtmlRenderer, Parser } from 'commonmark'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { runAction, type ActionRun } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { IDS, certificateInputs, testSite } from '../helpers/site.js'

const HTML = '<img src=x onerror=alert(1)><a href="https://evil.example/">PWNED</a>'
const UNEXPECTED = /answered something unexpected/i

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ scenario: testSite(), certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())

const errors = (stdout: string): string =>
  stdout
    .split('\n')
    .filter(line => line.startsWith('::error'))
    .join('\n')
/** The lines of a run's output that match `pattern` (a JavaScript error's name, say). */
const linesMatching = (run: ActionRun, pattern: RegExp): string[] => `${run.stdout}\n${run.stderr}`.split('\n').filter(line => pattern.test(line))

/** The job summary as GitHub renders it: no element from server text. */
function renderedSummary(run: ActionRun): string {
  return new HtmlRenderer().render(new Parser().parse(run.summary))
}

describe('item 9: answers are checked where they enter', () => {
  it('a status that is a string holding HTML: a clear failure, and the summary shows it as text', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'GET', path: '/qrs/executionresult/full', times: Infinity, action: { kind: 'rewrite', set: { status: HTML } } })
    const started = Date.now()
    const run = await runAction(certificateInputs(sim, { 'task-id': IDS.ok }), { timeoutMs: 45_000 })
    expect(Date.now() - started).toBeLessThan(40_000)
    expect(run.code).toBe(1)
    expect(renderedSummary(run)).not.toMatch(/<img|<a\s/i)
    expect(run.outputs.status ?? '').not.toContain('<')
    expect(errors(run.stdout)).toMatch(UNEXPECTED)
  }, 60_000)

  it('a details[].message that is not a string: a clear failure, no TypeError', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'GET', path: '/qrs/executionresult/full', times: Infinity, action: { kind: 'rewrite', set: { 'details.message': { text: 42 } } } })
    const run = await runAction(certificateInputs(sim, { 'task-id': IDS.fail }), { timeoutMs: 45_000 })
    expect(run.code).toBe(1)
    expect(linesMatching(run, /TypeError|is not a function/)).toEqual([])
    expect(errors(run.stdout)).toMatch(UNEXPECTED)
  }, 60_000)

  it('a task name nested 5,000 deep: a clear failure before anything starts, no RangeError', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'GET', path: '/qrs/reloadtask/full', times: Infinity, action: { kind: 'rewrite', set: { name: { $nested: 5_000 } } } })
    const starts = sim.startCount()
    const run = await runAction(certificateInputs(sim, { 'task-id': IDS.ok }))
    expect(sim.startCount()).toBe(starts)
    expect(run.code).toBe(1)
    expect(linesMatching(run, /RangeError|Maximum call stack/)).toEqual([])
    expect(errors(run.stdout)).toMatch(UNEXPECTED)
  })

  it('a proxy that drops filter: the lookup by id answers every task, and no other task is started', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'GET', path: /^\/qrs\/(reloadtask|externalprogramtask)\/full$/, times: Infinity, action: { kind: 'drop-query', params: ['filter'] } })
    const others = () => sim.startCount() - sim.startCount(IDS.fail)
    const before = others()
    const run = await runAction(certificateInputs(sim, { 'task-id': IDS.fail }))
    expect(sim.faults.applied().length).toBeGreaterThan(0)
    expect(others()).toBe(before)
    // Either it found the task it was asked for in the whole list, or it failed saying the answer was wrong.
    if (run.outputs['task-id']) expect(run.outputs['task-id']).toBe(IDS.fail)
    else expect(errors(run.stdout)).toMatch(UNEXPECTED)
  })
})

describe('item 9 in engine mode: the engine answers are checked where they enter', () => {
  const engine = (extra: Record<string, string>) => certificateInputs(sim, { 'reload-mode': 'engine', 'engine-url': sim.engineUrl, 'app-id': IDS.appSales, ...extra })
  const saves = (since: number) => sim.engine.saves.filter(save => save.time >= since)

  it('a table name holding HTML: shown as text in the summary', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'GetTablesAndKeys', path: `/app/${IDS.appSales}`, times: Infinity, action: { kind: 'rewrite', set: { 'qtr.qName': HTML } } })
    const run = await runAction(engine({ 'expect-rows': '* > 0' }))
    expect(run.code).toBe(0)
    expect(run.summary).toContain('PWNED')
    expect(renderedSummary(run)).not.toMatch(/<img|<a\s/i)
  })

  it('a row count that is a string holding HTML: a clear failure, no TypeError, nothing saved, the summary shows no element', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'GetTablesAndKeys', path: `/app/${IDS.appSales}`, after: 1, times: Infinity, action: { kind: 'rewrite', set: { 'qtr.qNoOfRows': HTML } } })
    const since = Date.now()
    const run = await runAction(engine({ 'expect-rows': '* > 0' }))
    expect(run.code).toBe(1)
    expect(errors(run.stdout)).toMatch(/The engine answered something unexpected to GetTablesAndKeys of app 'Sales': qtr\[0\]\.qNoOfRows is a string/)
    expect(linesMatching(run, /TypeError|is not a function/)).toEqual([])
    expect(renderedSummary(run)).not.toMatch(/<img|<a\s/i)
    expect(saves(since)).toEqual([])
  })

  it('a WebSocket message that is not JSON: the session is closed with a clear error; the process ends as it should', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'GetProgress', path: `/app/${IDS.appSales}`, action: { kind: 'html' } })
    const since = Date.now()
    const run = await runAction(engine({}))
    expect(run.code).toBe(1)
    expect(errors(run.stdout)).toMatch(/The engine sent something unexpected on the session of app 'Sales' while GetProgress waited: a message that is not JSON/)
    expect(linesMatching(run, /SyntaxError|Unexpected token|TypeError/)).toEqual([])
    expect(run.outputs.result).toBeDefined()
    expect(saves(since)).toEqual([])
  })
})
