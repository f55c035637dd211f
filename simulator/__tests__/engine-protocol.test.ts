/** The engine's JSON-RPC on the wire: OnConnected, errors, progress, cancel, partial reloads, DoSave, task reloads. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import type { Simulator } from '../src/index.js'
import { appId, call, sleep, start, testCerts, waitFor, waitForSessionEnd } from './helpers.js'
import { brokenAppId, brokenError, connect, engineScenario, openApp, otherAppId, session, settled, slowAppId, tables, closeAll } from './engine-helpers.js'

const certs = testCerts('engine')
const salesLines = engineScenario().apps?.[0].engine?.reloads?.[0] as { progress: { atMs: number; text: string }[]; transient: { atMs: number; text: string }[] }
let sim: Simulator

beforeAll(async () => {
  const scenario = engineScenario()
  scenario.tasks = [{ id: '99999999-9999-4999-8999-999999999999', name: 'Reload Sales', appId, runs: [{ attempts: [{ outcome: 7, durationMs: 50 }] }] }]
  sim = await start(certs, { scenario })
})
afterEach(closeAll)
afterAll(() => sim.close())

describe('the session', () => {
  it('OnConnected SESSION_CREATED is the first message, before any request', async () => {
    const client = await connect(sim, `/app/${appId}`)
    await waitFor(async () => client.notifications[0])
    expect(client.notifications).toEqual([{ jsonrpc: '2.0', method: 'OnConnected', params: { qSessionState: 'SESSION_CREATED' } }])
    expect(sim.engine.sessions().map((s) => s.id)).toHaveLength(1)
    await client.close()
    await settled(sim)
  })

  it('OpenDoc answers the Doc handle; params by name work too', async () => {
    const client = await session(sim)
    const opened = await client.call('OpenDoc', -1, { qDocName: appId, qNoData: false })
    expect(opened).toEqual({ jsonrpc: '2.0', id: opened.id, result: { qReturn: { qType: 'Doc', qHandle: 1, qGenericId: appId } } })
    expect(sim.engine.sessions()[0]).toMatchObject({ openDoc: appId, noData: false, listener: 'engine', user: 'INTERNAL\\sa_api' })
    await client.close()
  })
})

describe('the delta protocol (enigma.js asks for it by default)', () => {
  it('delta: true is answered with one JSON patch per result member; without it, the plain values', async () => {
    const { client, doc } = await openApp(sim)
    const plain = await client.call('GetAppLayout', doc, [])
    expect(plain.delta).toBeUndefined()
    expect(plain.result.qLayout).toMatchObject({ qTitle: 'Sales', qFileName: appId })
    const delta = await client.call('GetAppLayout', doc, [], { delta: true })
    expect(delta.delta).toBe(true)
    expect(delta.result).toEqual({ qLayout: [{ op: 'add', path: '/', value: plain.result.qLayout }] })
    await client.close()
  })
})

describe('errors, as JSON-RPC error objects with LocalizedErrorCode', () => {
  const unknownApp = '0badc0de-0000-4000-8000-000000000000'

  it.each([
    ['an unknown app: 2 not found', (c: any) => c.call('OpenDoc', -1, [unknownApp]), { code: 2, parameter: unknownApp, message: 'Not found' }],
    ['an unknown method: -32601', (c: any) => c.call('OpenTheDoor', -1, []), { code: -32601, parameter: 'OpenTheDoor', message: 'Method not found' }],
    ['a Doc method on the Global handle: -32601', (c: any) => c.call('DoReloadEx', -1, []), { code: -32601, parameter: 'DoReloadEx' }],
    ['a handle nobody gave out: -32602', (c: any) => c.call('DoSave', 7, []), { code: -32602, parameter: 'Invalid handle: 7' }],
    ['too many parameters: -32602', (c: any) => c.call('GetProgress', -1, [0, 1]), { code: -32602 }],
    [
      'qParams not an object: -32602',
      async (c: any) => c.call('DoReloadEx', (await c.call('OpenDoc', -1, [appId])).result.qReturn.qHandle, ['full']),
      { code: -32602, parameter: 'qParams' }
    ]
  ])('%s', async (_name, send, error) => {
    const client = await session(sim)
    const answer = await send(client)
    expect(answer.result).toBeUndefined()
    expect(answer.error).toMatchObject(error)
    await client.close()
  })

  it('OpenDoc twice in one session: 1002', async () => {
    const { client } = await openApp(sim)
    expect((await client.call('OpenDoc', -1, [otherAppId])).error).toMatchObject({ code: 1002, message: 'App already open' })
    await client.close()
  })

  it('a message that is not JSON: -32700 with id null; the session stays open', async () => {
    const client = await session(sim)
    const answer = new Promise<any>((resolve) => client.ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString()))))
    client.ws.send('{not json')
    expect(await answer).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32700, parameter: 'The message is not JSON', message: 'Parse error' } })
    expect((await client.call('GetProgress', -1, [0])).result).toBeDefined()
    await client.close()
  })
})

describe('DoReloadEx and GetProgress', () => {
  it('persistent lines come once each, since the previous call; full detail only for the reload request id', async () => {
    const { client, doc } = await openApp(sim)
    const reload = client.call('DoReloadEx', doc, [{ qMode: 0, qPartial: false, qDebug: false }])
    await sleep(350)
    const full = (await client.call('GetProgress', -1, [reload.id])).result.qProgressData
    // What the scenario says up to the reload's own clock (the reload may start a little after the request).
    const upTo = (ms: number, lines: { atMs: number; text: string }[]) => lines.filter((l) => l.atMs <= ms).map((l) => l.text)
    expect(full.qStarted).toBe(true)
    expect(full.qFinished).toBeUndefined() // false flags are left out (engineProgressEmptyFields "omitted")
    expect(full.qMillisecs).toBeGreaterThanOrEqual(300)
    expect(full.qMillisecs).toBeLessThan(600)
    expect(full.qPersistentProgress).toBe(
      upTo(full.qMillisecs, salesLines.progress)
        .map((l) => `${l}\n`)
        .join('')
    )
    expect(full.qTransientProgress).toBe(upTo(full.qMillisecs, salesLines.transient).at(-1))
    // 0: the messages, but not when the request started or finished.
    const less = (await client.call('GetProgress', -1, [0])).result.qProgressData
    expect(less.qStarted).toBeUndefined()
    expect(less.qMillisecs).toBe(0)
    expect(typeof less.qTransientProgress).toBe('string')
    // An id that is no reload of this session: the engine's empty answer, and no lines taken (new ones came meanwhile).
    await sleep(150)
    expect((await client.call('GetProgress', -1, [4711])).result.qProgressData).toEqual({
      qStarted: true,
      qFinished: true,
      qCompleted: 0,
      qTotal: 0,
      qKB: 0,
      qMillisecs: 0,
      qErrorData: [],
      qPersistentProgressMessages: [],
      qTransientProgressMessage: { qMessageCode: 0, qMessageParameters: [''] }
    })
    const result = await reload
    expect(result.result.qResult).toMatchObject({ qSuccess: true, qEndedWithMemoryConstraint: false })
    const after = (await client.call('GetProgress', -1, [reload.id])).result.qProgressData
    expect(after).toMatchObject({ qStarted: true, qFinished: true })
    expect(after.qMillisecs).toBeGreaterThanOrEqual(600) // the reload's duration, as its timer fired
    expect(after.qTransientProgress).toBeUndefined()
    // Every line exactly once over the three calls, in order.
    const said = [full, less, after].map((p) => p.qPersistentProgress ?? '').join('')
    expect(said).toBe(salesLines.progress.map((l) => `${l.text}\n`).join(''))
    expect((await client.call('GetProgress', -1, [reload.id])).result.qProgressData.qPersistentProgress).toBeUndefined()
    await client.close()
  })

  it('a failed reload: qSuccess false, the error lines in the progress and qErrorData', async () => {
    const { client, doc } = await openApp(sim, brokenAppId)
    const before = await tables(client, doc)
    const reload = client.call('DoReloadEx', doc, [])
    expect((await reload).result.qResult.qSuccess).toBe(false)
    const p = (await client.call('GetProgress', -1, [reload.id])).result.qProgressData
    expect(p.qErrorData).toEqual([{ qErrorString: brokenError.message, qLineEnd: '', qLine: brokenError.statement, qErrorDataCode: 'EDC_ERROR' }])
    expect(p.qPersistentProgress).toBe(
      'Started loading data\nData << Data\nLines fetched: 1,000\nThe following error occurred:\n' +
        `${brokenError.message}\nThe error occurred here:\n${brokenError.statement}\nData has not been loaded. Please correct the error and try loading again.\n`
    )
    expect(await tables(client, doc)).toEqual(before)
    expect(sim.engine.reloads.at(-1)).toMatchObject({ appId: brokenAppId, outcome: 'failed', partial: false })
    await client.close()
  })

  it('CancelReload: DoReloadEx answers qSuccess false at once, the data stays as it was', async () => {
    const { client, doc } = await openApp(sim, slowAppId)
    const reload = client.call('DoReloadEx', doc, [{ qPartial: false }])
    await sleep(200)
    const t0 = Date.now()
    expect((await client.call('CancelReload', -1, ['by the test'])).result).toEqual({})
    expect((await reload).result.qResult.qSuccess).toBe(false)
    expect(Date.now() - t0).toBeLessThan(500)
    const p = (await client.call('GetProgress', -1, [reload.id])).result.qProgressData
    expect(p).toMatchObject({ qFinished: true })
    expect(p.qPersistentProgress).toMatch(/Abort requested by user\n$/)
    expect(await tables(client, doc)).toEqual([{ name: 'Big', rows: 10 }])
    expect(sim.engine.reloads.at(-1)).toMatchObject({ appId: slowAppId, outcome: 'aborted', sessionClosed: false })
    // Nothing to cancel: still an empty answer.
    expect((await client.call('CancelReload', -1, [])).result).toEqual({})
    await client.close()
  })

  it('two reloads of one app run one after the other', async () => {
    const a = await openApp(sim)
    const b = await openApp(sim)
    const first = a.client.call('DoReloadEx', a.doc, [])
    const second = b.client.call('DoReloadEx', b.doc, [])
    await Promise.all([first, second])
    const [r1, r2] = sim.engine.reloads.slice(-2)
    expect(r2.startedAt as number).toBeGreaterThanOrEqual(r1.endedAt as number)
    await a.client.close()
    await b.client.close()
  })
})

describe('partial reloads and saving', () => {
  it('partial: the data model is kept and the partial tables added', async () => {
    const { client, doc } = await openApp(sim)
    expect((await client.call('DoReloadEx', doc, [{ qPartial: true }])).result.qResult.qSuccess).toBe(true)
    expect(await tables(client, doc)).toEqual([
      { name: 'Orders', rows: 1000 },
      { name: 'Customers', rows: 50 },
      { name: 'Returns', rows: 7 }
    ])
    expect(sim.engine.reloads.at(-1)).toMatchObject({ partial: true, params: { qPartial: true } })
    await client.close()
  })

  it('partial in a session opened without data: there is no model to keep, the tables are empty', async () => {
    await settled(sim) // no session with data open (that would be 1009)
    const { client, doc } = await openApp(sim, appId, { noData: true })
    expect(await tables(client, doc)).toEqual([])
    expect((await client.call('DoReloadEx', doc, [{ qPartial: true }])).result.qResult.qSuccess).toBe(true)
    expect(await tables(client, doc)).toEqual([])
    await client.close()
  })

  it('without DoSave the saved app keeps its tables; with it a new session sees the reload', async () => {
    const saved = sim.engine.savedTables(appId)
    const a = await openApp(sim)
    await a.client.call('DoReloadEx', a.doc, [])
    expect((await a.client.call('GetAppLayout', a.doc, [])).result.qLayout.qModified).toBe(true)
    const b = await openApp(sim)
    expect(await tables(b.client, b.doc)).toEqual(saved)
    expect(sim.engine.savedTables(appId)).toEqual(saved)

    const saves = sim.engine.saveCount(appId)
    expect((await a.client.call('DoSave', a.doc, [])).result).toEqual({})
    expect(sim.engine.saveCount(appId)).toBe(saves + 1)
    expect((await a.client.call('GetAppLayout', a.doc, [])).result.qLayout.qModified).toBe(false)
    const c = await openApp(sim)
    expect(await tables(c.client, c.doc)).toEqual([
      { name: 'Orders', rows: 1200 },
      { name: 'Customers', rows: 55 }
    ])
    for (const x of [a, b, c]) await x.client.close()
  })

  it('a task reload of the app (the scheduler saves it) changes the saved tables', async () => {
    await settled(sim)
    const { client, doc } = await openApp(sim, slowAppId, { noData: true })
    expect((await client.call('DoSave', doc, [])).result).toEqual({}) // nothing reloaded: the saved app keeps its data
    await client.close()
    expect(sim.engine.savedTables(slowAppId)).toEqual([{ name: 'Big', rows: 10 }])
    const started = await call(sim, 'POST', `/qrs/app/${slowAppId}/reload`)
    expect(started.status).toBe(204)
    const sessionId = sim.state.sessions.at(-1)?.id as string
    await waitForSessionEnd(sim, sessionId)
    expect(sim.engine.savedTables(slowAppId)).toEqual([{ name: 'Big', rows: 20 }])
  })
})
