/** Stop semantics and counters, and the "already running" facts a client reads before starting. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { Scenario, Simulator } from '../src/index.js'
import { appId, call, ids, sleep, start, testCerts, testScenario, waitFor, waitForSessionEnd } from './helpers.js'

const certs = testCerts('stop-running')
const unset = '1753-01-01T00:00:00.000Z'
const program = 'e0e0e0e0-0000-4000-8000-000000000001'
const medium = 'e0e0e0e0-0000-4000-8000-000000000002'

function scenario(): Scenario {
  const s = testScenario()
  s.tasks = [
    ...(s.tasks ?? []),
    { id: program, name: 'Copy files', taskType: 1, path: 'C:\\Windows\\System32\\robocopy.exe', runs: [{ attempts: [{ outcome: 7, durationMs: 1500 }] }] },
    { id: medium, name: 'Reload Medium', appId, runs: [{ attempts: [{ outcome: 7, durationMs: 600 }] }] }
  ]
  return s
}

interface Result {
  id: string
  status: number
  startTime: string
  stopTime: string
  executionID?: string
  details: { message: string; detailCreatedDate: string }[]
}

const q = (filter: string): string => `?filter=${encodeURIComponent(filter)}`

async function startSync(sim: Simulator, taskId: string): Promise<string> {
  const res = await call(sim, 'POST', `/qrs/task/${taskId}/start/synchronous`)
  expect(res.status).toBe(201)
  return res.json<{ value: string }>().value
}

async function resultOf(sim: Simulator, sessionId: string): Promise<Result> {
  return (await call(sim, 'GET', `/qrs/executionresult/full${q(`ExecutionId eq ${sessionId}`)}`)).json<Result[]>()[0]
}

async function waitStatus(sim: Simulator, sessionId: string, statuses: number[]): Promise<Result> {
  return waitFor(async () => {
    const r = await resultOf(sim, sessionId)
    return statuses.includes(r.status) ? r : undefined
  })
}

const detailTime = (r: Result, message: string): number => {
  const d = r.details.find((x) => x.message === message)
  if (!d) throw new Error(`no detail "${message}"`)
  return Date.parse(d.detailCreatedDate)
}

let sim: Simulator
beforeAll(async () => {
  sim = await start(certs, { scenario: scenario() })
})
afterAll(() => sim.close())

describe('stop', () => {
  it('a running execution: 204, 4 AbortInitiated → 5 Aborting → 6 Aborted ~100 ms apart, the session ends after Aborted', async () => {
    const sessionId = await startSync(sim, ids.long)
    await waitStatus(sim, sessionId, [2])
    const stopsBefore = sim.stopCount(ids.long)
    const t0 = Date.now()
    const res = await call(sim, 'POST', `/qrs/task/${ids.long}/stop`)
    expect(res.status).toBe(204)
    expect(res.body).toBe('')
    expect(sim.stopCount(ids.long)).toBe(stopsBefore + 1)
    const stop = sim.stops.at(-1)
    expect(stop).toMatchObject({ taskId: ids.long, aborted: true })
    expect(stop?.time).toBeGreaterThanOrEqual(t0)
    expect(stop?.time).toBeLessThanOrEqual(Date.now())

    // Poll the session like a client: while it lives the result is aborting, never Aborted.
    const seen: number[] = []
    for (;;) {
      const s = await call(sim, 'GET', `/qrs/executionsession/${sessionId}`)
      if (s.status === 404) break
      const session = s.json<{ abortReason: number; executionResult: { status: number } }>()
      expect(session.abortReason).toBe(1)
      seen.push(session.executionResult.status)
      await sleep(15)
    }
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.every((st) => st === 4 || st === 5)).toBe(true)
    expect(seen).toContain(4)
    expect(seen).toContain(5)

    const r = await resultOf(sim, sessionId)
    expect(r.status).toBe(6)
    expect(r.stopTime).not.toBe(unset)
    const initiated = detailTime(r, 'Changing task state from Started to AbortInitiated')
    const aborting = detailTime(r, 'Changing task state from AbortInitiated to Aborting')
    const aborted = detailTime(r, 'Changing task state from Aborting to Aborted')
    expect(aborting - initiated).toBeGreaterThanOrEqual(90)
    expect(aborted - aborting).toBeGreaterThanOrEqual(90)
    expect(aborted - initiated).toBeLessThan(1000)
    const ended = sim.state.sessions.find((s) => s.id === sessionId)?.endedAt as string
    expect(Date.parse(ended)).toBeGreaterThanOrEqual(aborted)
  })

  it('a task that is not running: 204 and nothing changes (counted, not aborted)', async () => {
    const before = JSON.stringify({ results: sim.state.results, sessions: sim.state.sessions })
    const stops = sim.stopCount()
    const res = await call(sim, 'POST', `/qrs/task/${ids.failure}/stop`)
    expect(res.status).toBe(204)
    expect(JSON.stringify({ results: sim.state.results, sessions: sim.state.sessions })).toBe(before)
    expect(sim.stopCount()).toBe(stops + 1)
    expect(sim.stops.at(-1)).toMatchObject({ taskId: ids.failure, aborted: false })
  })

  it('a finished execution stays finished', async () => {
    const sessionId = await startSync(sim, ids.success)
    await waitForSessionEnd(sim, sessionId)
    const done = await resultOf(sim, sessionId)
    expect(done.status).toBe(7)
    expect((await call(sim, 'POST', `/qrs/task/${ids.success}/stop`)).status).toBe(204)
    await sleep(300)
    const after = await resultOf(sim, sessionId)
    expect(after.status).toBe(7)
    expect(after.details).toHaveLength(done.details.length)
    const task = (await call(sim, 'GET', `/qrs/reloadtask/${ids.success}`)).json()
    expect(task.operational.lastExecutionResult).toMatchObject({ id: done.id, status: 7 })
  })

  it('with resultLagMs, a stop in the lag (session gone, result not final yet) does not abort', async () => {
    const lagged = await start(certs, { scenario: scenario(), switches: { resultLagMs: 600 } })
    try {
      const sessionId = await startSync(lagged, ids.success)
      await waitForSessionEnd(lagged, sessionId)
      expect((await resultOf(lagged, sessionId)).status).toBe(2)
      expect((await call(lagged, 'POST', `/qrs/task/${ids.success}/stop`)).status).toBe(204)
      expect(lagged.stops.at(-1)).toMatchObject({ aborted: false })
      expect((await waitStatus(lagged, sessionId, [6, 7])).status).toBe(7)
    } finally {
      await lagged.close()
    }
  })

  it('stopStatus switch, stop/many counts each id, a stop while aborting is counted but changes nothing', async () => {
    const other = await start(certs, { scenario: scenario(), switches: { stopStatus: 200 } })
    try {
      const sessionId = await startSync(other, medium)
      await waitStatus(other, sessionId, [2])
      const res = await call(other, 'POST', `/qrs/task/${medium}/stop`)
      expect([res.status, res.body]).toEqual([200, ''])
      expect((await call(other, 'POST', `/qrs/task/${medium}/stop`)).status).toBe(200)
      expect(other.stops.map((s) => s.aborted)).toEqual([true, false])
      const many = await call(other, 'POST', '/qrs/task/stop/many', { body: JSON.stringify([medium, ids.success, '99999999-9999-4999-8999-999999999999']) })
      expect(many.status).toBe(204)
      expect(other.stopCount(medium)).toBe(3)
      expect(other.stopCount(ids.success)).toBe(1)
      expect(other.stopCount()).toBe(4)
      expect((await waitStatus(other, sessionId, [6])).details.filter((d) => d.message.endsWith('to AbortInitiated'))).toHaveLength(1)
      const listed = (await call(other, 'GET', '/__sim/stops', { xrfkey: false })).json<{ taskId: string }[]>()
      expect(listed.map((s) => s.taskId)).toEqual([medium, medium, medium, ids.success])
    } finally {
      await other.close()
    }
  })
})

describe('"already running" facts', () => {
  it('before the first run: a NeverStarted placeholder', async () => {
    const task = (await call(sim, 'GET', `/qrs/reloadtask/full${q(`id eq ${ids.quoted}`)}`)).json()[0]
    expect(task.operational.lastExecutionResult).toMatchObject({ status: 0, startTime: unset, stopTime: unset })
  })

  it('reload task: lastExecutionResult is the running result; the session is listed by reloadTask.id', async () => {
    const first = await startSync(sim, medium)
    await waitForSessionEnd(sim, first)
    const previous = await resultOf(sim, first)

    const sessionId = await startSync(sim, medium)
    const running = await waitStatus(sim, sessionId, [2])
    // (/qrs/task/full answers the generic Task, which has no operational in Qlik's definition.)
    for (const path of [`/qrs/reloadtask/full${q(`id eq ${medium}`)}`, `/qrs/reloadtask/${medium}`, `/qrs/reloadtask${q(`id eq ${medium}`)}`]) {
      const body = (await call(sim, 'GET', path)).json()
      const last = (Array.isArray(body) ? body[0] : body).operational.lastExecutionResult
      expect(last).toMatchObject({ id: running.id, status: 2, startTime: running.startTime, stopTime: unset })
      expect(last.id).not.toBe(previous.id)
      // Like a real server: the condensed ExecutionResult, without executionID/taskID (follow id to /qrs/executionresult/{id}).
      expect(last).not.toHaveProperty('executionID')
    }
    const full = (await call(sim, 'GET', `/qrs/executionresult/${running.id}`)).json()
    expect(full).toMatchObject({ id: running.id, executionID: sessionId, taskID: medium, status: 2 })

    const sessions = (await call(sim, 'GET', `/qrs/executionsession/full${q(`reloadTask.id eq ${medium}`)}`)).json()
    expect(sessions).toHaveLength(1)
    expect(sessions[0]).toMatchObject({ id: sessionId, reloadTask: { id: medium }, executionResult: { id: running.id, status: 2 } })
    expect((await call(sim, 'GET', `/qrs/executionsession/count${q(`reloadTask.id eq ${medium}`)}`)).json()).toEqual({ value: 1 })

    await waitForSessionEnd(sim, sessionId)
    expect((await call(sim, 'GET', `/qrs/executionsession/full${q(`reloadTask.id eq ${medium}`)}`)).json()).toEqual([])
    const after = (await call(sim, 'GET', `/qrs/reloadtask/${medium}`)).json().operational.lastExecutionResult
    expect(after).toMatchObject({ id: running.id, status: 7 })
    expect(after.stopTime).not.toBe(unset)
  })

  it('Triggered and Queued count as running too (status 1/3 with the session listed)', async () => {
    const sessionId = await startSync(sim, ids.retries)
    const task = (await call(sim, 'GET', `/qrs/reloadtask/${ids.retries}`)).json()
    expect([1, 2, 3]).toContain(task.operational.lastExecutionResult.status)
    expect((await call(sim, 'GET', `/qrs/executionsession/full${q(`reloadTask.id eq ${ids.retries}`)}`)).json().map((s: { id: string }) => s.id)).toEqual([sessionId])
    await waitForSessionEnd(sim, sessionId)
  })

  it('external program task: the same through /qrs/externalprogramtask and externalProgramTask.id', async () => {
    const sessionId = await startSync(sim, program)
    const running = await waitStatus(sim, sessionId, [2])
    for (const path of [`/qrs/externalprogramtask/full${q(`id eq ${program}`)}`, `/qrs/externalprogramtask/${program}`]) {
      const body = (await call(sim, 'GET', path)).json()
      expect((Array.isArray(body) ? body[0] : body).operational.lastExecutionResult).toMatchObject({ id: running.id, status: 2, stopTime: unset })
    }
    const sessions = (await call(sim, 'GET', `/qrs/executionsession/full${q(`externalProgramTask.id eq ${program}`)}`)).json()
    expect(sessions.map((s: { id: string }) => s.id)).toEqual([sessionId])
    expect(sessions[0]).toMatchObject({ reloadTask: null, externalProgramTask: { id: program } })
    expect((await call(sim, 'POST', `/qrs/task/${program}/stop`)).status).toBe(204)
    expect((await waitStatus(sim, sessionId, [6])).status).toBe(6)
  })
})
