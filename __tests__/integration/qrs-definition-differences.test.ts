/**
 * The client against what comparing the simulator with Qlik's QRS definition and live captures
 * found (docs/qrs-protocol.md, "Checked against Qlik's definition"): each variant is a simulator
 * switch or scenario data, and the action's own modules must cope with it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { certificateAuth } from '../../src/auth/certificate.js'
import { followChain } from '../../src/chain/follow.js'
import { QrsApi } from '../../src/qrs/api.js'
import { QrsClient } from '../../src/qrs/client.js'
import { systemClock } from '../../src/util/clock.js'
import { startTask } from '../../src/reload/start.js'
import { findTask } from '../../src/reload/find-task.js'
import { waitForExecution } from '../../src/reload/wait.js'
import { saveScriptLog } from '../../src/scriptlog/fetch.js'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import type { Scenario } from '../../simulator/src/index.js'
import { testCertificates } from '../helpers/certs.js'
import { IDS, testSite } from '../helpers/site.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

const PROGRAM = 'f1000000-0000-4000-8000-000000000001'
const AFTER_BOTH = 'f1000000-0000-4000-8000-000000000002'
const LIMITED = 'UserDirectory=CORP; UserId=limited'

function site(): Scenario {
  const base = testSite()
  return {
    ...base,
    tasks: [
      ...(base.tasks ?? []),
      { id: PROGRAM, name: 'Copy exports', taskType: 1, runs: [{ attempts: [{ outcome: 7, durationMs: 100 }] }] },
      { id: AFTER_BOTH, name: 'Reload after both', appId: IDS.appFinance, runs: [{ attempts: [{ outcome: 7, durationMs: 100 }] }] }
    ],
    compositeEvents: [
      {
        id: 'f1000000-0000-4000-8000-000000000011',
        name: 'After Sales and the copy',
        rules: [
          { taskId: IDS.ok, ruleState: 1 },
          { taskId: PROGRAM, ruleState: 1 }
        ],
        downstreamTaskId: AFTER_BOTH
      }
    ],
    users: [...(base.users ?? []), { directory: 'CORP', id: 'limited', hiddenTasks: [IDS.fail], deniedTasks: [IDS.quote] }]
  }
}

let sim: Simulator
const clients: QrsClient[] = []
const dir = mkdtempSync(join(tmpdir(), 'qrs-differences-'))

beforeAll(async () => {
  sim = await startSimulator({ scenario: site(), certsDir: testCertificates().dir, quiet: true, switches: { chainDelayMs: 50 } })
})
afterAll(async () => {
  for (const c of clients) c.dispose()
  await sim.close()
})

function client(user = 'UserDirectory=INTERNAL; UserId=sa_api'): QrsApi {
  const site = { url: new URL(sim.url), userAgent: 'test', log: new FakeToolkit() }
  const c = new QrsClient({
    ...site,
    auth: certificateAuth({ cert: readFileSync(sim.certs.clientCert, 'utf8'), key: readFileSync(sim.certs.clientKey, 'utf8') }, user, site),
    tls: { ca: readFileSync(sim.certs.ca, 'utf8'), insecure: false }
  })
  clients.push(c)
  return new QrsApi(c)
}

async function reload(api: QrsApi, taskId: string) {
  const task = await findTask(api, { taskId })
  const executionId = await startTask(api, task, { log: new FakeToolkit(), clock: systemClock, deadline: systemClock.now() + 20_000, user: 'INTERNAL\\sa_api' })
  const outcome = await waitForExecution(api, executionId, { clock: systemClock, timeoutMs: 20_000, maxPollIntervalMs: 200 })
  if (outcome.kind !== 'finished') throw new Error(`no end: ${outcome.kind}`)
  return { task, result: outcome.result }
}

describe('script logs', () => {
  it('scriptLogAvailable false with a file reference set: the log is fetched anyway', async () => {
    sim.switches.scriptLogAvailableFalse = true
    try {
      const api = client()
      const { result } = await reload(api, IDS.fail)
      expect(result).toMatchObject({ scriptLogAvailable: false })
      const log = await saveScriptLog(api, IDS.fail, result, { dir, clock: systemClock, maxBytes: 1024 * 1024 })
      expect(log).toMatchObject({ kind: 'saved' })
      expect(readFileSync((log as { path: string }).path, 'utf8')).toMatch(/Revenue/)
    } finally {
      sim.switches.scriptLogAvailableFalse = false
    }
  })

  for (const status of [400, 405, 500]) {
    it(`a server without .../scriptlogfile that answers it ${status}: the legacy .../scriptlog is used`, async () => {
      Object.assign(sim.switches, { scriptLogRoutes: 'legacy', scriptLogFileMissingStatus: status })
      try {
        const api = client()
        const { result } = await reload(api, IDS.fail)
        const log = await saveScriptLog(api, IDS.fail, result, { dir, clock: systemClock, maxBytes: 1024 * 1024 })
        expect(log).toMatchObject({ kind: 'saved' })
        const asked = sim.requests.filter(r => r.path === `/qrs/reloadtask/${IDS.fail}/scriptlog` && r.query.includes(result.fileReferenceID ?? '-'))
        expect(asked.map(r => r.status)).toEqual([200])
      } finally {
        Object.assign(sim.switches, { scriptLogRoutes: 'both', scriptLogFileMissingStatus: 404 })
      }
    }, 60_000)
  }
})

describe('security rules', () => {
  it('a task the user may not read is "not visible to this user"', async () => {
    await expect(findTask(client(LIMITED), { taskId: IDS.fail })).rejects.toThrow(/No task with id .* is visible to this user/)
    await expect(findTask(client(LIMITED), { taskName: 'Reload Finance' })).rejects.toThrow(/No task named 'Reload Finance' is visible to this user/)
    expect((await findTask(client(), { taskId: IDS.fail })).id).toBe(IDS.fail)
  })

  it('a task the user may read but not start: the 403 names the security rules, not the certificate', async () => {
    const api = client(LIMITED)
    const task = await findTask(api, { taskId: IDS.quote })
    const error = await startTask(api, task, { log: new FakeToolkit(), clock: systemClock, deadline: systemClock.now() + 20_000, user: 'INTERNAL\\sa_api' }).catch((e: Error) => e)
    expect(String(error)).toMatch(/answered 403/)
    expect(String(error)).toMatch(/security rules do not allow this one/)
    expect(String(error)).not.toMatch(/client certificate must be exported/)
    expect(sim.startCount(IDS.quote)).toBe(0)
  })
})

describe('task chains', () => {
  it("a rule on an external program task is judged by the rule's own state (operational.currentState)", async () => {
    const api = client()
    sim.startTask(PROGRAM)
    await new Promise(resolve => setTimeout(resolve, 600))
    const upstream = await reload(api, IDS.ok)
    const log = new FakeToolkit()
    const nodes = await followChain(api, upstream, {
      clock: systemClock,
      log,
      deadline: systemClock.now() + 20_000,
      maxPollIntervalMs: 200,
      visited: new Set(),
      claimed: new Set()
    })
    expect(nodes).toHaveLength(1)
    expect(nodes[0]).toMatchObject({ taskId: AFTER_BOTH, status: 'FinishedSuccess', failed: false })
    expect(log.log).toContainEqual(expect.stringMatching(/^Chain: '.*' started '.*' \(execution [0-9a-f-]{36}\)\.$/))
    expect(sim.requests.some(r => r.path.startsWith('/qrs/compositeevent/f1000000'))).toBe(true)
  })
})

describe('notifications', () => {
  for (const shape of ['value', 'string'] as const) {
    it(`the subscription handle answered as ${shape === 'value' ? '{"value": ...} (live servers)' : 'a bare string (the definition)'} is understood`, async () => {
      sim.switches.notificationHandle = shape
      try {
        const api = client()
        const handle = await api.subscribeToResults('TaskID eq 00000000-0000-4000-8000-000000000001', 'http://127.0.0.1:9/notify')
        expect(sim.notifications.active().find(a => a.handle === handle)).toMatchObject({ name: 'ExecutionResult', changeType: 'Update', propertyName: 'status' })
        await api.unsubscribe(handle)
        expect(sim.notifications.active().map(a => a.handle)).not.toContain(handle)
      } finally {
        sim.switches.notificationHandle = 'value'
      }
    })
  }
})
