/**
 * The fault matrix: each kind of fault in each phase of a run, the bundle run as the runner runs it
 * (main, then the post step with main's state). For every cell: the outcome reported equals the
 * server's truth, the task started at most once, and every stop aborted our own running execution
 * and nothing else. The table it prints is the README's (Reliability).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import type { FaultAction, FaultRule } from '../../simulator/src/index.js'
import { runAction } from '../helpers/local-runner.js'
import { STATUS_NAMES } from '../../src/reload/status.js'
import { testCertificates } from '../helpers/certs.js'
import { IDS, WINDOWS, certificateInputs, testSite } from '../helpers/site.js'

const FAULTS: [string, FaultAction, number][] = [
  ['503 burst (3)', { kind: 'status', status: 503 }, 3],
  ['connection resets (2)', { kind: 'reset' }, 2],
  ['refused connections (1.5 s)', { kind: 'refuse', ms: 1_500 }, 1],
  ['answer slower than request-timeout', { kind: 'delay', ms: 2_500 }, 1],
  ['429 with Retry-After: 1 (2)', { kind: 'status', status: 429, retryAfter: '1' }, 2]
]

interface Phase {
  name: string
  taskId: string
  rule: Omit<FaultRule, 'action' | 'times'>
  inputs?: Record<string, string>
  /** Through the NTLM virtual proxy instead of the certificate port. */
  proxy?: boolean
}

const PHASES: Phase[] = [
  // There is no sign-in request with certificates: the sign-in is NTLM's, through the virtual proxy's Windows module.
  { name: 'sign-in', taskId: IDS.ok, rule: { method: 'GET', path: /^\/internal_windows_authentication/ }, proxy: true },
  { name: 'lookup', taskId: IDS.ok, rule: { method: 'GET', path: '/qrs/reloadtask/full' } },
  { name: 'start', taskId: IDS.ok, rule: { method: 'POST', path: `/qrs/task/${IDS.ok}/start/synchronous` } },
  { name: 'wait', taskId: IDS.ok, rule: { method: 'GET', path: /^\/qrs\/executionsession\/[0-9a-f-]{36}$/i } },
  // A failed reload's log is fetched to explain it.
  { name: 'log download', taskId: IDS.fail, rule: { method: 'GET', path: /^\/qrs\/download\/reloadtask\// } },
  // stop-on-timeout.
  { name: 'stop', taskId: IDS.slow, rule: { method: 'POST', path: `/qrs/task/${IDS.slow}/stop` }, inputs: { timeout: '2s' } }
]

interface Cell {
  fault: string
  phase: string
  code: number | null
  reported: string
  /** The server's status of the reported execution when main ended ('' when none was reported). */
  truth: string
  starts: number
  stops: { aborted: boolean; executionIds: string[] }[]
  executionId: string
  faultsApplied: number
  stdout: string
}

const SIMULATORS = 4
const sims: Simulator[] = []
const cells: Cell[] = []

async function runCell(sim: Simulator, [fault, action, times]: (typeof FAULTS)[number], phase: Phase): Promise<Cell> {
  sim.faults.clear()
  const startsBefore = sim.startCount(phase.taskId)
  const stopsBefore = sim.stops.length
  sim.faults.add({ ...phase.rule, times, action: { ...action } })
  const common = { 'task-id': phase.taskId, 'request-timeout': '1s', ...phase.inputs }
  const inputs = phase.proxy
    ? { ...common, url: `${sim.proxyUrl}/ntlm`, 'auth-type': 'ntlm', 'ca-cert': sim.certs.ca, username: `${WINDOWS.domain}\\${WINDOWS.user}`, password: WINDOWS.password }
    : certificateInputs(sim, common)
  const main = await runAction(inputs, { timeoutMs: 90_000 })
  const executionId = main.outputs['execution-id'] ?? ''
  const truth = executionId ? (STATUS_NAMES[sim.state.results.filter(r => r.executionID === executionId).at(-1)?.status ?? -1] ?? '') : ''
  const faultsApplied = sim.faults.applied().length
  sim.faults.clear()
  await runAction(inputs, { state: main.state })
  return {
    fault,
    phase: phase.name,
    code: main.code,
    reported: main.outputs.status ?? '',
    truth,
    starts: sim.startCount(phase.taskId) - startsBefore,
    stops: sim.stops.slice(stopsBefore).map(s => ({ aborted: s.aborted, executionIds: s.executionIds })),
    executionId,
    faultsApplied,
    stdout: main.stdout
  }
}

function cellText(cell: Cell): string {
  const outcome = cell.reported ? `${cell.code === 0 ? 'ok' : 'failed'}, ${cell.reported}` : 'failed, nothing started'
  return `${outcome} · ${cell.starts} start${cell.starts === 1 ? '' : 's'} · ${cell.stops.length} stop${cell.stops.length === 1 ? '' : 's'}`
}

/** A Markdown table: faults down, phases across. */
function table(): string {
  const rows = FAULTS.map(([fault]) => [fault, ...PHASES.map(phase => cellText(cells.find(c => c.fault === fault && c.phase === phase.name)!))])
  const header = ['fault \\ phase', ...PHASES.map(p => p.name)]
  return [header, header.map(() => '---'), ...rows].map(row => `| ${row.join(' | ')} |`).join('\n')
}

beforeAll(async () => {
  for (let i = 0; i < SIMULATORS; i++) sims.push(await startSimulator({ scenario: testSite(), certsDir: testCertificates().dir, quiet: true }))
  // Cells in parallel, one per simulator at a time: rules are per simulator.
  const queue = FAULTS.flatMap(fault => PHASES.map(phase => [fault, phase] as const))
  await Promise.all(
    sims.map(async sim => {
      for (let next = queue.shift(); next; next = queue.shift()) cells.push(await runCell(sim, next[0], next[1]))
    })
  )
  process.stdout.write(`\nFault matrix (outcome reported · starts · stops, main and post step):\n\n${table()}\n\n`)
}, 240_000)
afterAll(async () => Promise.all(sims.map(sim => sim.close())))

describe('fault matrix', () => {
  describe.each(PHASES.map(p => [p.name, p] as const))('%s', (_name, phase) => {
    it.each(FAULTS.map(f => [f[0]]))('%s', fault => {
      const cell = cells.find(c => c.fault === fault && c.phase === phase.name)!
      expect(cell.faultsApplied).toBeGreaterThan(0)
      // The outcome is the server's truth: the status reported is the one the server has, or nothing started.
      if (cell.executionId) expect(cell.reported).toBe(cell.truth)
      else expect(cell.starts).toBe(0)
      expect(cell.starts).toBeLessThanOrEqual(1)
      // Stops only of our own running execution: each one aborted ours, and only the stop phase has any.
      for (const stop of cell.stops) expect(stop).toEqual({ aborted: true, executionIds: [cell.executionId] })
      expect(cell.stops).toHaveLength(phase.name === 'stop' ? 1 : 0)
      // Reads ride the fault out: the run ends as the reload did.
      const expected = phase.name === 'stop' ? 'Aborted' : phase.taskId === IDS.fail ? 'FinishedFail' : 'FinishedSuccess'
      if (
        phase.rule.method === 'GET' ||
        cell.fault.startsWith('answer slower') ||
        cell.fault.startsWith('connection') ||
        cell.fault.startsWith('refused') ||
        phase.name === 'stop'
      ) {
        expect(cell.reported).toBe(expected)
      } else {
        // A start the server answered 503/429 did not start: failing says so truthfully (starts are never retried blindly).
        expect(cell.stdout).toMatch(/::error::POST \/qrs\/task\/[0-9a-f-]+\/start\/synchronous answered (503|429)/)
      }
      expect(cell.code).toBe(expected === 'FinishedSuccess' && cell.reported ? 0 : 1)
    })
  })
})
