import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import type { Scenario } from '../../simulator/src/index.js'
import { runAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { certificateInputs } from '../helpers/site.js'

const APP = 'd4000000-0000-4000-8000-000000000001'
const id = (n: number) => `e5000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const ok = (name: string, n: number, durationMs = 800) => ({ id: id(n), name, appId: APP, runs: [{ attempts: [{ outcome: 7, durationMs }] }] })
const bad = (name: string, n: number) => ({ id: id(n), name, appId: APP, runs: [{ attempts: [{ outcome: 8, durationMs: 300, details: ['Field not found'] }] }] })
const on = (n: number, name: string, upstream: number[], downstream: number, ruleState = 1) => ({
  id: `f6000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  name,
  rules: upstream.map(taskId => ({ taskId: id(taskId), ruleState: ruleState as 1 | 2 })),
  downstreamTaskId: id(downstream)
})

function site(): Scenario {
  return {
    machineName: 'qliksrv01.corp.example',
    serverNames: ['qliksrv01.corp.example', 'localhost', '127.0.0.1'],
    nodeName: 'qliksrv01',
    maxConcurrentReloads: 4,
    apps: [{ id: APP, name: 'Warehouse' }],
    tasks: [
      ...[1, 2, 3, 4, 5, 6].map(n => ok(`Batch, part ${n}`, n)),
      bad('Batch bad', 7),
      ok('Batch long', 8, 8_000),
      ok('Chain A', 10, 300),
      ok('Chain B', 11, 300),
      ok('Chain C', 12, 300),
      ok('Fail A', 20, 300),
      bad('Fail B', 21),
      ok('Fail C', 22, 300),
      ok('Fail cleanup', 23, 300),
      ok('Cycle X', 30, 300),
      ok('Cycle Y', 31, 300),
      ok('Both M1', 40, 300),
      ok('Both M2', 41, 300),
      ok('Both M3', 42, 300),
      ok('Slow A', 50, 300),
      ok('Slow B', 51, 20_000)
    ],
    compositeEvents: [
      on(1, 'After Chain A', [10], 11),
      on(2, 'After Chain B', [11], 12),
      on(3, 'After Fail A', [20], 21),
      on(4, 'After Fail B succeeded', [21], 22),
      on(5, 'When Fail B failed', [21], 23, 2),
      on(6, 'X to Y', [30], 31),
      on(7, 'Y to X', [31], 30),
      on(8, 'When M1 and M2', [40, 41], 42),
      on(9, 'After Slow A', [50], 51)
    ],
    // Enough for every chain below; the cycle then stops on its own.
    switches: { maxChainFirings: 12 }
  }
}

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ scenario: site(), certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())

const run = (inputs: Record<string, string>) => runAction(certificateInputs(sim, inputs), { timeoutMs: 90_000 })
const names = (...list: string[]) => list.join('\n')
const errors = (stdout: string) => stdout.split('\n').filter(line => line.startsWith('::error'))

describe('several targets in one step', () => {
  it('runs 6 tasks with max-parallel 2: never more than 2 of ours at once, one result each', async () => {
    const result = await run({ 'task-name': names(...[1, 2, 3, 4, 5, 6].map(n => `Batch, part ${n}`)), 'max-parallel': '2' })
    expect(errors(result.stdout)).toEqual([])
    expect(result.code).toBe(0)
    expect(sim.runningHighWater('sa_api')).toBeLessThanOrEqual(2)
    const entries = JSON.parse(result.outputs.result) as { 'task-name': string; status: string }[]
    expect(entries.map(e => e['task-name'])).toEqual([1, 2, 3, 4, 5, 6].map(n => `Batch, part ${n}`))
    expect(entries.every(e => e.status === 'FinishedSuccess')).toBe(true)
    expect(result.summary).toMatch(/✅ 6 Qlik Sense reloads finished/)
    expect((result.summary.match(/<tr>/g) ?? []).length).toBe(7)
  }, 60_000)

  it('one failure among them: the others still run, the step fails naming it', async () => {
    const result = await run({ 'task-name': names('Batch, part 1', 'Batch bad', 'Batch, part 2'), 'max-parallel': '3' })
    expect(result.code).toBe(1)
    const entries = JSON.parse(result.outputs.result) as { 'task-name': string; status: string; success: boolean }[]
    expect(entries.map(e => [e['task-name'], e.status])).toEqual([
      ['Batch, part 1', 'FinishedSuccess'],
      ['Batch bad', 'FinishedFail'],
      ['Batch, part 2', 'FinishedSuccess']
    ])
    expect(errors(result.stdout)).toHaveLength(1)
    expect(errors(result.stdout)[0]).toMatch(/Qlik reload failed%3A Batch bad/)
    expect(result.summary).toMatch(/❌ 1 of 3 Qlik Sense reloads failed/)
  }, 60_000)

  it('fail-fast: the first failure skips what has not started and stops what runs', async () => {
    const starts = sim.startCount(id(3))
    const stops = sim.stopCount(id(8))
    const result = await run({ 'task-name': names('Batch long', 'Batch bad', 'Batch, part 3'), 'max-parallel': '2', 'fail-fast': 'true' })
    expect(result.code).toBe(1)
    const entries = JSON.parse(result.outputs.result) as Record<string, unknown>[]
    expect(entries[0].error).toMatch(/Another target failed \(fail-fast\): stopped task 'Batch long'/)
    expect(entries[1].status).toBe('FinishedFail')
    expect(entries[2].error).toBe('Not started: another target failed (fail-fast).')
    // The unstarted target has a full entry: every key of the others, what its lookup found, status NotStarted.
    expect(Object.keys(entries[2])).toEqual(Object.keys(entries[1]))
    expect(entries[2]).toMatchObject({
      'task-id': id(3),
      'task-name': 'Batch, part 3',
      'app-id': APP,
      'app-name': 'Warehouse',
      status: 'NotStarted',
      'status-code': null,
      'execution-id': null,
      success: false
    })
    expect((result.summary.match(/<tr>/g) ?? []).length).toBe(4)
    expect(result.summary).toMatch(/<td>Batch, part 3<\/td><td>❌ NotStarted<\/td>/)
    expect(sim.startCount(id(3))).toBe(starts)
    expect(sim.stopCount(id(8))).toBe(stops + 1)
  }, 60_000)

  it('the same target twice is an input error', async () => {
    const result = await run({ 'task-name': names('Batch, part 1', 'Batch, part 1') })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain("::error::Input 'task-name': lists 'Batch, part 1' twice.")
  })
})

describe('wait-for-chain', () => {
  it('follows A → B → C and waits for each', async () => {
    const result = await run({ 'task-name': 'Chain A', 'wait-for-chain': 'true' })
    expect(errors(result.stdout)).toEqual([])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/└ Chain B \(via 'After Chain A'\): FinishedSuccess \(7\)/)
    expect(result.stdout).toMatch(/ {2}└ Chain C \(via 'After Chain B'\): FinishedSuccess \(7\)/)
    expect(result.summary).toContain('Task chain')
    expect(result.summary).toMatch(/<strong>Chain B<\/strong>.*<strong>Chain C<\/strong>/s)
  }, 60_000)

  it('a chain where B fails: the failure trigger is followed, the success one does not fire, and the step fails', async () => {
    const result = await run({ 'task-name': 'Fail A', 'wait-for-chain': 'true' })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/└ Fail B \(via 'After Fail A'\): FinishedFail \(8\)/)
    expect(result.stdout).toMatch(/└ Fail cleanup \(via 'When Fail B failed'\): FinishedSuccess/)
    expect(result.stdout).not.toMatch(/Fail C \(via/)
    expect(errors(result.stdout).join('\n')).toMatch(/task chain after 'Fail A' did not finish well: 'Fail B' FinishedFail/)
  }, 60_000)

  it('chain-failure: warn reports a failed chain as a warning', async () => {
    const result = await run({ 'task-name': 'Fail A', 'wait-for-chain': 'true', 'chain-failure': 'warn' })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/::warning title=Qlik task chain failed after Fail A::/)
  }, 60_000)

  it('walks a cycle once', async () => {
    const result = await run({ 'task-name': 'Cycle X', 'wait-for-chain': 'true' })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/└ Cycle Y \(via 'X to Y'\): FinishedSuccess/)
    expect(result.stdout).toMatch(/└ Cycle X \(via 'Y to X'\): already in this chain \(a cycle\)/)
  }, 60_000)

  it('says so, instead of waiting forever, when a trigger needs another task too', async () => {
    const result = await run({ 'task-name': 'Both M1', 'wait-for-chain': 'true' })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/└ Both M3 \(via 'When M1 and M2'\): fires only when 'Both M2' succeeds too.*may never fire/)
    // An annotation, not only a line in the collapsed group: the trigger, the downstream task, the missing upstream task.
    const warnings = result.stdout.split('\n').filter(line => line.startsWith('::warning'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(
      /^::warning title=Qlik task chain%3A trigger 'When M1 and M2' will not fire::Trigger 'When M1 and M2' will not start 'Both M3' now: it fires only when 'Both M2' succeeds too/
    )
    // And a row of the chain tree in the job summary.
    expect(result.summary).toMatch(/<li>⚠️ <strong>Both M3<\/strong> <sub>via When M1 and M2<\/sub> — <em>fires only when 'Both M2' succeeds too/)
  }, 60_000)

  it('stops waiting for the chain at the timeout', async () => {
    // A simulator of its own: the cycle above keeps firing in the background until the shared
    // simulator's maxChainFirings is spent, after which 'After Slow A' would never fire.
    const own = await startSimulator({ scenario: site(), certsDir: testCertificates().dir, quiet: true })
    const result = await runAction(certificateInputs(own, { 'task-name': 'Slow A', 'wait-for-chain': 'true', timeout: '4s' }), { timeoutMs: 90_000 }).finally(() => own.close())
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/└ Slow B \(via 'After Slow A'\): .*still running when the timeout passed/)
  }, 60_000)
})
