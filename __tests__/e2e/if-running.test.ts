import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { runAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { IDS, certificateInputs, testSite } from '../helpers/site.js'

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ scenario: testSite(), certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())

const run = (extra: Record<string, string>) => runAction(certificateInputs(sim, { 'task-id': IDS.long, ...extra }))

/** Someone else (a schedule, a QMC user) starts the task; resolves once its run has ended. */
async function runningElsewhere(): Promise<{ executionId: string; ended: () => boolean }> {
  const executionId = sim.startTask(IDS.long)
  const ended = () => !sim.state.sessions.some(s => s.id === executionId && s.active)
  return { executionId, ended }
}

describe('if-running', () => {
  it('wait (default): waits for the running execution, then starts a fresh one', async () => {
    const other = await runningElsewhere()
    const starts = sim.startCount(IDS.long)
    const result = await run({})
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/already running \(execution [0-9a-f-]{36}\): waiting for it to end, then starting a fresh reload/)
    expect(result.outputs['execution-id']).not.toBe(other.executionId)
    expect(other.ended()).toBe(true)
    expect(sim.startCount(IDS.long)).toBe(starts + 1)
    // Our execution started after the other one ended.
    const theirs = sim.state.results.filter(r => r.executionID === other.executionId).at(-1)!
    expect(Date.parse(result.outputs['started-at'])).toBeGreaterThanOrEqual(Date.parse(theirs.stopTime))
  }, 30_000)

  it('wait: the timeout counts from the target start, the wait for the running execution included', async () => {
    // Theirs takes about 4 s, ours 4 s more: a 6 s timeout passes during ours, about 6 s after the step began.
    const other = await runningElsewhere()
    const started = Date.now()
    const result = await run({ timeout: '6s' })
    const took = Date.now() - started
    expect(result.code).toBe(1)
    expect(result.outputs['execution-id']).not.toBe(other.executionId)
    expect(result.outputs.status).toBe('Aborted')
    expect(result.stdout).toMatch(/::error::Timed out after 6s waiting for task 'Reload Long'/)
    expect(took).toBeLessThan(6_000 + 5_000)
    // Theirs ran to its end; only ours was stopped.
    expect(sim.state.results.filter(r => r.executionID === other.executionId).at(-1)?.status).toBe(7)
  }, 30_000)

  it('attach: waits for the running execution and reports it, starting nothing', async () => {
    const other = await runningElsewhere()
    const starts = sim.startCount(IDS.long)
    const result = await run({ 'if-running': 'attach' })
    expect(result.code).toBe(0)
    expect(result.outputs['execution-id']).toBe(other.executionId)
    expect(result.outputs.status).toBe('FinishedSuccess')
    expect(sim.startCount(IDS.long)).toBe(starts)
  }, 30_000)

  it('fail: fails at once, naming the running execution, starting nothing', async () => {
    const other = await runningElsewhere()
    const starts = sim.startCount(IDS.long)
    const result = await run({ 'if-running': 'fail' })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(`::error::Task 'Reload Long' is already running (execution ${other.executionId}) and if-running is 'fail'.`)
    expect(sim.startCount(IDS.long)).toBe(starts)
    await run({ 'if-running': 'attach' })
  }, 30_000)

  describe('a server that does not serve the execution session list (404): the running check cannot be made', () => {
    const noList = () => sim.faults.add({ method: 'GET', path: '/qrs/executionsession/full', times: Infinity, action: { kind: 'status', status: 404, body: 'Not found' } })

    it("fail: not known is not 'not running': refuses to start, saying why", async () => {
      const other = await runningElsewhere()
      noList()
      const starts = sim.startCount(IDS.long)
      try {
        const result = await run({ 'if-running': 'fail' })
        expect(result.code).toBe(1)
        expect(result.stdout).toMatch(
          /::error::Could not check whether task 'Reload Long' is already running \(GET \/qrs\/executionsession\/full answered 404\), and if-running is 'fail': not starting it/
        )
        expect(sim.startCount(IDS.long)).toBe(starts)
        const dry = await run({ 'if-running': 'fail', 'dry-run': 'true' })
        expect(dry.stdout).toMatch(/::warning::Could not check whether task 'Reload Long' is already running \(GET \/qrs\/executionsession\/full answered 404\)/)
        expect(dry.stdout).toMatch(/not known .*would not start: whether it is running could not be checked and if-running is 'fail'/)
        expect(dry.code).toBe(1)
      } finally {
        sim.faults.clear()
      }
      for (let i = 0; i < 200 && !other.ended(); i++) await new Promise(done => setTimeout(done, 50))
    })

    it('wait: a warning (not a debug line), then the start', async () => {
      const other = await runningElsewhere()
      noList()
      try {
        const result = await run({})
        expect(result.code).toBe(0)
        expect(result.stdout).toMatch(
          /::warning::Could not check whether task 'Reload Long' is already running \(GET \/qrs\/executionsession\/full answered 404\): starting it without that check/
        )
      } finally {
        sim.faults.clear()
      }
      for (let i = 0; i < 200 && !other.ended(); i++) await new Promise(done => setTimeout(done, 50))
    }, 30_000)
  })
})
