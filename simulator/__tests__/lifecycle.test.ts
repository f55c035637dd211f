import { describe, test, expect, beforeAll, afterAll } from '@jest/globals'
import type { Simulator } from '../src/index.js'
import { emptyGuid } from '../src/index.js'
import { appId, call, ids, sleep, start, testCerts, waitFor, waitForSessionEnd } from './helpers.js'

const certs = testCerts('lifecycle')

interface Result {
  id: string
  status: number
  startTime: string
  stopTime: string
  duration: number
  fileReferenceID: string
  createdDate: string
  details: { detailsType: number; message: string; detailCreatedDate: string }[]
}

async function startSync(sim: Simulator, taskId: string): Promise<string> {
  const res = await call(sim, 'POST', `/qrs/task/${taskId}/start/synchronous`)
  expect(res.status).toBe(201)
  expect(res.contentType).toBe('application/json; charset=utf-8')
  return res.json<{ value: string }>().value
}

async function resultsOf(sim: Simulator, sessionId: string, full = true): Promise<Result[]> {
  const filter = encodeURIComponent(`ExecutionId eq ${sessionId}`)
  const res = await call(sim, 'GET', `/qrs/executionresult${full ? '/full' : ''}?filter=${filter}`)
  expect(res.status).toBe(200)
  return res.json<Result[]>().sort((a, b) => a.createdDate.localeCompare(b.createdDate))
}

const messages = (r: Result): string[] => r.details.map((d) => d.message)

describe('executions', () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await start(certs)
  })
  afterAll(() => sim.close())

  test('success: session lives until the end, one result, final details', async () => {
    const sessionId = await startSync(sim, ids.success)
    const session = (await call(sim, 'GET', `/qrs/executionsession/${sessionId}`)).json()
    expect(session).toMatchObject({ id: sessionId, retries: 0, abortReason: 0, abortAt: '1753-01-01T00:00:00.000Z', reloadTask: { id: ids.success }, app: { id: appId } })
    expect([1, 2]).toContain(session.executionResult.status)
    const listed = (await call(sim, 'GET', '/qrs/executionsession/full')).json()
    expect(listed.map((s: { id: string }) => s.id)).toContain(sessionId)

    await waitForSessionEnd(sim, sessionId)
    const results = await resultsOf(sim, sessionId)
    expect(results).toHaveLength(1)
    const [r] = results
    expect(r).toMatchObject({ status: 7, taskID: ids.success, executionID: sessionId, appID: appId, executingNodeName: 'qliksrv01', scriptLogAvailable: true })
    expect(r.stopTime).not.toBe('1753-01-01T00:00:00.000Z')
    expect(r.duration).toBeGreaterThanOrEqual(140)
    expect(r.fileReferenceID).not.toBe(emptyGuid)
    expect(messages(r)).toEqual(
      expect.arrayContaining([
        'Changing task state from NeverStarted to Triggered',
        'Trying to start task. Sending task to slave scheduler',
        'Changing task state from Triggered to Started',
        'Changing task state from Started to FinishedSuccess',
        'Reference to scriptlog added'
      ])
    )
    const task = (await call(sim, 'GET', `/qrs/reloadtask/${ids.success}`)).json()
    expect(task.operational.lastExecutionResult).toMatchObject({ id: r.id, status: 7, stopTime: r.stopTime })
    expect(sim.startCount(ids.success)).toBe(1)
  })

  test('a running result shows Triggered/Started with unset stopTime', async () => {
    const sessionId = await startSync(sim, ids.long)
    const [r] = await resultsOf(sim, sessionId, false)
    expect([1, 2]).toContain(r.status)
    expect(r.stopTime).toBe('1753-01-01T00:00:00.000Z')
    expect(r.fileReferenceID).toBe(emptyGuid)
    expect(r).not.toHaveProperty('executionID')
    await call(sim, 'POST', `/qrs/task/${ids.long}/stop`)
  })

  test('failure: FinishedFail with an Error detail and the scenario detail', async () => {
    const sessionId = await startSync(sim, ids.failure)
    await waitForSessionEnd(sim, sessionId)
    const [r] = await resultsOf(sim, sessionId)
    expect(r.status).toBe(8)
    const errors = r.details.filter((d) => d.detailsType === 0).map((d) => d.message)
    expect(errors).toEqual(expect.arrayContaining(['The task was not able to finish: script error', 'Field not found: <Amount>']))
    expect(errors).not.toContain('Max retries reached')
  })

  test('retries: one result per attempt, the last one decides', async () => {
    const sessionId = await startSync(sim, ids.retries)
    const seen = new Set<number>()
    await waitFor(async () => {
      const res = await call(sim, 'GET', `/qrs/executionsession/${sessionId}`)
      if (res.status === 404) return true
      seen.add(res.json().retries)
      return undefined
    })
    expect(Math.max(...seen)).toBeGreaterThanOrEqual(1)
    const results = await resultsOf(sim, sessionId)
    expect(results.map((r) => r.status)).toEqual([8, 8, 7])
    expect(messages(results[2])).toContain('Changing task state from Queued to Started')
  })

  test('disabled or not startable: the empty GUID, nothing runs', async () => {
    expect(await startSync(sim, ids.disabled)).toBe(emptyGuid)
    expect(await startSync(sim, ids.unstartable)).toBe(emptyGuid)
    expect(sim.startCount(ids.disabled) + sim.startCount(ids.unstartable)).toBe(0)
    expect((await call(sim, 'POST', `/qrs/task/${ids.disabled}/start`)).status).toBe(204)
  })

  test('start by name: quote and non-ASCII, case-insensitive', async () => {
    const before = sim.startCount(ids.quoted)
    const name = encodeURIComponent("reload o'brien ÜMSÄTZE")
    const res = await call(sim, 'POST', `/qrs/task/start/synchronous?name=${name}`)
    expect(res.status).toBe(201)
    const sessionId = res.json().value
    expect(sessionId).not.toBe(emptyGuid)
    const session = (await call(sim, 'GET', `/qrs/executionsession/${sessionId}`)).json()
    expect(session.reloadTask.name).toBe("Reload O'Brien Ümsätze")
    expect(sim.startCount(ids.quoted)).toBe(before + 1)
    await waitForSessionEnd(sim, sessionId)
  })

  test('start by unknown name: 400 text', async () => {
    const res = await call(sim, 'POST', '/qrs/task/start/synchronous?name=No%20such%20task')
    expect(res.status).toBe(400)
    expect(res.contentType).toMatch(/^text\/plain/)
    expect(res.body).toBe('Cannot find a task with the following name: No such task')
  })

  test('fire-and-forget starts answer 204 with no body', async () => {
    const before = sim.startCount(ids.success)
    expect((await call(sim, 'POST', `/qrs/task/${ids.success}/start`)).status).toBe(204)
    expect((await call(sim, 'POST', '/qrs/task/start?name=Reload%20Sales')).status).toBe(204)
    const many = await call(sim, 'POST', '/qrs/task/start/many', { body: JSON.stringify([ids.success, ids.quoted]), headers: { 'Content-Type': 'application/json' } })
    expect(many.status).toBe(204)
    expect(many.body).toBe('')
    expect(sim.startCount(ids.success)).toBe(before + 3)
    expect((await call(sim, 'POST', '/qrs/task/00000000-0000-4000-8000-000000000009/start/synchronous')).status).toBe(404)
  })

  test('stop: AbortInitiated, Aborting, Aborted; the session ends', async () => {
    const sessionId = await startSync(sim, ids.long)
    await sleep(60)
    const stop = await call(sim, 'POST', `/qrs/task/${ids.long}/stop`)
    expect(stop.status).toBe(204)
    const statuses = new Set<number>()
    await waitFor(async () => {
      const [r] = await resultsOf(sim, sessionId, false)
      statuses.add(r.status)
      return r.status === 6 ? true : undefined
    })
    expect(statuses.has(4) || statuses.has(5)).toBe(true)
    expect((await call(sim, 'GET', `/qrs/executionsession/${sessionId}`)).status).toBe(404)
  })

  test('app reload: a manually triggered task, reused', async () => {
    expect((await call(sim, 'POST', `/qrs/app/${appId}/reload`)).status).toBe(204)
    expect((await call(sim, 'POST', `/qrs/app/${appId}/reload`)).status).toBe(204)
    const filter = encodeURIComponent("name eq 'Manually triggered reload of Sales'")
    const tasks = (await call(sim, 'GET', `/qrs/reloadtask/full?filter=${filter}`)).json()
    expect(tasks).toHaveLength(1)
    expect(tasks[0]).toMatchObject({ isManuallyTriggered: true, app: { id: appId } })
    expect(sim.startCount(tasks[0].id)).toBe(2)
    expect((await call(sim, 'POST', '/qrs/app/00000000-0000-4000-8000-000000000009/reload')).status).toBe(404)
  })

  test('results lists are newest first by default', async () => {
    const all = (await call(sim, 'GET', '/qrs/executionresult/full')).json<Result[]>()
    const created = all.map((r) => r.createdDate)
    expect(created).toEqual([...created].sort().reverse())
  })

  test('control endpoint /__sim/starts counts per task', async () => {
    const starts = (await call(sim, 'GET', '/__sim/starts', { xrfkey: false })).json()
    expect(starts[ids.success]).toBe(sim.startCount(ids.success))
  })
})

describe('switches', () => {
  test('resultLagMs: the session disappears before the result is final', async () => {
    const sim = await start(certs, { switches: { resultLagMs: 400, shuffleDetails: false, resultsOrder: 'asc' } })
    try {
      const sessionId = await startSync(sim, ids.success)
      await waitForSessionEnd(sim, sessionId)
      const [early] = await resultsOf(sim, sessionId)
      expect(early.status).toBe(2)
      expect(early.stopTime).toBe('1753-01-01T00:00:00.000Z')
      const final = await waitFor(async () => {
        const [r] = await resultsOf(sim, sessionId)
        return r.status === 2 ? undefined : r
      })
      expect(final.status).toBe(7)
      // With shuffleDetails off the details come in creation order.
      expect(messages(final)[0]).toBe('Changing task state from NeverStarted to Triggered')
    } finally {
      await sim.close()
    }
  })

  test('retryResultStatus 10, stopStatus 200, appReloadTask new, startWhileRunning ignore', async () => {
    const sim = await start(certs, { switches: { retryResultStatus: 10, stopStatus: 200, appReloadTask: 'new', startWhileRunning: 'ignore' } })
    try {
      const sessionId = await startSync(sim, ids.retries)
      await waitForSessionEnd(sim, sessionId)
      expect((await resultsOf(sim, sessionId)).map((r) => r.status)).toEqual([10, 10, 7])

      const running = await startSync(sim, ids.long)
      expect(await startSync(sim, ids.long)).toBe(emptyGuid)
      expect((await call(sim, 'POST', `/qrs/task/${ids.long}/stop`)).status).toBe(200)
      await waitForSessionEnd(sim, running)

      await call(sim, 'POST', `/qrs/app/${appId}/reload`)
      await call(sim, 'POST', `/qrs/app/${appId}/reload`)
      const count = (await call(sim, 'GET', `/qrs/reloadtask/count?filter=isManuallyTriggered+eq+true`)).json()
      expect(count).toEqual({ value: 2 })
    } finally {
      await sim.close()
    }
  })

  test('startLatencyMs: the task starts before the answer arrives', async () => {
    const sim = await start(certs, { switches: { startLatencyMs: 300 } })
    try {
      const pending = startSync(sim, ids.success)
      await sleep(100)
      expect(sim.startCount(ids.success)).toBe(1)
      const t0 = Date.now()
      await pending
      expect(Date.now() - t0).toBeGreaterThan(100)
    } finally {
      await sim.close()
    }
  })
})
