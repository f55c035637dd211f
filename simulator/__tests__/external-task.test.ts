import { describe, test, expect, beforeAll, afterAll } from '@jest/globals'
import { loadScenario, type Scenario, type Simulator, emptyGuid } from '../src/index.js'
import { call, ids, start, testCerts, testScenario, waitForSessionEnd } from './helpers.js'

const certs = testCerts('external-task')
const ext = {
  copy: 'e0000000-0000-4000-8000-000000000001',
  failing: 'e0000000-0000-4000-8000-000000000002',
  defaults: 'e0000000-0000-4000-8000-000000000003'
}

function scenario(): Scenario {
  const s = testScenario()
  s.tasks = [
    ...(s.tasks ?? []),
    {
      id: ext.copy,
      name: 'Copy files to archive',
      taskType: 1,
      path: 'C:\\Windows\\System32\\robocopy.exe',
      parameters: '\\\\fs\\exports \\\\fs\\archive *.qvd /MOV',
      runs: [{ attempts: [{ outcome: 7, durationMs: 120 }] }]
    },
    {
      id: ext.failing,
      name: 'Cleanup (fails once)',
      taskType: 1,
      maxRetries: 1,
      runs: [
        {
          attempts: [
            { outcome: 8, durationMs: 60 },
            { outcome: 7, durationMs: 60 }
          ]
        }
      ]
    },
    { id: ext.defaults, name: 'Program with defaults', taskType: 1 }
  ]
  return s
}

interface Result {
  id: string
  taskID: string
  executionID: string
  appID: string
  status: number
  createdDate: string
  fileReferenceID: string
  scriptLogAvailable: boolean
  scriptLogLocation: string
  scriptLogSize: number
  details: { message: string }[]
}

describe('external program tasks (taskType 1)', () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await start(certs, { scenario: scenario() })
  })
  afterAll(() => sim.close())

  test('listed under /qrs/externalprogramtask in condensed, full, count and by id', async () => {
    const condensed = (await call(sim, 'GET', '/qrs/externalprogramtask')).json<Record<string, unknown>[]>()
    expect(condensed.map((t) => t.id).sort()).toEqual(Object.values(ext).sort())
    expect(condensed.find((t) => t.id === ext.copy)).toEqual({
      id: ext.copy,
      privileges: null,
      name: 'Copy files to archive',
      taskType: 1,
      enabled: true,
      taskSessionTimeout: 1440,
      maxRetries: 0,
      operational: expect.objectContaining({ lastExecutionResult: expect.objectContaining({ status: 0 }) })
    })

    const full = (await call(sim, 'GET', '/qrs/externalprogramtask/full')).json<Record<string, unknown>[]>()
    expect(full).toHaveLength(3)
    const copy = full.find((t) => t.id === ext.copy)
    expect(copy).toMatchObject({
      name: 'Copy files to archive',
      taskType: 1,
      schemaPath: 'ExternalProgramTask',
      path: 'C:\\Windows\\System32\\robocopy.exe',
      parameters: '\\\\fs\\exports \\\\fs\\archive *.qvd /MOV',
      operational: { lastExecutionResult: { status: 0 } }
    })
    expect(copy).not.toHaveProperty('app')
    expect(full.find((t) => t.id === ext.defaults)).toMatchObject({ path: 'C:\\Scripts\\run.cmd', parameters: '' })

    expect((await call(sim, 'GET', '/qrs/externalprogramtask/count')).json()).toEqual({ value: 3 })
    const one = await call(sim, 'GET', `/qrs/externalprogramtask/${ext.copy.toUpperCase()}`)
    expect(one.status).toBe(200)
    expect(one.json()).toMatchObject({ id: ext.copy, schemaPath: 'ExternalProgramTask' })

    const filtered = await call(sim, 'GET', `/qrs/externalprogramtask/full?filter=${encodeURIComponent("name sw 'copy' and path so 'robocopy'")}`)
    expect(filtered.json<{ id: string }[]>().map((t) => t.id)).toEqual([ext.copy])
    expect((await call(sim, 'GET', `/qrs/externalprogramtask?filter=${encodeURIComponent("name eq 'O''Brien'")}`)).status).toBe(400)
  })

  test('not a reload task and vice versa: 404 text', async () => {
    const a = await call(sim, 'GET', `/qrs/externalprogramtask/${ids.success}`)
    expect(a.status).toBe(404)
    expect(a.contentType).toBe('text/plain; charset=utf-8')
    expect(a.body).toBe(`Cannot find the external program task with id ${ids.success}`)
    expect((await call(sim, 'GET', `/qrs/reloadtask/${ext.copy}`)).status).toBe(404)
    const reloadTasks = (await call(sim, 'GET', '/qrs/reloadtask')).json<{ id: string }[]>()
    expect(reloadTasks.map((t) => t.id)).not.toContain(ext.copy)
  })

  test('/qrs/task lists them with taskType 1', async () => {
    const all = (await call(sim, 'GET', `/qrs/task/full?filter=${encodeURIComponent('taskType eq 1')}`)).json<{ id: string; taskType: number; schemaPath: string }[]>()
    expect(all.map((t) => t.id).sort()).toEqual(Object.values(ext).sort())
    // /qrs/task answers the generic Task shape of every type.
    expect(all.every((t) => t.schemaPath === 'Task')).toBe(true)
    const condensed = (await call(sim, 'GET', '/qrs/task')).json<{ id: string; taskType: number }[]>()
    expect(condensed.find((t) => t.id === ext.copy)?.taskType).toBe(1)
  })

  test('start/synchronous, session with externalProgramTask, result without app or script log', async () => {
    const started = await call(sim, 'POST', `/qrs/task/${ext.copy}/start/synchronous`)
    expect(started.status).toBe(201)
    const sessionId = started.json<{ value: string }>().value
    expect(sessionId).not.toBe(emptyGuid)

    const session = (await call(sim, 'GET', `/qrs/executionsession/${sessionId}`)).json()
    expect(session.reloadTask).toBeNull()
    expect(session.userSyncTask).toBeNull()
    expect(session.app).toBeNull()
    expect(session.externalProgramTask).toMatchObject({ id: ext.copy, name: 'Copy files to archive' })
    const bySession = await call(sim, 'GET', `/qrs/executionsession/full?filter=${encodeURIComponent(`externalProgramTask.id eq ${ext.copy}`)}`)
    expect(bySession.json<{ id: string }[]>().map((s) => s.id)).toEqual([sessionId])

    await waitForSessionEnd(sim, sessionId)
    const results = (await call(sim, 'GET', `/qrs/executionresult/full?filter=${encodeURIComponent(`ExecutionId eq ${sessionId}`)}`)).json<Result[]>()
    expect(results).toHaveLength(1)
    expect(results[0]).toMatchObject({
      taskID: ext.copy,
      executionID: sessionId,
      appID: emptyGuid,
      status: 7,
      fileReferenceID: emptyGuid,
      scriptLogAvailable: false,
      scriptLogSize: 0,
      scriptLogLocation: ''
    })
    expect(results[0].details.map((d) => d.message)).not.toContain('Reference to scriptlog added')
    expect(results[0].details.map((d) => d.message)).toContain('Changing task state from Started to FinishedSuccess')

    const task = (await call(sim, 'GET', `/qrs/externalprogramtask/${ext.copy}`)).json()
    expect(task.operational.lastExecutionResult).toMatchObject({ id: results[0].id, status: 7 })
    expect(sim.startCount(ext.copy)).toBe(1)

    // No script log for it: the reload task routes do not know it.
    expect((await call(sim, 'GET', `/qrs/reloadtask/${ext.copy}/scriptlogfile?executionResultId=${results[0].id}`)).status).toBe(404)
  })

  test('start by name, retries like any task', async () => {
    const started = await call(sim, 'POST', `/qrs/task/start/synchronous?name=${encodeURIComponent('cleanup (FAILS once)')}`)
    expect(started.status).toBe(201)
    const sessionId = started.json<{ value: string }>().value
    await waitForSessionEnd(sim, sessionId)
    const results = (await call(sim, 'GET', `/qrs/executionresult/full?filter=${encodeURIComponent(`ExecutionId eq ${sessionId}`)}`))
      .json<Result[]>()
      .sort((a, b) => a.createdDate.localeCompare(b.createdDate))
    expect(results.map((r) => r.status)).toEqual([8, 7])
    expect(results.every((r) => r.appID === emptyGuid && r.fileReferenceID === emptyGuid)).toBe(true)
  })

  test('startTask works for them too (as INTERNAL\\sa_scheduler)', async () => {
    const id = sim.startTask(ext.defaults)
    expect(id).not.toBe(emptyGuid)
    const session = (await call(sim, 'GET', `/qrs/executionsession/${id}`)).json()
    expect(session.externalProgramTask).toMatchObject({ id: ext.defaults })
    expect(session.user).toBe('INTERNAL\\sa_scheduler')
    await waitForSessionEnd(sim, id)
  })

  test('demo.json has "Copy files to archive"', () => {
    const demo = loadScenario('simulator/scenarios/demo.json')
    expect(demo.tasks?.find((t) => t.name === 'Copy files to archive')).toMatchObject({ taskType: 1 })
  })
})
