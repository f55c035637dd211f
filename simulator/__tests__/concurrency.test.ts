/** Per-node concurrency limit ("Max concurrent reloads"): Queued executions wait for a slot in FIFO order. */
import { afterEach, describe, expect, it } from '@jest/globals'
import type { Scenario, Simulator, Switches } from '../src/index.js'
import { appId, call, ids, sleep, start, testCerts, testScenario, waitFor } from './helpers.js'

const certs = testCerts('concurrency')
const slow = 'd0000000-0000-4000-8000-000000000001'
const queued = 'd0000000-0000-4000-8000-000000000002'

function scenario(limit?: number): Scenario {
  const s = testScenario()
  s.tasks = [
    ...(s.tasks ?? []),
    { id: slow, name: 'Reload Slow', appId, runs: [{ attempts: [{ outcome: 7, durationMs: 400 }] }] },
    { id: queued, name: 'Reload Extra Queue', appId, runs: [{ attempts: [{ outcome: 7, durationMs: 100, queuedMs: 150 }] }] }
  ]
  if (limit !== undefined) s.maxConcurrentReloads = limit
  return s
}

let sim: Simulator | undefined
afterEach(async () => {
  await sim?.close()
  sim = undefined
})

async function open(limit?: number, switches: Partial<Switches> = {}): Promise<Simulator> {
  sim = await start(certs, { scenario: scenario(limit), switches })
  return sim
}

const as = (userId: string): Record<string, string> => ({ 'X-Qlik-User': `UserDirectory=INTERNAL; UserId=${userId}` })

async function startSync(s: Simulator, taskId: string, userId: string): Promise<string> {
  const res = await call(s, 'POST', `/qrs/task/${taskId}/start/synchronous`, { headers: as(userId) })
  expect(res.status).toBe(201)
  return res.json<{ value: string }>().value
}

const idle = (s: Simulator): boolean => s.state.sessions.every((x) => !x.active)

/** Samples the result statuses every few ms until every session ended; returns the most Started at once. */
async function watch(s: Simulator, onSample?: () => void): Promise<number> {
  let most = 0
  while (!idle(s)) {
    most = Math.max(most, s.state.results.filter((r) => r.status === 2).length)
    onSample?.()
    await sleep(5)
  }
  return most
}

describe('maxConcurrentReloads', () => {
  it('6 starts with limit 2: at most 2 Started at once, the others Queued, then run in FIFO order', async () => {
    const s = await open(2)
    const users = ['sa_api', 'sa_api', 'sa_api', 'sa_api', 'sa_other', 'sa_other']
    const sessions: string[] = []
    for (const u of users) sessions.push(await startSync(s, slow, u))
    let queuedSeen = 0
    const most = await watch(s, () => {
      queuedSeen = Math.max(queuedSeen, s.state.results.filter((r) => r.status === 3).length)
    })
    expect(most).toBe(2)
    expect(queuedSeen).toBeGreaterThanOrEqual(3)
    const results = sessions.map((id) => s.state.results.find((r) => r.executionID === id)!)
    expect(results.map((r) => r.status)).toEqual([7, 7, 7, 7, 7, 7])
    const msgs = (i: number): string[] => results[i].details.map((d) => d.message)
    expect(msgs(0)).toContain('Changing task state from Triggered to Started')
    expect(msgs(5)).toContain('Changing task state from Triggered to Queued')
    expect(msgs(5)).toContain('Changing task state from Queued to Started')
    // FIFO: start order = started order; and never more than 2 overlapping Started intervals.
    const starts = results.map((r) => Date.parse(r.startTime))
    expect(starts).toEqual([...starts].sort((a, b) => a - b))
    for (const r of results) {
      const t = Date.parse(r.startTime) + 1
      expect(results.filter((o) => Date.parse(o.startTime) <= t && Date.parse(o.stopTime) > t).length).toBeLessThanOrEqual(2)
    }
    // The 5th waited for the 1st or 2nd to end.
    expect(starts[4]).toBeGreaterThanOrEqual(Math.min(Date.parse(results[0].stopTime), Date.parse(results[1].stopTime)))

    expect(s.runningHighWater()).toBe(6)
    expect(s.runningHighWater('sa_api')).toBe(4)
    expect(s.runningHighWater('SA_OTHER')).toBe(2)
    expect(s.runningHighWater('INTERNAL\\sa_api')).toBe(4)
    expect(s.runningHighWater('CORP\\sa_api')).toBe(0)
    expect(s.runningHighWater('nobody')).toBe(0)

    // One at a time afterwards: the high-water marks stay.
    await startSync(s, slow, 'sa_api')
    await watch(s)
    expect(s.runningHighWater('sa_api')).toBe(4)
    expect(s.runningHighWater()).toBe(6)
  })

  it('the session exists while Queued; a stop of a Queued execution aborts it without taking a slot', async () => {
    const s = await open(1)
    const first = await startSync(s, slow, 'sa_api')
    const second = await startSync(s, slow, 'sa_api')
    const third = await startSync(s, ids.success, 'sa_api')
    await waitFor(async () => (s.state.results.find((r) => r.executionID === second)?.status === 3 ? true : undefined))
    const session = await call(s, 'GET', `/qrs/executionsession/${second}`)
    expect(session.status).toBe(200)
    expect(session.json<any>().executionResult.status).toBe(3)
    // Stopping the task aborts both its executions (running and queued); the other task then gets the slot.
    expect((await call(s, 'POST', `/qrs/task/${slow}/stop`)).status).toBe(204)
    await watch(s)
    const status = (id: string): number | undefined => s.state.results.find((r) => r.executionID === id)?.status
    expect([status(first), status(second), status(third)]).toEqual([6, 6, 7])
    const secondResult = s.state.results.find((r) => r.executionID === second)!
    expect(secondResult.startTime).toBe('1753-01-01T00:00:00.000Z')
    expect(s.runningHighWater('sa_api')).toBe(3)
  })

  it('queuedMs still adds its own queue time before the slot is taken', async () => {
    const s = await open()
    const t0 = Date.now()
    const id = await startSync(s, queued, 'sa_api')
    await watch(s)
    const r = s.state.results.find((x) => x.executionID === id)!
    expect(r.status).toBe(7)
    expect(Date.parse(r.startTime) - t0).toBeGreaterThanOrEqual(150)
    expect(r.details.filter((d) => d.message === 'Changing task state from Triggered to Queued')).toHaveLength(1)
  })

  it('default limit is 4', async () => {
    const s = await open()
    expect(s.state.maxConcurrentReloads).toBe(4)
    for (let i = 0; i < 6; i++) await startSync(s, slow, 'sa_api')
    expect(await watch(s)).toBe(4)
    expect(s.runningHighWater('sa_api')).toBe(6)
  })

  it('queueTimeoutMs: an execution waiting longer ends as 12 Reset and its session goes', async () => {
    const s = await open(1, { queueTimeoutMs: 150 })
    const first = await startSync(s, slow, 'sa_api')
    const second = await startSync(s, slow, 'sa_api')
    await watch(s)
    const r1 = s.state.results.find((r) => r.executionID === first)!
    const r2 = s.state.results.find((r) => r.executionID === second)!
    expect(r1.status).toBe(7)
    expect(r2.status).toBe(12)
    expect(r2.startTime).toBe('1753-01-01T00:00:00.000Z')
    expect(r2.details.some((d) => d.detailsType === 0 && /queue timeout/.test(d.message))).toBe(true)
    expect(Date.parse(r2.stopTime)).toBeLessThan(Date.parse(r1.stopTime))
    expect((await call(s, 'GET', `/qrs/executionsession/${second}`)).status).toBe(404)
  })

  it('rejects a bad limit', async () => {
    await expect(start(certs, { scenario: { ...scenario(), maxConcurrentReloads: 0 } })).rejects.toThrow(/maxConcurrentReloads/)
  })
})
