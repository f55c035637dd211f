/** Routes and shapes added after comparing the simulator with Qlik's QRS definition (docs/qrs-protocol.md). */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { Simulator } from '../src/index.js'
import { appId, call, ids, sleep, start, testCerts, testScenario, waitFor } from './helpers.js'

const preload = '88888888-8888-4888-8888-888888888888'
const limited = { 'X-Qlik-User': 'UserDirectory=CORP; UserId=limited' }
let sim: Simulator
const q = (text: string): string => encodeURIComponent(text)

beforeAll(async () => {
  const scenario = testScenario()
  scenario.tasks = [...(scenario.tasks ?? []), { id: preload, name: 'Preload Sales', taskType: 4 }]
  scenario.users = [...(scenario.users ?? []), { directory: 'CORP', id: 'limited', hiddenTasks: [ids.failure], deniedTasks: [ids.success] }]
  sim = await start(testCerts('definition-shapes'), { scenario, switches: { resultsOrder: 'asc', shuffleDetails: false, chainDelayMs: 50 } })
})
afterAll(() => sim.close())

async function runToEnd(taskId: string): Promise<string> {
  const sessionId = (await call(sim, 'POST', `/qrs/task/${taskId}/start/synchronous`)).json().value
  await waitFor(async () => ((await call(sim, 'GET', `/qrs/executionsession/${sessionId}`)).status === 404 ? true : undefined))
  return sessionId
}

describe('orderby', () => {
  it('executionresult/full?orderby=startTime desc puts the last attempt of a retried run first, whatever resultsOrder', async () => {
    const sessionId = await runToEnd(ids.retries)
    const filter = `filter=${q(`ExecutionId eq ${sessionId}`)}`
    const asc = (await call(sim, 'GET', `/qrs/executionresult/full?${filter}`)).json<{ status: number }[]>()
    expect(asc.map((r) => r.status)).toEqual([8, 8, 7])
    const newest = (await call(sim, 'GET', `/qrs/executionresult/full?${filter}&orderby=${q('startTime desc')}`)).json<{ status: number }[]>()
    expect(newest.map((r) => r.status)).toEqual([7, 8, 8])
  })

  it('every list route sorts, by nested fields too; a bad expression is 400', async () => {
    const names = (await call(sim, 'GET', `/qrs/reloadtask?orderby=${q('name desc')}`)).json<{ name: string }[]>().map((t) => t.name)
    expect(names).toEqual([...names].sort((a, b) => b.toLowerCase().localeCompare(a.toLowerCase())))
    expect((await call(sim, 'GET', `/qrs/reloadtask/full?orderby=${q('app.name asc, name asc')}`)).status).toBe(200)
    const bad = await call(sim, 'GET', `/qrs/app?orderby=${q('name sideways')}`)
    expect(bad.status).toBe(400)
    expect(bad.body).toMatch(/orderby/)
  })
})

describe('tasks', () => {
  it('a preload task (type 4) is in /qrs/task lists only', async () => {
    expect((await call(sim, 'GET', '/qrs/task')).json<{ id: string }[]>().map((t) => t.id)).toContain(preload)
    expect((await call(sim, 'GET', '/qrs/reloadtask/full')).json<{ id: string }[]>().map((t) => t.id)).not.toContain(preload)
    expect((await call(sim, 'GET', '/qrs/externalprogramtask/full')).json<{ id: string }[]>().map((t) => t.id)).not.toContain(preload)
  })

  it("a never-run task's lastExecutionResult is an entity of its own (NeverStarted)", async () => {
    const task = (await call(sim, 'GET', `/qrs/reloadtask/${ids.disabled}`)).json()
    expect(task).not.toHaveProperty('timeToLive')
    const res = await call(sim, 'GET', `/qrs/executionresult/${task.operational.lastExecutionResult.id}`)
    expect(res.status).toBe(200)
    expect(res.json()).toMatchObject({ status: 0, taskID: ids.disabled })
  })

  it('nullTags: tags null', async () => {
    sim.switches.nullTags = true
    try {
      expect((await call(sim, 'GET', `/qrs/reloadtask/${ids.long}`)).json().tags).toBeNull()
    } finally {
      sim.switches.nullTags = false
    }
  })

  it('POST /qrs/reloadtask/create: the task with its trigger and schedule; the trigger fires and counts', async () => {
    const bundle = {
      task: { name: 'After Sales, created', app: { id: appId }, taskType: 0, enabled: true, taskSessionTimeout: 1440, maxRetries: 0 },
      compositeEvents: [
        {
          name: 'After Reload Sales',
          enabled: true,
          eventType: 1,
          timeConstraint: { days: 0, hours: 0, minutes: 360, seconds: 0 },
          compositeRules: [{ ruleState: 1, reloadTask: { id: ids.quoted } }]
        }
      ],
      schemaEvents: [{ name: 'Nightly', enabled: true, eventType: 0, timeZone: 'UTC', startDate: '2026-01-01T02:00:00.000Z', incrementOption: 2 }]
    }
    const created = await call(sim, 'POST', '/qrs/reloadtask/create', { body: JSON.stringify(bundle) })
    expect(created.status).toBe(201)
    const task = created.json()
    expect(task).toMatchObject({ name: 'After Sales, created', app: { id: appId }, schemaPath: 'ReloadTask' })
    const [event] = (await call(sim, 'GET', `/qrs/compositeevent/full?filter=${q(`reloadTask.id eq ${task.id}`)}`)).json<any[]>()
    expect(event.operational.timesTriggered).toBe(0)
    expect(event.compositeRules[0].operational).toMatchObject({ currentState: 0, timeStamp: '1753-01-01T00:00:00.000Z' })
    expect((await call(sim, 'GET', `/qrs/schemaevent/full?filter=${q(`reloadTask.id eq ${task.id}`)}`)).json<any[]>()).toHaveLength(1)
    await runToEnd(ids.quoted)
    await waitFor(async () => (sim.startCount(task.id) === 1 ? true : undefined))
    const fired = (await call(sim, 'GET', `/qrs/compositeevent/${event.id}`)).json()
    expect(fired.operational.timesTriggered).toBe(1)
    expect(fired.compositeRules[0].operational.currentState).toBe(1)
    expect(Date.parse(fired.compositeRules[0].operational.timeStamp)).toBeGreaterThan(Date.now() - 60_000)
    expect((await call(sim, 'POST', '/qrs/reloadtask/create', { body: JSON.stringify({ task: { name: 'x', app: { id: ids.success } } }) })).status).toBe(400)
  })
})

describe('other routes', () => {
  it('PUT /qrs/app/{id} updates; an older modifiedDate is 409', async () => {
    const app = (await call(sim, 'GET', `/qrs/app/${appId}`)).json()
    await sleep(5)
    const put = await call(sim, 'PUT', `/qrs/app/${appId}`, { body: JSON.stringify({ ...app, description: 'new' }) })
    expect(put.status).toBe(200)
    expect(put.json()).toMatchObject({ id: appId, description: 'new' })
    expect(Date.parse(put.json().modifiedDate)).toBeGreaterThan(Date.parse(app.modifiedDate))
    expect((await call(sim, 'PUT', `/qrs/app/${appId}`, { body: JSON.stringify({ ...app, description: 'stale' }) })).status).toBe(409)
  })

  it('/qrs/user[/full|/count|/{id}] and /qrs/about/api/description', async () => {
    const users = (await call(sim, 'GET', '/qrs/user/full')).json<any[]>()
    expect(users.map((u) => `${u.userDirectory}\\${u.userId}`)).toContain('CORP\\limited')
    expect((await call(sim, 'GET', `/qrs/user/${users[0].id}`)).json()).toMatchObject({ userId: users[0].userId, schemaPath: 'User' })
    expect((await call(sim, 'GET', `/qrs/user/count?filter=${q('inactive eq true')}`)).json()).toEqual({ value: 1 })
    const lines = (await call(sim, 'GET', '/qrs/about/api/description?method=POST')).json<string[]>()
    expect(lines).toContain('POST /qrs/reloadtask/create')
    expect(lines.every((l) => l.startsWith('POST '))).toBe(true)
  })

  it('security rules: hidden tasks are left out of lists (with their results), denied ones answer 403', async () => {
    const seen = (await call(sim, 'GET', '/qrs/reloadtask', { headers: limited })).json<{ id: string }[]>().map((t) => t.id)
    expect(seen).not.toContain(ids.failure)
    expect(seen).toContain(ids.success)
    expect((await call(sim, 'GET', `/qrs/reloadtask/${ids.failure}`, { headers: limited })).status).toBe(404)
    expect((await call(sim, 'POST', `/qrs/task/start/synchronous?name=${q('Reload Broken')}`, { headers: limited })).status).toBe(400)
    await runToEnd(ids.failure)
    const results = (await call(sim, 'GET', `/qrs/executionresult/full?filter=${q(`taskID eq ${ids.failure}`)}`, { headers: limited })).json<unknown[]>()
    expect(results).toEqual([])
    const refused = await call(sim, 'POST', `/qrs/task/${ids.success}/start/synchronous`, { headers: limited })
    expect(refused.status).toBe(403)
    expect(refused.contentType).toMatch(/^text\/plain/)
    expect((await call(sim, 'POST', `/qrs/task/${ids.success}/stop`, { headers: limited })).status).toBe(403)
  })
})

describe('ExecutionSession', () => {
  it('executingNode is a condensed scheduler service, user a string', async () => {
    const sessionId = (await call(sim, 'POST', `/qrs/task/${ids.long}/start/synchronous`)).json().value
    const session = (await call(sim, 'GET', `/qrs/executionsession/${sessionId}`)).json()
    expect(session.executingNode).toEqual({ id: sim.state.schedulerId, privileges: null })
    expect(session.user).toBe('INTERNAL\\sa_repository')
    await call(sim, 'POST', `/qrs/task/${ids.long}/stop`)
  })
})
