/**
 * The simulator and the action against Qlik's published Repository API definition (QRS_SPEC, the
 * Swagger 2.0 "Repository Main API"): every request the action sends must be a declared path,
 * method and parameter set, and every JSON answer it gets must fit the declared schema for that
 * route and status. Skipped, with the reason, when the definition is not there (a user's clone).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulator, type RecordedRequest, type Simulator } from '../../simulator/src/index.js'
import type { Scenario } from '../../simulator/src/index.js'
import { runAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { loadQrsSpec, type QrsSpec } from '../../simulator/__tests__/qrs-spec.js'
import { IDS, certificateInputs, testSite } from '../helpers/site.js'
import { freePort } from '../helpers/tinyproxy.js'
import { call } from '../../simulator/__tests__/helpers.js'
import { noteSkipped } from '../../simulator/__tests__/skipped.js'

const { spec, reason } = loadQrsSpec()
if (!spec) noteSkipped('__tests__/e2e/qrs-definition.test.ts (the action and the simulator against the QRS definition)', reason ?? '')
const describeWithSpec = spec ? describe : describe.skip

const EXTRA = {
  program: 'e1000000-0000-4000-8000-000000000001',
  chained: 'e1000000-0000-4000-8000-000000000002',
  preload: 'e1000000-0000-4000-8000-000000000003',
  joint: 'e1000000-0000-4000-8000-000000000004',
  event: 'e1000000-0000-4000-8000-000000000011',
  jointEvent: 'e1000000-0000-4000-8000-000000000012'
}

/** The e2e site plus what the remaining routes need: an external program task, chains, a preload task. */
function site(): Scenario {
  const base = testSite()
  return {
    ...base,
    tasks: [
      ...(base.tasks ?? []),
      { id: EXTRA.program, name: 'Copy exports', taskType: 1, path: 'C:\\Scripts\\copy.cmd', runs: [{ attempts: [{ outcome: 7, durationMs: 200 }] }] },
      { id: EXTRA.chained, name: 'Reload after Sales', appId: IDS.appFinance, runs: [{ attempts: [{ outcome: 7, durationMs: 200 }] }] },
      { id: EXTRA.joint, name: 'Reload after both', appId: IDS.appFinance, runs: [{ attempts: [{ outcome: 7, durationMs: 200 }] }] },
      // Newer servers list preload tasks (taskType 4) under /qrs/task; the definition (38.22) does not know the type.
      { id: EXTRA.preload, name: 'Preload Sales', taskType: 4 }
    ],
    compositeEvents: [
      { id: EXTRA.event, name: 'After Sales', rules: [{ taskId: IDS.ok, ruleState: 1 }], downstreamTaskId: EXTRA.chained },
      // Two rules: the chain follower reads the other rule's own state (GET /qrs/compositeevent/{id}).
      {
        id: EXTRA.jointEvent,
        name: 'After Sales and Finance',
        rules: [
          { taskId: IDS.ok, ruleState: 1 },
          { taskId: IDS.fail, ruleState: 2 }
        ],
        downstreamTaskId: EXTRA.joint
      }
    ]
  }
}

let sim: Simulator
const runnerTemp = mkdtempSync(join(tmpdir(), 'qrs-definition-'))

beforeAll(async () => {
  if (!spec) return
  sim = await startSimulator({ scenario: site(), certsDir: testCertificates().dir, quiet: true, recordAnswers: true })
})
afterAll(async () => sim?.close())

/** The action's runs below, and which recorded requests each one made. */
const actionRequests: RecordedRequest[] = []

async function act(inputs: Record<string, string>): Promise<{ code: number | null; stdout: string; outputs: Record<string, string> }> {
  const from = sim.requests.length
  const run = await runAction(certificateInputs(sim, inputs), { env: { RUNNER_TEMP: runnerTemp } })
  actionRequests.push(...sim.requests.slice(from))
  return run
}

function problemsOf(s: QrsSpec, requests: RecordedRequest[]): string[] {
  const problems: string[] = []
  for (const r of requests) {
    problems.push(...s.checkRequest(r.method, r.path, r.query, r.body !== undefined))
    // Error answers are text (protocol doc 1); the definition declares success answers only.
    if (r.status >= 200 && r.status < 300) problems.push(...s.checkAnswer(r.method, r.path, r.status, r.answer))
  }
  return [...new Set(problems)]
}

describeWithSpec(`the QRS definition (${spec?.version ?? 'absent'})`, () => {
  it('the action, run the ways users run it, sends only declared requests and gets only answers that fit the schemas', async () => {
    const s = spec as QrsSpec
    const port = await freePort()
    // A reload with push wake-ups and the log always fetched: about, reloadtask/full, notification, start, session, results, script log.
    const ok = await act({
      'task-id': IDS.ok,
      'script-log': 'always',
      'notify-listen': `127.0.0.1:${port}`,
      'notify-url': `http://127.0.0.1:${port}/qlik-notify`,
      'wait-for-chain': 'true'
    })
    expect(ok.outputs.status).toBe('FinishedSuccess')
    // A failed reload on a server without the newer script log route, by name.
    sim.switches.scriptLogRoutes = 'legacy'
    const failed = await act({ 'task-name': 'Reload Finance' })
    sim.switches.scriptLogRoutes = 'both'
    expect(failed.code).toBe(1)
    expect(failed.outputs['script-log-path']).toBeTruthy()
    // An app reload, an external program task, a retried task.
    expect((await act({ 'app-id': IDS.appSales })).outputs.status).toBe('FinishedSuccess')
    expect((await act({ 'task-name': 'Copy exports' })).outputs.status).toBe('FinishedSuccess')
    expect((await act({ 'task-id': IDS.retry })).outputs.status).toBe('FinishedSuccess')
    // A timeout that stops the task; then a start while it is running that waits for it.
    expect((await act({ 'task-id': IDS.slow, timeout: '2s', 'stop-on-timeout': 'true' })).code).toBe(1)
    sim.startTask(IDS.long)
    expect((await act({ 'task-id': IDS.long, 'if-running': 'attach' })).outputs.status).toBe('FinishedSuccess')

    const templates = new Set(actionRequests.map(r => `${r.method} ${s.match(r.method, r.path.slice(r.path.toLowerCase().indexOf('/qrs/') + 4))?.template ?? r.path}`))
    for (const route of [
      'GET /reloadtask/full',
      'GET /externalprogramtask/full',
      'GET /app/{id}',
      'POST /task/{id}/start/synchronous',
      'POST /app/{id}/reload',
      'POST /task/{id}/stop',
      'GET /executionsession/{id}',
      'GET /executionsession/full',
      'GET /executionresult/full',
      'GET /compositeevent/full',
      'GET /compositeevent/{id}',
      'POST /notification',
      'DELETE /notification',
      'GET /reloadtask/{reloadtaskid}/scriptlogfile',
      'GET /reloadtask/{reloadtaskid}/scriptlog',
      'GET /download/reloadtask/{downloadticketid}/{localfilename}'
    ]) {
      expect(templates).toContain(route)
    }
    expect(problemsOf(s, actionRequests)).toEqual([])
  })

  it('every other route the simulator serves answers what the definition declares', async () => {
    const s = spec as QrsSpec
    const from = sim.requests.length
    const q = (f: string): string => encodeURIComponent(f)
    const get = async (path: string): Promise<any> => (await call(sim, 'GET', path)).json()
    for (const entity of ['reloadtask', 'externalprogramtask', 'task', 'app', 'executionresult', 'executionsession', 'compositeevent', 'schemaevent', 'user']) {
      await get(`/qrs/${entity}`)
      await get(`/qrs/${entity}/full?orderby=${q('modifiedDate desc')}`)
      // The definition has no /task/count.
      if (entity !== 'task') await get(`/qrs/${entity}/count`)
    }
    await get('/qrs/about/api/enums')
    await get('/qrs/about/api/description?method=GET')
    const [user] = await get('/qrs/user')
    await get(`/qrs/user/${user.id}`)
    const neverRun = (await get(`/qrs/reloadtask/${IDS.disabled}`)).operational.lastExecutionResult.id
    await get(`/qrs/executionresult/${neverRun}`)
    await get(`/qrs/compositeevent/${EXTRA.event}`)
    await get(`/qrs/externalprogramtask/${EXTRA.program}`)
    await get(`/qrs/app/${IDS.appSales}`)
    const app = await get(`/qrs/app/${IDS.appFinance}`)
    const put = await call(sim, 'PUT', `/qrs/app/${IDS.appFinance}`, { body: JSON.stringify({ ...app, description: 'Checked against the definition' }) })
    expect(put.status).toBe(200)
    const bundle = {
      task: { name: 'Created by a bundle', app: { id: IDS.appSales }, taskType: 0, enabled: true, taskSessionTimeout: 1440, maxRetries: 0 },
      compositeEvents: [
        {
          name: 'After Finance',
          enabled: true,
          eventType: 1,
          timeConstraint: { days: 0, hours: 0, minutes: 360, seconds: 0 },
          compositeRules: [{ ruleState: 1, reloadTask: { id: IDS.fail } }]
        }
      ],
      schemaEvents: [
        {
          name: 'Daily',
          enabled: true,
          eventType: 0,
          timeZone: 'Europe/Stockholm',
          daylightSavingTime: 0,
          startDate: '2026-01-01T03:00:00.000Z',
          expirationDate: '9999-01-01T00:00:00.000Z',
          schemaFilterDescription: ['* * - * * * * *'],
          incrementDescription: '0 0 1 0',
          incrementOption: 2
        }
      ]
    }
    const created = await call(sim, 'POST', '/qrs/reloadtask/create', { body: JSON.stringify(bundle) })
    expect(created.status).toBe(201)
    await get(`/qrs/schemaevent/full?filter=${q(`reloadTask.id eq ${created.json().id}`)}`)
    const handle = await call(sim, 'POST', '/qrs/notification?name=ExecutionResult&changetype=2', { body: JSON.stringify('http://127.0.0.1:9/x') })
    await call(sim, 'DELETE', `/qrs/notification?handle=${handle.json().value}`)

    const requests = sim.requests.slice(from)
    expect(requests.filter(r => r.status >= 400).map(r => `${r.method} ${r.path} ${r.status}`)).toEqual([])
    // The preload task (type 4) is newer than the definition: the only difference, and a known one.
    const problems = problemsOf(s, requests)
    expect(problems.filter(p => !/^GET \/task(\/full)? 200: \/\d+\/taskType must be equal to one of the allowed values/.test(p))).toEqual([])
    expect(problems.length).toBeGreaterThan(0)
  })

  it("the notification handle as the definition types it (a bare string), behind the simulator's switch", async () => {
    const s = spec as QrsSpec
    sim.switches.notificationHandle = 'string'
    try {
      const res = await call(sim, 'POST', '/qrs/notification?name=ExecutionResult', { body: JSON.stringify('http://127.0.0.1:9/x') })
      expect(s.checkAnswer('POST', '/qrs/notification', res.status, res.json(), { primitive: 'bare' })).toEqual([])
      expect(s.checkAnswer('POST', '/qrs/notification', res.status, res.json())).not.toEqual([])
    } finally {
      sim.switches.notificationHandle = 'value'
    }
  })

  it('the checker refuses what the definition does not declare (it can fail)', () => {
    const s = spec as QrsSpec
    expect(s.checkRequest('GET', '/qrs/reloadtask/full', 'filter=x&sortby=name', false)).toEqual(["GET /reloadtask/full: query parameter 'sortby' is not declared"])
    expect(s.checkRequest('GET', '/qrs/reloadtask/not-a-guid/scriptlogfile', 'executionResultId=x', false).length).toBe(2)
    expect(s.checkRequest('POST', '/qrs/task/start/everything', '', false)).toHaveLength(1)
    expect(
      s.checkAnswer('GET', '/qrs/about', 200, {
        buildVersion: '1',
        buildDate: 'x',
        databaseProvider: 'x',
        nodeType: 1,
        sharedPersistence: true,
        requiresBootstrap: false,
        singleNodeOnly: false,
        invented: 1
      })
    ).toHaveLength(1)
    const wrong = s.checkAnswer('GET', '/qrs/executionresult/full', 200, [{ id: 'not-a-guid', status: 15 }]).join('\n')
    expect(wrong).toMatch(/\/0\/id must match format "uuid"/)
    expect(wrong).toMatch(/\/0\/status must be equal to one of the allowed values/)
    expect(s.checkAnswer('POST', '/qrs/task/00000000-0000-0000-0000-000000000000/start/synchronous', 201, '00000000-0000-0000-0000-000000000000')).toHaveLength(1)
  })
})
