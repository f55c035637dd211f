import https from 'node:https'
import { describe, test, expect, beforeAll, afterAll } from '@jest/globals'
import type { Scenario, Simulator, Switches } from '../src/index.js'
import { emptyGuid } from '../src/index.js'
import { agent, appId, call, ids, start, testCerts, testScenario, waitFor, waitForSessionEnd } from './helpers.js'

const certs = testCerts('app-reload')
const marketing = '8d0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b'

function scenario(): Scenario {
  const s = testScenario()
  // Sales' manual reload runs long enough to be seen next to another execution.
  s.apps = [
    ...(s.apps ?? []).map((a) => ({ ...a, reloadRuns: [{ attempts: [{ outcome: 7, durationMs: 800 }] }] })),
    { id: marketing, name: 'Marketing', reloadRuns: [{ attempts: [{ outcome: 7, durationMs: 600 }] }] }
  ]
  return s
}

interface Session {
  id: string
  app: { id: string } | null
  reloadTask: { id: string; name: string } | null
  user: string
}
interface Task {
  id: string
  name: string
  isManuallyTriggered: boolean
  app: { id: string } | null
}

const q = (filter: string): string => `filter=${encodeURIComponent(filter)}`

async function sessionsOfApp(sim: Simulator, app: string): Promise<Session[]> {
  const res = await call(sim, 'GET', `/qrs/executionsession/full?${q(`app.id eq ${app}`)}`)
  expect(res.status).toBe(200)
  return res.json<Session[]>()
}

async function tasksOfApp(sim: Simulator, app: string): Promise<Task[]> {
  return (await call(sim, 'GET', `/qrs/reloadtask/full?${q(`app.id eq ${app}`)}`)).json<Task[]>()
}

function withSim(switches: Partial<Switches>, body: (sim: Simulator) => Promise<void>): () => Promise<void> {
  return async () => {
    const sim = await start(certs, { scenario: scenario(), switches })
    try {
      await body(sim)
    } finally {
      await sim.close()
    }
  }
}

describe('POST /qrs/app/{id}/reload', () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await start(certs, { scenario: scenario() })
  })
  afterAll(() => sim.close())

  test('an app without a task gets "Manually triggered reload of <name>" and it runs', async () => {
    expect(await tasksOfApp(sim, marketing)).toEqual([])
    const res = await call(sim, 'POST', `/qrs/app/${marketing}/reload`, { headers: { 'X-Qlik-User': 'UserDirectory=INTERNAL; UserId=sa_api' } })
    expect(res.status).toBe(204)
    expect(res.body).toBe('')

    const tasks = await tasksOfApp(sim, marketing)
    expect(tasks).toHaveLength(1)
    expect(tasks[0]).toMatchObject({ name: 'Manually triggered reload of Marketing', isManuallyTriggered: true, app: { id: marketing } })
    const byName = await call(sim, 'GET', `/qrs/reloadtask?${q("name eq 'Manually triggered reload of Marketing'")}`)
    expect(byName.json<{ id: string }[]>().map((t) => t.id)).toEqual([tasks[0].id])

    const sessions = await sessionsOfApp(sim, marketing)
    expect(sessions).toHaveLength(1)
    expect(sessions[0]).toMatchObject({ app: { id: marketing }, reloadTask: { id: tasks[0].id }, user: 'INTERNAL\\sa_api' })
    expect(sim.startCount(tasks[0].id)).toBe(1)

    await waitForSessionEnd(sim, sessions[0].id)
    const results = (await call(sim, 'GET', `/qrs/executionresult/full?${q(`appID eq ${marketing}`)}`)).json<{ taskID: string; status: number; executionID: string }[]>()
    expect(results).toHaveLength(1)
    expect(results[0]).toMatchObject({ taskID: tasks[0].id, status: 7, executionID: sessions[0].id })
    expect(await sessionsOfApp(sim, marketing)).toEqual([])

    // Reused on the next reload (appReloadTask "reuse").
    expect((await call(sim, 'POST', `/qrs/app/${marketing}/reload`)).status).toBe(204)
    expect((await tasksOfApp(sim, marketing)).map((t) => t.id)).toEqual([tasks[0].id])
    expect(sim.startCount(tasks[0].id)).toBe(2)
    const [again] = await sessionsOfApp(sim, marketing)
    await waitForSessionEnd(sim, again.id)
  })

  test('unknown app: 404 text', async () => {
    const res = await call(sim, 'POST', '/qrs/app/deadbeef-0000-4000-8000-000000000000/reload')
    expect(res.status).toBe(404)
    expect(res.contentType).toBe('text/plain; charset=utf-8')
  })

  test('startTask (someone else) + app reload: two sessions for the app, both found by app.id', async () => {
    const otherSession = sim.startTask(ids.long)
    expect(otherSession).not.toBe(emptyGuid)
    expect((await call(sim, 'POST', `/qrs/app/${appId}/reload`)).status).toBe(204)

    const sessions = await sessionsOfApp(sim, appId)
    expect(sessions).toHaveLength(2)
    const mine = sessions.find((s) => s.id !== otherSession) as Session
    expect(sessions.find((s) => s.id === otherSession)).toMatchObject({
      reloadTask: { id: ids.long, name: 'Reload Long' },
      user: 'INTERNAL\\sa_scheduler'
    })
    expect(mine.reloadTask?.name).toBe('Manually triggered reload of Sales')
    // Condensed sessions filter against the full entity too.
    const condensed = (await call(sim, 'GET', `/qrs/executionsession?${q(`app.id eq ${appId}`)}`)).json<{ id: string }[]>()
    expect(condensed.map((s) => s.id).sort()).toEqual(sessions.map((s) => s.id).sort())
    expect((await call(sim, 'GET', `/qrs/executionsession/count?${q(`app.id eq ${appId}`)}`)).json()).toEqual({ value: 2 })

    await waitForSessionEnd(sim, mine.id)
    const results = (await call(sim, 'GET', `/qrs/executionresult/full?${q(`appID eq ${appId}`)}`)).json<{ executionID: string }[]>()
    expect(results.map((r) => r.executionID)).toEqual(expect.arrayContaining([otherSession, mine.id]))
    expect(sim.startCount(ids.long)).toBe(1)

    await call(sim, 'POST', `/qrs/task/${ids.long}/stop`)
    await waitForSessionEnd(sim, otherSession)
  })

  test('startTask: unknown task throws; a disabled task gives the empty GUID and no start', () => {
    expect(() => sim.startTask('deadbeef-0000-4000-8000-000000000000')).toThrow(/Unknown task/)
    expect(sim.startTask(ids.disabled)).toBe(emptyGuid)
    expect(sim.startCount(ids.disabled)).toBe(0)
  })

  test('POST /__sim/start/{taskId}: 201 with the session id, counted, not recorded', async () => {
    const before = sim.requests.length
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request({ host: 'localhost', port: sim.port, method: 'POST', path: `/__sim/start/${ids.success}`, agent: agent(sim.certs) }, (r) => {
        let body = ''
        r.on('data', (c: Buffer) => (body += c.toString('utf8')))
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }))
      })
      req.on('error', reject)
      req.end()
    })
    expect(res.status).toBe(201)
    const sessionId = (JSON.parse(res.body) as { value: string }).value
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/)
    expect(sessionId).not.toBe(emptyGuid)
    expect(sim.startCount(ids.success)).toBe(1)
    expect(sim.requests.length).toBe(before)
    const session = (await call(sim, 'GET', `/qrs/executionsession/${sessionId}`)).json<Session>()
    expect(session.user).toBe('INTERNAL\\sa_scheduler')
    await waitForSessionEnd(sim, sessionId)

    const unknown = await new Promise<number>((resolve, reject) => {
      const req = https.request({ host: 'localhost', port: sim.port, method: 'POST', path: '/__sim/start/nope', agent: agent(sim.certs) }, (r) => {
        r.resume()
        resolve(r.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end()
    })
    expect(unknown).toBe(404)
  })
})

describe('startWhileRunning applies to the manual task', () => {
  async function twoReloads(sim: Simulator): Promise<{ sessions: Session[]; taskId: string }> {
    expect((await call(sim, 'POST', `/qrs/app/${marketing}/reload`)).status).toBe(204)
    await waitFor(async () => ((await sessionsOfApp(sim, marketing)).length === 1 ? true : undefined))
    expect((await call(sim, 'POST', `/qrs/app/${marketing}/reload`)).status).toBe(204)
    const sessions = await sessionsOfApp(sim, marketing)
    const [task] = await tasksOfApp(sim, marketing)
    return { sessions, taskId: task.id }
  }

  test(
    '"parallel" (default): a second execution of the same task',
    withSim({}, async (sim) => {
      const { sessions, taskId } = await twoReloads(sim)
      expect(sessions).toHaveLength(2)
      expect(sessions.every((s) => s.reloadTask?.id === taskId)).toBe(true)
      expect(sim.startCount(taskId)).toBe(2)
    })
  )

  test(
    '"ignore": nothing new starts, still 204',
    withSim({ startWhileRunning: 'ignore' }, async (sim) => {
      const { sessions, taskId } = await twoReloads(sim)
      expect(sessions).toHaveLength(1)
      expect(sim.startCount(taskId)).toBe(1)
      // startTask follows the switch too.
      expect(sim.startTask(taskId)).toBe(emptyGuid)
    })
  )

  test(
    '"existing": nothing new starts; startTask hands back the running session',
    withSim({ startWhileRunning: 'existing' }, async (sim) => {
      const { sessions, taskId } = await twoReloads(sim)
      expect(sessions).toHaveLength(1)
      expect(sim.startCount(taskId)).toBe(1)
      expect(sim.startTask(taskId)).toBe(sessions[0].id)
    })
  )

  test(
    'appReloadTask "new": every reload makes its own task, so both run',
    withSim({ appReloadTask: 'new', startWhileRunning: 'ignore' }, async (sim) => {
      expect((await call(sim, 'POST', `/qrs/app/${marketing}/reload`)).status).toBe(204)
      expect((await call(sim, 'POST', `/qrs/app/${marketing}/reload`)).status).toBe(204)
      const tasks = await tasksOfApp(sim, marketing)
      expect(tasks).toHaveLength(2)
      expect(tasks.every((t) => t.name === 'Manually triggered reload of Marketing' && t.isManuallyTriggered)).toBe(true)
      expect(await sessionsOfApp(sim, marketing)).toHaveLength(2)
    })
  )
})
