/** Faults for the engine through the fault registry (upgrades and JSON-RPC calls), and the test hooks. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import type { Simulator } from '../src/index.js'
import { appId, call, sleep, start, testCerts, waitFor } from './helpers.js'
import { connect, engineScenario, openApp, proxyWss, session, slowAppId, settled, closeAll } from './engine-helpers.js'

const certs = testCerts('engine')
let sim: Simulator

beforeAll(async () => {
  sim = await start(certs, { scenario: engineScenario() })
})
afterEach(() => sim.faults.clear())
afterEach(closeAll)
afterAll(() => sim.close())

const appPath = `/app/${appId}`

describe('faults on JSON-RPC calls (method = the engine method, path = /app/<id> of the socket)', () => {
  it('hang: DoReloadEx runs past its duration until CancelReload', async () => {
    sim.faults.add({ method: 'DoReloadEx', path: appPath, action: { kind: 'hang' } })
    const { client, doc } = await openApp(sim)
    const reload = client.call('DoReloadEx', doc, [])
    let answered = false
    void reload.then(() => (answered = true))
    await sleep(900) // the scenario reload takes 600 ms
    expect(answered).toBe(false)
    const p = (await client.call('GetProgress', -1, [reload.id])).result.qProgressData
    expect(p.qStarted).toBe(true)
    expect(p.qFinished).toBeUndefined()
    expect(p.qMillisecs).toBeGreaterThan(700)
    await client.call('CancelReload', -1, [])
    expect((await reload).result.qResult.qSuccess).toBe(false)
    expect(sim.faults.applied()).toEqual([expect.objectContaining({ method: 'DoReloadEx', path: appPath, action: 'hang', listener: 'engine' })])
    expect(sim.engine.calls.find((c) => c.id === reload.id && c.sessionId === sim.engine.sessions()[0]?.id)).toMatchObject({ fault: 'hang' })
    await client.close()
  })

  it('drop: the socket goes mid-reload, without a close frame; the reload is aborted with it', async () => {
    sim.faults.add({ method: 'DoReloadEx', path: `/app/${slowAppId}`, action: { kind: 'drop', ms: 300 } })
    const { client, doc } = await openApp(sim, slowAppId)
    const t0 = Date.now()
    void client.call('DoReloadEx', doc, [])
    expect(await client.closed).toBe(1006)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250)
    const record = await waitFor(async () => (sim.engine.reloads.at(-1)?.endedAt ? sim.engine.reloads.at(-1) : undefined))
    expect(record).toMatchObject({ appId: slowAppId, outcome: 'aborted', sessionClosed: true })
  })

  it('reset: dropped before handling (no reload); reset-after-handling: the reload started, then the socket went', async () => {
    const reloads = sim.engine.reloadCount(appId)
    sim.faults.add({ method: 'DoReloadEx', path: appPath, action: { kind: 'reset' } })
    const a = await openApp(sim)
    void a.client.call('DoReloadEx', a.doc, [])
    expect(await a.client.closed).toBe(1006)
    expect(sim.engine.reloadCount(appId)).toBe(reloads)

    sim.faults.add({ method: 'DoReloadEx', path: appPath, action: { kind: 'reset-after-handling' } })
    const b = await openApp(sim)
    void b.client.call('DoReloadEx', b.doc, [])
    expect(await b.client.closed).toBe(1006)
    expect(sim.engine.reloadCount(appId)).toBe(reloads + 1)
  })

  it('rewrite: fields of the result replaced and sent whole (no delta); an error answer passes unchanged', async () => {
    sim.faults.add({ method: 'GetTablesAndKeys', path: appPath, times: 2, action: { kind: 'rewrite', set: { 'qtr.qName': { a: 1 }, 'qtr.qNoOfRows': '12', qk: null } } })
    const { client, doc } = await openApp(sim)
    const size = { qcx: 0, qcy: 0 }
    const answer = await client.call('GetTablesAndKeys', doc, [size, size, 0, true, false], { delta: true })
    expect(answer.delta).toBeUndefined()
    expect(answer.result.qtr.length).toBeGreaterThan(0)
    for (const table of answer.result.qtr) expect(table).toMatchObject({ qName: { a: 1 }, qNoOfRows: '12' })
    expect(answer.result.qk).toBeNull()
    // The second one counted, on a handle that does not exist: its error passes as it is.
    expect((await client.call('GetTablesAndKeys', 99, [size, size, 0, true, false])).error?.code).toBe(-32602)
    expect(sim.faults.applied().map((a) => a.action)).toEqual(['rewrite', 'rewrite'])
    await client.close()
  })

  it('html: a page in place of the JSON-RPC answer (the call was handled)', async () => {
    sim.faults.add({ method: 'GetProgress', path: appPath, action: { kind: 'html' } })
    sim.faults.add({ method: 'GetProgress', path: appPath, after: 1, action: { kind: 'html', body: 'not json' } })
    const client = await session(sim)
    void client.call('GetProgress', -1, [0])
    void client.call('GetProgress', -1, [0])
    await waitFor(async () => (client.unparsed.length === 2 ? true : undefined))
    expect(client.unparsed[0]).toMatch(/^<!DOCTYPE html>.*maintenance/)
    expect(client.unparsed[1]).toBe('not json')
    expect((await client.call('GetProgress', -1, [0])).result.qProgressData).toBeDefined()
    await client.close()
  })

  it('delay: the answer comes that much later', async () => {
    sim.faults.add({ method: 'GetProgress', path: appPath, action: { kind: 'delay', ms: 300 } })
    const client = await session(sim)
    const t0 = Date.now()
    expect((await client.call('GetProgress', -1, [0])).result).toBeDefined()
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290)
    await client.close()
  })

  it('a kind for HTTP only (status) passes engine calls untouched; hang and drop pass HTTP untouched', async () => {
    sim.faults.add({ method: 'GetProgress', path: appPath, action: { kind: 'status', status: 503 } })
    sim.faults.add({ method: 'GET', path: '/qrs/about', action: { kind: 'hang' } })
    const client = await session(sim)
    expect((await client.call('GetProgress', -1, [0])).result).toBeDefined()
    await client.close()
    expect((await call(sim, 'GET', '/qrs/about')).status).toBe(200)
    expect(sim.faults.applied()).toEqual([])
  })
})

describe('faults on the WebSocket upgrade (method GET, path /app/<id>, VP prefix stripped)', () => {
  it('status: the upgrade is answered with it, through the proxy too', async () => {
    sim.faults.add({ method: 'GET', path: appPath, times: 2, action: { kind: 'status', status: 503, retryAfter: '2' } })
    await expect(connect(sim, appPath)).rejects.toMatchObject({ status: 503, body: 'Service Unavailable', headers: { 'retry-after': '2' } })
    await expect(connect(sim, `/hdr${appPath}`, { url: proxyWss(sim), identity: 'none', headers: { 'X-Qlik-HeaderAuth': 'svc_reload' } })).rejects.toMatchObject({ status: 503 })
    expect(sim.faults.applied().map((a) => a.listener)).toEqual(['engine', 'proxy'])
    expect(sim.requests.at(-1)).toMatchObject({ path: `/hdr${appPath}`, status: 503, fault: 'status', listener: 'proxy' })
  })

  it('reset: the connection is dropped before the 101', async () => {
    sim.faults.add({ path: appPath, action: { kind: 'reset' } })
    await expect(connect(sim, appPath)).rejects.toThrow(/socket hang up|ECONNRESET/)
    expect(sim.requests.at(-1)).toMatchObject({ path: appPath, status: 0, fault: 'reset' })
  })

  it('refuse: a node restart drops the engine sockets and refuses the engine port too', async () => {
    const client = await session(sim)
    sim.faults.add({ path: appPath, action: { kind: 'refuse', ms: 400 } })
    await expect(connect(sim, appPath)).rejects.toThrow()
    expect(await client.closed).toBe(1006)
    await expect(connect(sim, appPath)).rejects.toThrow(/ECONNREFUSED/)
    await sleep(500)
    const again = await session(sim)
    await again.close()
  })
})

describe('the hooks', () => {
  it('counts and rates of GetProgress, the sessions open, dropSessions, and GET /__sim/engine', async () => {
    const client = await session(sim)
    const id = sim.engine.sessions().at(-1)?.id as string
    for (let i = 0; i < 5; i++) await client.call('GetProgress', -1, [0])
    await sleep(1100)
    await client.call('GetProgress', -1, [0])
    expect(sim.engine.progressCount(id)).toBe(6)
    expect(sim.engine.progressRate(1000, id)).toBe(5)
    expect(sim.engine.progressRate(2000, id)).toBe(6)
    expect(sim.engine.sessions()).toEqual([expect.objectContaining({ id, user: 'INTERNAL\\sa_api', listener: 'engine', appId, reloading: false })])
    const control = await call(sim, 'GET', '/__sim/engine', { xrfkey: false })
    expect(control.json()).toMatchObject({ sessions: [{ id }], calls: expect.arrayContaining([expect.objectContaining({ sessionId: id, method: 'GetProgress' })]) })
    sim.engine.dropSessions()
    expect(await client.closed).toBe(1006)
    await settled(sim)
  })

  it('engine faults from JSON (POST /__sim/faults): hang and drop', async () => {
    const res = await call(sim, 'POST', '/__sim/faults', {
      xrfkey: false,
      body: JSON.stringify([
        { method: 'DoReloadEx', path: appPath, action: { kind: 'hang' } },
        { method: 'DoSave', path: appPath, action: { kind: 'drop', ms: 0 } }
      ])
    })
    expect(res.status).toBe(201)
    const bad = await call(sim, 'POST', '/__sim/faults', { xrfkey: false, body: JSON.stringify({ path: appPath, action: { kind: 'drop' } }) })
    expect(bad.status).toBe(400)
  })
})
