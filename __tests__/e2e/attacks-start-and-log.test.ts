/**
 * Issue 20, items 7 and 8: bounded disk and time for the script log, and a start sent once.
 *
 * Decisions:
 * - Item 7: a new input `script-log-max-size` (default `100MB`; a size such as `500KB`, `100MB`, `1GB`,
 *   1024-based) caps the saved file: past the cap the file keeps the head and the tail (half the cap
 *   each) with a line between them saying how many bytes were cut, and the log note (step log, summary)
 *   says the log was cut. The download is inside the target's `timeout` (counted from its start, like
 *   the wait): when the timeout passes, what was received is kept (head and tail) and the note says the
 *   download was cut short. Neither ever fails a step that would otherwise pass.
 * - Item 8: one start per target per run. When the start's outcome is unknown (its answer lost, timed
 *   out, cut), the step looks for the execution of that task that appeared since (our user) until the
 *   target's `timeout`, takes it when it appears, and otherwise fails saying that the start's outcome
 *   is unknown and no execution appeared; it never sends the start again.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { runAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { IDS, certificateInputs, testSite } from '../helpers/site.js'

const DOWNLOAD = /^\/qrs\/download\/reloadtask\//
const START = (id: string) => `/qrs/task/${id}/start/synchronous`

let sim: Simulator
/** RUNNER_TEMP of the log tests, removed afterwards: a step that never stops downloading leaves a big file. */
const temp = mkdtempSync(join(tmpdir(), 'qsr-attacks-log-'))
beforeAll(async () => {
  sim = await startSimulator({ scenario: testSite(), certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => {
  rmSync(temp, { recursive: true, force: true })
  await sim?.close()
})

const sleep = (ms: number) => new Promise(done => setTimeout(done, ms))
const errors = (stdout: string): string[] => stdout.split('\n').filter(line => line.startsWith('::error'))

describe('item 7: bounded disk and time for the script log', () => {
  it('a log download that never ends is saved up to script-log-max-size, head and tail, saying what was cut', async () => {
    sim.faults.clear()
    // 2 MB/s: today's step, which never stops, cannot fill the disk before the test gives up on it.
    sim.faults.add({ method: 'GET', path: DOWNLOAD, action: { kind: 'endless', bytesPerSecond: 2_000_000 } })
    const started = Date.now()
    const run = await runAction(certificateInputs(sim, { 'task-id': IDS.fail, 'script-log-max-size': '1MB', timeout: '10s' }), {
      timeoutMs: 40_000,
      env: { RUNNER_TEMP: temp }
    })
    const took = Date.now() - started
    const path = run.outputs['script-log-path']
    const size = path ? statSync(path).size : -1
    expect({ code: run.code, status: run.outputs.status, took: took < 20_000, saved: size > 0 && size <= 1024 * 1024 }).toEqual({
      code: 1,
      status: 'FinishedFail',
      took: true,
      saved: true
    })
    expect(readFileSync(path, 'utf8')).toMatch(/TRACE endless log line/)
    expect(run.stdout + run.summary).toMatch(/script log[^\n]*\b(cut|truncated)\b/i)
  }, 60_000)

  it('a log that trickles in endlessly: the download ends by the timeout', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'GET', path: DOWNLOAD, action: { kind: 'endless', bytesPerSecond: 50_000 } })
    const started = Date.now()
    const run = await runAction(certificateInputs(sim, { 'task-id': IDS.fail, timeout: '8s' }), { timeoutMs: 40_000, env: { RUNNER_TEMP: temp } })
    const took = Date.now() - started
    expect({ code: run.code, status: run.outputs.status, took: took < 8_000 + 5_000 }).toEqual({ code: 1, status: 'FinishedFail', took: true })
    expect(run.stdout + run.summary).toMatch(/script log[^\n]*\b(cut|truncated|timeout)\b/i)
  }, 60_000)
})

describe('item 8: a start is sent once', () => {
  it('a server that creates the execution 8 s after the start came, request-timeout: 1s: one execution, the step waits for it', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'POST', path: START(IDS.ok), action: { kind: 'late-start', ms: 8_000 } })
    const before = sim.startCount(IDS.ok)
    const since = Date.now()
    const run = await runAction(certificateInputs(sim, { 'task-id': IDS.ok, 'request-timeout': '1s' }), { timeoutMs: 60_000 })
    // Any execution the step caused has appeared by now.
    await sleep(Math.max(0, since + 9_000 - Date.now()))
    const executions = sim.state.sessions.filter(s => s.taskId === IDS.ok && Date.parse(s.createdDate) >= since)
    expect({ starts: sim.startCount(IDS.ok) - before, startRequests: sim.requests.filter(r => r.time >= since && r.path === START(IDS.ok)).length }).toEqual({
      starts: 1,
      startRequests: 1
    })
    expect(run.outputs['execution-id']).toBe(executions[0]?.id)
    expect([run.code, run.outputs.status]).toEqual([0, 'FinishedSuccess'])
  }, 70_000)

  it('a start whose answer is cut and that started nothing: sent once, and the step fails saying no execution appeared', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'POST', path: START(IDS.ok), action: { kind: 'cut', handle: false, status: 201, body: '{"value":"a1000000-0000-4000-8000-00000000ffff"}' } })
    const before = sim.startCount(IDS.ok)
    const since = Date.now()
    const run = await runAction(certificateInputs(sim, { 'task-id': IDS.ok, timeout: '15s' }), { timeoutMs: 60_000 })
    expect(sim.startCount(IDS.ok)).toBe(before)
    expect(sim.requests.filter(r => r.time >= since && r.path === START(IDS.ok))).toHaveLength(1)
    expect(run.code).toBe(1)
    expect(errors(run.stdout).join('\n')).toMatch(/no execution .*appeared/i)
  }, 70_000)
})
