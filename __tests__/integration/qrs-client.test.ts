import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { certificateAuth } from '../../src/auth/certificate.js'
import { QrsApi } from '../../src/qrs/api.js'
import { QrsClient } from '../../src/qrs/client.js'
import { ConnectionError, QrsError, UnexpectedAnswer } from '../../src/util/errors.js'
import { systemClock } from '../../src/util/clock.js'
import { startTask } from '../../src/reload/start.js'
import { findTask, findTasks } from '../../src/reload/find-task.js'
import { waitForExecution } from '../../src/reload/wait.js'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { testCertificates } from '../helpers/certs.js'
import { IDS, testSite } from '../helpers/site.js'

const APP = '5f0c2b8e-1d0e-4f5e-9d7a-0a1b2c3d4e01'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

let sim: Simulator
const clients: QrsClient[] = []

beforeAll(async () => {
  const certs = testCertificates()
  sim = await startSimulator({ scenario: testSite(), certsDir: certs.dir, quiet: true })
})
afterAll(async () => {
  for (const client of clients) client.dispose()
  await sim.close()
})

function client(url = sim.url, overrides: { ca?: string; user?: string; requestTimeoutMs?: number } = {}): QrsApi {
  const site = { url: new URL(url), userAgent: 'test (Windows)', log: new FakeToolkit() }
  const c = new QrsClient({
    ...site,
    auth: certificateAuth(
      { cert: readFileSync(sim.certs.clientCert, 'utf8'), key: readFileSync(sim.certs.clientKey, 'utf8') },
      overrides.user ?? 'UserDirectory=INTERNAL; UserId=sa_api',
      site
    ),
    tls: { ca: overrides.ca ?? readFileSync(sim.certs.ca, 'utf8'), insecure: false },
    requestTimeoutMs: overrides.requestTimeoutMs
  })
  clients.push(c)
  return new QrsApi(c)
}

describe('QrsApi against the simulator', () => {
  it('reads /qrs/about', async () => {
    const about = await client().about()
    expect(about.buildVersion).toBeTruthy()
  })

  it('finds tasks by id and by names that need escaping', async () => {
    const api = client()
    expect((await findTask(api, { taskId: IDS.fail })).name).toBe('Reload Finance')
    expect((await findTask(api, { taskName: "Reload O'Brien Ümsätze" })).id).toBe(IDS.quote)
    // QRS compares case-insensitively.
    expect((await findTask(api, { taskName: 'reload sales' })).id).toBe(IDS.ok)
    await expect(findTask(api, { taskName: 'Reload & Co #1' })).rejects.toThrow(/No task named 'Reload & Co #1'/)
  })

  it('starts a task once and waits for that execution', async () => {
    const api = client()
    const task = await findTask(api, { taskId: IDS.ok })
    const before = sim.startCount(IDS.ok)
    const executionId = await startTask(api, task, { log: new FakeToolkit(), clock: systemClock, deadline: systemClock.now() + 20_000, user: 'INTERNAL\\sa_api' })
    const outcome = await waitForExecution(api, executionId, { clock: systemClock, timeoutMs: 20_000, maxPollIntervalMs: 500 })
    expect(outcome.kind).toBe('finished')
    expect(outcome.result?.status).toBe(7)
    expect(outcome.result?.executionID?.toLowerCase()).toBe(executionId.toLowerCase())
    expect(sim.startCount(IDS.ok)).toBe(before + 1)
  })

  it('no request outlives its limits: request-timeout, a call’s own limit (never above it), the call’s deadline', async () => {
    const session = /^\/qrs\/executionsession\/[0-9a-f-]{36}$/i
    const id = 'a1000000-0000-4000-8000-00000000d41b'
    const took = async (read: () => Promise<unknown>): Promise<number> => {
      const started = performance.now()
      await expect(read()).rejects.toThrow(/did not answer in time/)
      return performance.now() - started
    }
    sim.faults.add({ method: 'GET', path: session, times: Infinity, action: { kind: 'drip', ms: 1_000 } })
    try {
      const api = client(sim.url, { requestTimeoutMs: 600 }).with({ retries: 0 })
      expect(await took(() => api.executionSession(id))).toBeLessThan(1_500)
      // A call's own limit may be lower than request-timeout, never higher.
      expect(await took(() => client(sim.url, { requestTimeoutMs: 20_000 }).with({ retries: 0, timeoutMs: 400 }).executionSession(id))).toBeLessThan(1_300)
      expect(await took(() => api.with({ timeoutMs: 20_000 }).executionSession(id))).toBeLessThan(1_500)
      // Retries stop at the deadline; the last look there gets a second.
      const bounded = client(sim.url, { requestTimeoutMs: 20_000 }).with({ deadline: systemClock.now() + 2_000 })
      const elapsed = await took(() => bounded.executionSession(id))
      expect(elapsed).toBeGreaterThan(1_900)
      expect(elapsed).toBeLessThan(4_000)
      // A read that keeps timing out is tried three times, not six: each try costs a whole request-timeout.
      const before = sim.requests.filter(r => session.test(r.path)).length
      const slow = await took(() => client(sim.url, { requestTimeoutMs: 600 }).executionSession(id))
      expect(sim.requests.filter(r => session.test(r.path)).length - before).toBe(3)
      expect(slow).toBeLessThan(3 * 600 + 1_000 + 2_000 + 1_500)
    } finally {
      sim.faults.clear()
    }
  })

  it('checks every answer at the door: a wrong type, or another entity than the one asked for, is unexpected', async () => {
    sim.faults.add({ method: 'GET', path: `/qrs/app/${APP}`, action: { kind: 'rewrite', set: { id: 'a1000000-0000-4000-8000-000000000001' } } })
    sim.faults.add({ method: 'GET', path: '/qrs/reloadtask/full', action: { kind: 'rewrite', set: { enabled: 'yes' } } })
    try {
      await expect(client().app(APP)).rejects.toThrow(
        new RegExp(`^The server answered something unexpected to GET /qrs/app/${APP}: id is a1000000-0000-4000-8000-000000000001, not the ${APP} asked for`)
      )
      const error = (await client()
        .reloadTasks("name eq 'Reload Sales'")
        .catch((e: unknown) => e)) as UnexpectedAnswer
      expect(error).toBeInstanceOf(UnexpectedAnswer)
      expect(error.message).toBe('The server answered something unexpected to GET /qrs/reloadtask/full: [0].enabled is a string, not true or false')
    } finally {
      sim.faults.clear()
    }
  })

  it("reads several executions, and several tasks' recent runs, in one request each (or-chains), and falls back to one each on a refusal", async () => {
    const api = client()
    const tasks = [IDS.ok, IDS.quote]
    const ids: string[] = []
    for (const id of tasks)
      ids.push(
        await startTask(api, await findTask(api, { taskId: id }), { log: new FakeToolkit(), clock: systemClock, deadline: systemClock.now() + 20_000, user: 'INTERNAL\\sa_api' })
      )
    const from = sim.requests.length
    const running = await api.executionSessionsOf(ids)
    expect(running.map(s => s.id.toLowerCase()).sort()).toEqual(ids.map(id => id.toLowerCase()).sort())
    for (const id of ids) await waitForExecution(api, id, { clock: systemClock, timeoutMs: 20_000, maxPollIntervalMs: 300 })
    const from2 = sim.requests.length
    expect(await api.executionSessionsOf(ids)).toEqual([])
    const results = await api.executionResultsOf(ids)
    expect(new Set(results.map(r => r.executionID?.toLowerCase()))).toEqual(new Set(ids.map(id => id.toLowerCase())))
    const since = '2000-01-01T00:00:00.000Z'
    const recent = await api.recentRunsOf(tasks.map(taskId => ({ taskId, sinceIso: since })))
    expect(new Set(recent.map(r => r.taskID?.toLowerCase()))).toEqual(new Set(tasks))
    expect(recent.every(r => r.status === 7)).toBe(true)
    const batched = sim.requests.slice(from2).map(r => `${r.path} ${new URLSearchParams(r.query).get('filter')}`)
    expect(batched).toEqual([
      `/qrs/executionsession/full id eq ${ids[0]} or id eq ${ids[1]}`,
      `/qrs/executionresult/full ExecutionId eq ${ids[0]} or ExecutionId eq ${ids[1]}`,
      `/qrs/executionresult/full Status eq 7 and ((TaskID eq ${tasks[0]} and StartTime ge '${since}') or (TaskID eq ${tasks[1]} and StartTime ge '${since}'))`
    ])
    expect(sim.requests[from].path).toBe('/qrs/executionsession/full')
    // A server that refuses the batched filter: one read per task (condensed), each still naming its task.
    sim.faults.add({ method: 'GET', path: '/qrs/executionresult/full', times: 1, action: { kind: 'status', status: 400, body: 'Cannot parse the expression' } })
    const again = await api.recentRunsOf(tasks.map(taskId => ({ taskId, sinceIso: since })))
    expect(new Set(again.map(r => r.taskID?.toLowerCase()))).toEqual(new Set(tasks))
    expect(sim.requests.slice(-2).map(r => r.path)).toEqual(['/qrs/executionresult', '/qrs/executionresult'])
  })

  it('the batched reads and the lookup of several tasks take only what was asked for, and check its shape', async () => {
    const api = client()
    const log = new FakeToolkit()
    const start = async (taskId: string) =>
      startTask(api, await findTask(api, { taskId }), { log, clock: systemClock, deadline: systemClock.now() + 20_000, user: 'INTERNAL\\sa_api' })
    const ours = [await start(IDS.ok), await start(IDS.quote)]
    // Another execution runs beside them: a proxy that drops `filter` answers it too.
    await start(IDS.slow)
    const lower = (ids: (string | undefined)[]) => ids.map(id => id?.toLowerCase()).sort()
    const dropFilter = (path: string) => sim.faults.add({ method: 'GET', path, times: 1, action: { kind: 'drop-query', params: ['filter'] } })
    try {
      dropFilter('/qrs/executionsession/full')
      expect(lower((await api.executionSessionsOf(ours)).map(s => s.id))).toEqual(lower(ours))
      for (const id of ours) await waitForExecution(api, id, { clock: systemClock, timeoutMs: 20_000, maxPollIntervalMs: 300 })
      dropFilter('/qrs/executionresult/full')
      const results = await api.executionResultsOf(ours)
      expect(new Set(lower(results.map(r => r.executionID)))).toEqual(new Set(lower(ours)))
      dropFilter('/qrs/executionresult/full')
      const since = '2000-01-01T00:00:00.000Z'
      const recent = await api.recentRunsOf([IDS.ok, IDS.quote].map(taskId => ({ taskId, sinceIso: since })))
      expect(recent.length).toBeGreaterThan(0)
      expect(new Set(lower(recent.map(r => r.taskID)))).toEqual(new Set([IDS.ok, IDS.quote]))
      // The named tasks: each target takes only its own, one alone too.
      dropFilter('/qrs/reloadtask/full')
      const found = await findTasks(api, [{ taskId: IDS.quote }, { taskName: 'Reload Finance' }])
      expect(found.map(task => (task instanceof Error ? task.message : task.id))).toEqual([IDS.quote, IDS.fail])
      dropFilter('/qrs/reloadtask/full')
      expect((await findTask(api, { taskName: 'reload sales' })).id).toBe(IDS.ok)
      // A field of the wrong type in a batched answer: the server answered something unexpected.
      sim.faults.add({ method: 'GET', path: '/qrs/executionresult/full', times: 1, action: { kind: 'rewrite', set: { status: 'FinishedSuccess' } } })
      const error = await api.executionResultsOf(ours).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UnexpectedAnswer)
      expect((error as Error).message).toBe('The server answered something unexpected to GET /qrs/executionresult/full: [0].status is a string, not a whole number')
    } finally {
      sim.faults.clear()
    }
  })

  it('treats an ended execution session (404) as "gone", not as an error', async () => {
    expect(await client().executionSession('00000000-0000-4000-8000-00000000abcd')).toBeUndefined()
  })

  it('reports a refused user with the server text', async () => {
    const api = client(sim.url, { user: 'UserDirectory=INTERNAL: UserId=sa_api' })
    const error = (await api.about().catch(e => e)) as QrsError
    expect(error).toBeInstanceOf(QrsError)
    expect(error.status).toBe(403)
    expect(error.message).toMatch(/^GET \/qrs\/about answered 403: .*X-Qlik-User header is malformed/)
  })

  it('reports an inactive user with the server text and a hint', async () => {
    const site = testSite()
    const inactive = await startSimulator({
      scenario: { ...site, users: [...(site.users ?? []), { directory: 'INTERNAL', id: 'gone', inactive: true }] },
      certsDir: testCertificates().dir,
      quiet: true
    })
    try {
      const error = (await client(inactive.url, { user: 'UserDirectory=INTERNAL; UserId=gone' })
        .about()
        .catch(e => e)) as QrsError
      expect(error).toBeInstanceOf(QrsError)
      expect(error.status).toBe(403)
      expect(error.message).toMatch(/^GET \/qrs\/about answered 403: .*inactive/)
      expect(error.message).toMatch(/\nThe Qlik user is inactive: activate it in the QMC/)
    } finally {
      await inactive.close()
    }
  })

  it('explains a TLS failure instead of passing the raw error on', async () => {
    const error = await client(sim.url, { ca: readFileSync(sim.certs.otherCa, 'utf8') })
      .about()
      .catch(e => e)
    expect(error).toBeInstanceOf(ConnectionError)
    expect(error.message).toMatch(/ca-cert/)
  })
})

describe('QrsClient against a server that is not the QRS', () => {
  let server: Server
  let url: string
  beforeAll(async () => {
    const certs = testCertificates()
    server = createServer({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) }, (req, res) => {
      if (req.url?.startsWith('/qrs/about')) {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body><form>Log in</form></body></html>')
      } else {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Authentication error: Restart the browser.')
      }
    })
    await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
    url = `https://localhost:${(server.address() as AddressInfo).port}`
  })
  afterAll(
    () =>
      new Promise<void>(done => {
        server.closeAllConnections()
        server.close(() => done())
      })
  )

  it('refuses HTML in a 2xx answer and says what it probably is', async () => {
    const error = (await client(url)
      .about()
      .catch(e => e)) as QrsError
    expect(error).toBeInstanceOf(QrsError)
    expect(error.message).toMatch(/answered something unexpected to GET \/qrs\/about: an HTML page \(Log in\)\nExpected JSON but got an HTML page/)
  })

  it('shows the status and the text of an error body', async () => {
    const error = (await client(url)
      .reloadTasks("name eq 'x'")
      .catch(e => e)) as QrsError
    expect(error.message).toMatch(/^GET \/qrs\/reloadtask\/full answered 500: Authentication error: Restart the browser\.\nThe server lost the session/)
  })
})
