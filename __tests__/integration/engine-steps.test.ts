/**
 * run() and post() in engine mode, in this process, against the simulator's engine: the ways a reload
 * goes, the ways an engine refuses, and what the step says about each.
 */
import { beforeAll, describe, expect, it } from '@jest/globals'
import { run } from '../../src/main.js'
import { post } from '../../src/post.js'
import { systemClock } from '../../src/util/clock.js'
import type { Simulator } from '../../simulator/src/index.js'
import { inProcessSite } from '../helpers/in-process.js'
import { APPS, ENGINE_TASKS, engineSite } from '../helpers/engine-site.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'
import { WINDOWS, certificateInputs } from '../helpers/site.js'

const site = inProcessSite(engineSite())
let sim: Simulator
let scratch: string
beforeAll(() => {
  sim = site.sim()
  scratch = site.scratch()
})

const engineInputs = (extra: Record<string, string>) => certificateInputs(sim, { 'reload-mode': 'engine', 'engine-url': sim.engineUrl, 'request-timeout': '5s', ...extra })

async function main(inputs: Record<string, string>, cancel?: AbortSignal): Promise<FakeToolkit> {
  const toolkit = new FakeToolkit(inputs)
  await run({ toolkit, clock: systemClock, cancel })
  return toolkit
}

const error = (toolkit: FakeToolkit): string => toolkit.errors()[0]?.message ?? ''

/** The engine lets go of a session a moment after the client closed it. */
async function settled(): Promise<void> {
  for (let i = 0; i < 100 && sim.engine.sessions().length > 0; i++) await new Promise(done => setTimeout(done, 20))
  expect(sim.engine.sessions()).toEqual([])
}

describe('engine mode in-process', () => {
  it('a reload with script-log: always: the progress in the log once, the log saved, the tables and the save', async () => {
    const toolkit = await main(engineInputs({ 'app-id': APPS.orders, 'script-log': 'always', 'expect-rows': 'Orders > 0' }))
    expect(toolkit.failed).toBe(false)
    expect(toolkit.log.filter(line => line === 'Orders << Orders')).toHaveLength(1)
    expect(toolkit.outputs['script-log-path']).toContain(scratch)
    expect(toolkit.groups).toEqual(expect.arrayContaining(["Reload app 'Orders' in the engine (timeout 1h)", 'Result: FinishedSuccess']))
    expect(toolkit.log).toContain('Reload:    in the engine')
    expect(toolkit.summary).toContain('<th align="left">Reload</th><td>in the engine</td>')
    await settled()
  })

  it('script-log: never: no line of the script reaches the step log, the annotation or the summary; a failed reload is not saved', async () => {
    const since = Date.now()
    const toolkit = await main(engineInputs({ 'app-id': APPS.broken, 'script-log': 'never' }))
    expect(toolkit.failed).toBe(true)
    expect(sim.engine.calls.filter(c => c.time >= since && c.method === 'DoSave')).toEqual([])
    const everything = [...toolkit.log, ...toolkit.annotations.map(a => a.message), toolkit.summary].join('\n')
    expect(everything).not.toMatch(/Revenue|Data << Data|Started loading data/)
    expect(toolkit.outputs['script-log-path']).toContain(scratch)
  })

  it('a data check that fails: the reload succeeded, the app is not saved (no DoSave), the saved tables unchanged', async () => {
    const since = Date.now()
    const saved = sim.engine.savedTables(APPS.budget)
    const toolkit = await main(engineInputs({ 'app-id': APPS.budget, 'expect-rows': 'Budget >= 1' }))
    expect(toolkit.outputs.status).toBe('FinishedSuccess')
    expect(error(toolkit)).toMatch(/table 'Budget' has 0 rows, expected >= 1\. The app was not saved/)
    expect(sim.engine.calls.filter(c => c.time >= since && c.method === 'DoSave')).toEqual([])
    expect(sim.engine.savedTables(APPS.budget)).toEqual(saved)
    expect(toolkit.log).not.toContain("App 'Budget' saved (DoSave).")
  })

  it('several apps: each its own session, lines carry the app, one summary row each with its tables', async () => {
    const toolkit = await main(engineInputs({ 'app-id': `${APPS.budget}\n${APPS.locked}` }))
    expect(toolkit.failed).toBe(false)
    expect(toolkit.log).toEqual(expect.arrayContaining([expect.stringMatching(/^\[app 'Budget'\] Tables of app 'Budget' after the reload:/)]))
    expect(toolkit.summary).toMatch(/✅ 2 Qlik Sense reloads finished/)
    expect(toolkit.summary).toMatch(/<details><summary>Tables of app &#39;Budget&#39;|<details><summary>Tables of app 'Budget'/)
    const entries = JSON.parse(toolkit.outputs.result) as { 'reload-mode': string; tables: unknown[] }[]
    expect(entries.map(e => e['reload-mode'])).toEqual(['engine', 'engine'])
    expect(entries.every(e => Array.isArray(e.tables))).toBe(true)
  })

  it('a cancel while the reload runs: CancelReload, Aborted, no save; the state leaves the post step nothing', async () => {
    const cancel = new AbortController()
    const since = Date.now()
    const pending = main(engineInputs({ 'app-id': APPS.slow }), cancel.signal)
    for (let i = 0; i < 200 && !sim.engine.calls.some(c => c.time >= since && c.method === 'DoReloadEx'); i++) await new Promise(done => setTimeout(done, 20))
    cancel.abort()
    const toolkit = await pending
    expect(error(toolkit)).toBe("The job was cancelled: stopped the engine reload of app 'Slow', now Aborted (6). The app was not saved: it keeps the data it had.")
    expect(JSON.parse(toolkit.outputs.result)).toMatchObject({ 'reload-mode': 'engine', tables: [{ name: 'Data', rows: 1000 }] })
    const after = new FakeToolkit(engineInputs({ 'app-id': APPS.slow }))
    Object.assign(after.state, toolkit.state)
    await post({ toolkit: after, clock: systemClock })
    expect(after.annotations).toEqual([])
  })

  it('a cancel while the app opens: nothing was started, the socket is closed', async () => {
    const cancel = new AbortController()
    sim.faults.add({ method: 'OpenDoc', path: `/app/${APPS.orders}`, times: 1, action: { kind: 'delay', ms: 3_000 } })
    try {
      const pending = main(engineInputs({ 'app-id': APPS.orders }), cancel.signal)
      await new Promise(done => setTimeout(done, 600))
      cancel.abort()
      const toolkit = await pending
      expect(error(toolkit)).toBe('The job was cancelled before a reload was started.')
    } finally {
      sim.faults.clear()
    }
  })

  it('the socket dropped mid-reload: the reload is lost, the step says so and nothing was saved', async () => {
    sim.faults.add({ method: 'DoReloadEx', path: `/app/${APPS.orders}`, times: 1, action: { kind: 'drop', ms: 500 } })
    try {
      const toolkit = await main(engineInputs({ 'app-id': APPS.orders }))
      expect(toolkit.failed).toBe(true)
      expect(error(toolkit)).toMatch(
        /^The engine reload of app 'Orders' was lost: .*Without its session Qlik stops the reload or runs it to its end unsaved \(not confirmed which\); nothing was saved\./
      )
    } finally {
      sim.faults.clear()
    }
  })

  it('an engine that does not answer GetProgress within request-timeout: the session is closed, the step says which call', async () => {
    sim.faults.add({ method: 'GetProgress', path: `/app/${APPS.orders}`, times: 1, action: { kind: 'delay', ms: 3_000 } })
    try {
      const toolkit = await main(engineInputs({ 'app-id': APPS.orders, 'request-timeout': '1s' }))
      expect(error(toolkit)).toMatch(/The engine did not answer GetProgress of app 'Orders' within 1 s: the session was closed\./)
    } finally {
      sim.faults.clear()
    }
  })
})

describe('engine mode: a task of the app already running (the QRS is asked first)', () => {
  it("if-running: fail refuses; wait waits for the task's run to end, then reloads", async () => {
    const executionId = sim.startTask(ENGINE_TASKS.orders)
    const refused = await main(engineInputs({ 'app-id': APPS.orders, 'if-running': 'fail' }))
    expect(error(refused)).toMatch(new RegExp(`App 'Orders' is being reloaded by task 'Reload Orders' \\(execution ${executionId}\\) and if-running is 'fail'`))
    sim.startTask(ENGINE_TASKS.orders)
    const waited = await main(engineInputs({ 'app-id': APPS.orders }))
    expect(waited.failed).toBe(false)
    expect(waited.log).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/is being reloaded by task 'Reload Orders' .*waiting for it to end before the engine reload/),
        'That run ended with FinishedSuccess (7).'
      ])
    )
  })

  it('if-running: wait never outlives timeout, not even through a session read that drips', async () => {
    const since = Date.now()
    sim.startTask(ENGINE_TASKS.orders)
    sim.faults.add({ method: 'GET', path: /^\/qrs\/executionsession\/[0-9a-f-]{36}$/, times: Infinity, action: { kind: 'drip', ms: 300 } })
    try {
      const toolkit = await main(engineInputs({ 'app-id': APPS.orders, timeout: '2s', 'request-timeout': '30s' }))
      expect(error(toolkit)).toMatch(/App 'Orders' was being reloaded by task 'Reload Orders' \(execution .*\), which did not end within the timeout; this step reloaded nothing\./)
      expect(Date.now() - since).toBeLessThan(8_000)
      expect(sim.engine.calls.filter(c => c.time >= since && c.method === 'DoReloadEx')).toEqual([])
    } finally {
      sim.faults.clear()
    }
  })

  it("a proxy that drops filter: another app's running task is not taken for one of this app", async () => {
    const since = Date.now()
    sim.startTask(ENGINE_TASKS.budget)
    sim.faults.add({ method: 'GET', path: '/qrs/executionsession/full', times: Infinity, action: { kind: 'drop-query', params: ['filter'] } })
    try {
      const toolkit = await main(engineInputs({ 'app-id': APPS.orders, 'if-running': 'fail' }))
      expect(sim.faults.applied().length).toBeGreaterThan(0)
      expect(error(toolkit)).toBe('')
      expect(sim.engine.calls.filter(c => c.time >= since && c.method === 'DoReloadEx')).toHaveLength(1)
    } finally {
      sim.faults.clear()
    }
  })

  it('the session list not served: fail refuses, wait warns and goes on', async () => {
    sim.faults.add({ method: 'GET', path: '/qrs/executionsession/full', times: Infinity, action: { kind: 'status', status: 404 } })
    try {
      const refused = await main(engineInputs({ 'app-id': APPS.budget, 'if-running': 'fail' }))
      expect(error(refused)).toMatch(/Could not check whether a task of app 'Budget' is running .*if-running is 'fail': not reloading it/)
      const warned = await main(engineInputs({ 'app-id': APPS.budget }))
      expect(warned.failed).toBe(false)
      expect(warned.annotations[0]).toMatchObject({ level: 'warning', message: expect.stringMatching(/reloading it without that check/) })
      const dry = await main(engineInputs({ 'app-id': APPS.budget, 'dry-run': 'true', 'if-running': 'fail' }))
      expect(error(dry)).toMatch(/whether a task of it is running could not be checked/)
    } finally {
      sim.faults.clear()
    }
  })

  it('dry run with a task of the app running: wait plans to wait, fail would not start', async () => {
    const executionId = sim.startTask(ENGINE_TASKS.budget)
    const waiting = await main(engineInputs({ 'app-id': APPS.budget, 'dry-run': 'true', partial: 'true', 'expect-rows': '* > 0' }))
    expect(waiting.log.join('\n')).toContain(`wait for execution ${executionId} to end, then reload in the engine (partial), then save if the checks hold`)
    const failing = await main(engineInputs({ 'app-id': APPS.budget, 'dry-run': 'true', 'if-running': 'fail' }))
    expect(error(failing)).toMatch(/a task of it is running .* and if-running is 'fail'/)
  })
})

describe('engine mode: what the engine refuses, in words', () => {
  it('no right to read the app, or to reload it: the engine error and what right is missing', async () => {
    const since = Date.now()
    const outsider = await main(engineInputs({ 'app-id': APPS.orders, 'qlik-user': 'UserDirectory=CORP; UserId=outsider' }))
    expect(error(outsider)).toMatch(/^The engine answered OpenDoc of app 'Orders' with .*\(access denied, code 5\)\. The user needs read access to the app/)
    const viewer = await main(engineInputs({ 'app-id': APPS.orders, 'qlik-user': 'UserDirectory=CORP; UserId=viewer' }))
    expect(error(viewer)).toMatch(/^The engine answered DoReloadEx of app 'Orders' with .*\(access denied, code 5\)\. The user may open the app but not reload it/)
    expect(sim.engine.saves.filter(s => s.time >= since)).toEqual([])
    await settled()
  })

  it('the engine port closed: says so, and how to reach the engine instead', async () => {
    const toolkit = await main(engineInputs({ 'app-id': APPS.orders, 'engine-url': 'wss://localhost:1' }))
    expect(error(toolkit)).toMatch(/Nothing accepts connections at localhost:1 \(ECONNREFUSED\): the engine port is closed to the runner/)
  })

  it('a wrong prefix: the proxy answers the upgrade 404, the step says what engine-url must be', async () => {
    const toolkit = await main(engineInputs({ 'app-id': APPS.orders, 'engine-url': `${sim.engineUrl}/nothing` }))
    expect(error(toolkit)).toMatch(/refused the WebSocket for app 'Orders': 404 .*engine-url must be the engine/)
  })

  it('the TLS inputs apply to the engine too', async () => {
    // tls-server-name applies to the engine as to the QRS: by IP address, checked against the machine name.
    const since = Date.now()
    const toolkit = await main({
      ...engineInputs({ 'app-id': APPS.budget }),
      'engine-url': sim.engineUrl.replace('localhost', '127.0.0.1'),
      'tls-server-name': 'qliksrv01.corp.example'
    })
    expect(error(toolkit)).toBe('')
    expect(sim.engine.calls.filter(c => c.time >= since && c.method === 'DoSave')).toHaveLength(1)
  })

  it('a dry run beside a session that has the app open with data (1009 without data): opened with data instead', async () => {
    const since = Date.now()
    sim.faults.add({ method: 'DoReloadEx', path: `/app/${APPS.slow}`, times: 1, action: { kind: 'hang' } })
    const cancel = new AbortController()
    try {
      const dry = main(engineInputs({ 'app-id': APPS.slow }), cancel.signal)
      for (let i = 0; i < 200 && !sim.engine.calls.some(c => c.time >= since && c.method === 'DoReloadEx'); i++) await new Promise(done => setTimeout(done, 20))
      // With the app open with data in that session, a dry run opens it with data too.
      const planned = Date.now()
      const plan = await main(engineInputs({ 'app-id': APPS.slow, 'dry-run': 'true' }))
      expect(plan.failed).toBe(false)
      const opened = sim.engine.calls.filter(c => c.time >= planned && c.method === 'OpenDoc').map(c => (c.params as unknown[])[4])
      expect(opened).toEqual([true, false])
      cancel.abort()
      await dry
    } finally {
      sim.faults.clear()
    }
  })

  it('the proxy session expired before the engine socket: one QRS call signs in again, then the socket opens', async () => {
    const handshakes = sim.proxy.ntlmHandshakes.ntlm ?? 0
    sim.faults.add({ method: 'GET', path: `/app/${APPS.budget}`, times: 1, action: { kind: 'drop-sessions' } })
    try {
      const toolkit = await main({
        url: `${sim.proxyUrl}/ntlm`,
        'auth-type': 'ntlm',
        username: `${WINDOWS.domain}\\${WINDOWS.user}`,
        password: WINDOWS.password,
        'ca-cert': sim.certs.ca,
        'reload-mode': 'engine',
        'app-id': APPS.budget
      })
      expect(error(toolkit)).toBe('')
      expect(toolkit.log).toEqual(expect.arrayContaining([expect.stringMatching(/The engine refused the proxy session \(302\): signing in again through the QRS\./)]))
      expect(sim.proxy.ntlmHandshakes.ntlm).toBe(handshakes + 2)
    } finally {
      sim.faults.clear()
    }
  })
})

describe('expect-rows in task mode, in-process', () => {
  const taskInputs = (extra: Record<string, string>) => certificateInputs(sim, { 'engine-url': sim.engineUrl, ...extra })

  it('the tables read after the task, in a session of their own; a failed check fails the target, the scheduler saved the app', async () => {
    const since = Date.now()
    const held = await main(taskInputs({ 'task-id': ENGINE_TASKS.orders, 'expect-rows': '* > 0' }))
    expect(held.failed).toBe(false)
    expect(sim.engine.calls.filter(c => c.time >= since).map(c => c.method)).toEqual(['OpenDoc', 'GetTablesAndKeys'])
    const failed = await main(taskInputs({ 'task-id': ENGINE_TASKS.budget, 'expect-rows': 'Budget >= 1' }))
    expect(failed.errors()[0]).toMatchObject({
      title: 'Qlik data check failed: Reload Budget',
      message: expect.stringMatching(/table 'Budget' has 0 rows, expected >= 1\. The task reloaded and saved the app/)
    })
    expect(failed.summary).toContain('<td>Budget</td><td>0</td><td>❌ &gt;= 1</td>')
    await settled()
  })

  it('an external program task has no app: expect-rows cannot check it, and says so', async () => {
    const toolkit = await main(taskInputs({ 'task-id': ENGINE_TASKS.program, 'expect-rows': '* > 0' }))
    expect(error(toolkit)).toBe("expect-rows cannot check task 'Copy files': it reloads no app (an external program task), so it has no tables.")
  })

  it('several tasks: each app checked; the summary shows the tables of each', async () => {
    const toolkit = await main(taskInputs({ 'task-id': `${ENGINE_TASKS.orders}\n${ENGINE_TASKS.budget}`, 'expect-rows': 'Budget > 0' }))
    expect(toolkit.failed).toBe(true)
    expect(toolkit.errors().map(e => e.title)).toEqual(['Qlik data check failed: Reload Orders', 'Qlik data check failed: Reload Budget'])
    expect(toolkit.summary).toMatch(/Tables of Reload Budget ❌/)
  })
})

describe('post step: an engine reload main left behind', () => {
  it('warns what became of it; a task left behind is still stopped', async () => {
    const toolkit = new FakeToolkit(engineInputs({ 'app-id': APPS.orders }))
    Object.assign(toolkit.state, { executions: JSON.stringify([{ engine: true, appId: APPS.orders, appName: 'Orders' }]), done: 'false' })
    await post({ toolkit, clock: systemClock })
    expect(toolkit.annotations).toEqual([
      expect.objectContaining({
        level: 'warning',
        message: expect.stringMatching(/during the engine reload of app 'Orders' .*nothing saves it, so the app keeps the data it had saved before\./)
      })
    ])
  })

  it('one recorded as its DoReloadEx went out (main killed then): the same words, and no request', async () => {
    const toolkit = new FakeToolkit(engineInputs({ 'app-id': APPS.orders }))
    const record = { engine: true, appId: APPS.orders, name: 'Orders', at: '2026-03-01T10:00:00.000Z', user: '\\svc_reload', before: [] }
    Object.assign(toolkit.state, { executions: '[]', starting: JSON.stringify([record]), done: 'false' })
    const from = sim.requests.length
    await post({ toolkit, clock: systemClock })
    expect(toolkit.annotations).toEqual([
      expect.objectContaining({ level: 'warning', message: expect.stringMatching(/during the engine reload of app 'Orders' \(.+\): its engine session ended with the process/) })
    ])
    expect(sim.requests.slice(from)).toEqual([])
  })
})

describe('engine answers checked at the door (issue 20, item 9)', () => {
  const since = () => Date.now()
  const calls = (from: number, method: string) => sim.engine.calls.filter(c => c.time >= from && c.method === method)
  const rewrite = (method: string, set: Record<string, unknown>, extra: { after?: number; times?: number } = {}) =>
    sim.faults.add({ method, path: `/app/${APPS.orders}`, times: Infinity, ...extra, action: { kind: 'rewrite', set } })

  it('a table name that is an object: a clear failure before the reload, no TypeError', async () => {
    const from = since()
    rewrite('GetTablesAndKeys', { 'qtr.qName': { a: 1 } })
    try {
      const toolkit = await main(engineInputs({ 'app-id': APPS.orders }))
      expect(error(toolkit)).toBe("The engine answered something unexpected to GetTablesAndKeys of app 'Orders': qtr[0].qName is an object, not a string.")
      expect(calls(from, 'DoReloadEx')).toEqual([])
    } finally {
      sim.faults.clear()
    }
    await settled()
  })

  it('a row count that is a string after the reload: the checks cannot run, the app is not saved', async () => {
    const from = since()
    rewrite('GetTablesAndKeys', { 'qtr.qNoOfRows': '1200' }, { after: 1 })
    try {
      const toolkit = await main(engineInputs({ 'app-id': APPS.orders, 'expect-rows': 'Orders > 0' }))
      expect(error(toolkit)).toBe("The engine answered something unexpected to GetTablesAndKeys of app 'Orders': qtr[0].qNoOfRows is a string, not a whole number.")
      expect(calls(from, 'DoSave')).toEqual([])
    } finally {
      sim.faults.clear()
    }
  })

  it('progress of the wrong type is ridden out: said once, the reload ends and is saved', async () => {
    const from = since()
    rewrite('GetProgress', { 'qProgressData.qPersistentProgress': { line: 'x' } }, { times: 2 })
    try {
      const toolkit = await main(engineInputs({ 'app-id': APPS.orders }))
      expect(error(toolkit)).toBe('')
      expect(toolkit.outputs.status).toBe('FinishedSuccess')
      const said = toolkit.log.filter(line => line.includes('answered something unexpected to'))
      expect(said).toEqual([
        "The engine answered something unexpected to GetProgress of app 'Orders': qProgressData.qPersistentProgress is an object, not a string. Its progress is not shown while it answers so; still waiting for the reload."
      ])
      expect(toolkit.log).toContain('The engine answers GetProgress as expected again.')
      expect(calls(from, 'DoSave')).toHaveLength(1)
    } finally {
      sim.faults.clear()
    }
  })

  it("DoReloadEx's qSuccess of the wrong type: the outcome is not known, nothing saved", async () => {
    const from = since()
    rewrite('DoReloadEx', { 'qResult.qSuccess': 'true' })
    try {
      const toolkit = await main(engineInputs({ 'app-id': APPS.orders }))
      expect(error(toolkit)).toBe(
        "The engine answered something unexpected to DoReloadEx of app 'Orders': qResult.qSuccess is a string, not true or false. Whether the reload succeeded is not known; the app was not saved."
      )
      expect(calls(from, 'DoSave')).toEqual([])
    } finally {
      sim.faults.clear()
    }
    await settled()
  })

  it('OpenDoc answering no Doc handle: a clear failure', async () => {
    rewrite('OpenDoc', { qReturn: 'an app' })
    try {
      const toolkit = await main(engineInputs({ 'app-id': APPS.orders }))
      expect(error(toolkit)).toBe("The engine answered something unexpected to OpenDoc of app 'Orders': qReturn is not a Doc handle.")
    } finally {
      sim.faults.clear()
    }
    await settled()
  })

  it('a message that is not JSON mid-reload: the session is closed, the reload lost, nothing saved; the process lives on', async () => {
    const from = since()
    sim.faults.add({ method: 'GetProgress', path: `/app/${APPS.orders}`, times: 1, action: { kind: 'html' } })
    try {
      const toolkit = await main(engineInputs({ 'app-id': APPS.orders }))
      expect(error(toolkit)).toMatch(
        /^The engine reload of app 'Orders' was lost: The engine sent something unexpected on the session of app 'Orders' while GetProgress waited: a message that is not JSON \(Scheduled maintenance Qlik Sense is down for maintenance.*\); the session was closed\./
      )
      expect(calls(from, 'DoSave')).toEqual([])
    } finally {
      sim.faults.clear()
    }
    await settled()
  })

  it('task mode: a row count of the wrong type fails the check clearly; the summary holds no raw server text', async () => {
    sim.faults.add({ method: 'GetTablesAndKeys', path: /^\/app\//, times: Infinity, action: { kind: 'rewrite', set: { 'qtr.qNoOfRows': '<img src=x>' } } })
    try {
      const toolkit = await main(certificateInputs(sim, { 'engine-url': sim.engineUrl, 'task-id': ENGINE_TASKS.orders, 'expect-rows': '* > 0' }))
      expect(error(toolkit)).toBe("The engine answered something unexpected to GetTablesAndKeys of app 'Orders': qtr[0].qNoOfRows is a string, not a whole number.")
      expect(toolkit.summary).not.toContain('<img')
    } finally {
      sim.faults.clear()
    }
  })
})
