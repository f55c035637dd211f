/** Each engine switch (behaviours no source confirms), every variant. */
import { describe, expect, it } from '@jest/globals'
import type { Scenario, Simulator, Switches } from '../src/index.js'
import { appId, sleep, start, testCerts, waitFor } from './helpers.js'
import { engineScenario, openApp, proxyWss, session, tables, settled } from './engine-helpers.js'
import { cookieFrom, proxyCall } from './proxy-helpers.js'

const certs = testCerts('engine')

async function withSim(switches: Partial<Switches>, test: (sim: Simulator) => Promise<void>, scenario: Scenario = engineScenario()): Promise<void> {
  const sim = await start(certs, { scenario, switches })
  try {
    await test(sim)
  } finally {
    await sim.close()
  }
}

const before = [
  { name: 'Orders', rows: 1000 },
  { name: 'Customers', rows: 50 }
]
const afterFull = [
  { name: 'Orders', rows: 1200 },
  { name: 'Customers', rows: 55 }
]

describe('engineReloadOnClose: a reload whose session closes before it ended', () => {
  it('"abort" (default): it stops when the socket closes', () =>
    withSim({}, async (sim) => {
      const { client, doc } = await openApp(sim)
      void client.call('DoReloadEx', doc, [])
      await sleep(150)
      await client.close()
      const record = await waitFor(async () => (sim.engine.reloads[0]?.endedAt ? sim.engine.reloads[0] : undefined))
      expect(record).toMatchObject({ outcome: 'aborted', sessionClosed: true })
      expect((record.endedAt as number) - (record.startedAt as number)).toBeLessThan(500)
    }))

  it('"complete": it runs to its end, and is not saved', () =>
    withSim({ engineReloadOnClose: 'complete' }, async (sim) => {
      const { client, doc } = await openApp(sim)
      void client.call('DoReloadEx', doc, [])
      await sleep(150)
      await client.close()
      const closedAt = Date.now()
      const record = await waitFor(async () => (sim.engine.reloads[0]?.endedAt ? sim.engine.reloads[0] : undefined))
      expect(record).toMatchObject({ outcome: 'success', sessionClosed: true })
      expect(record.endedAt as number).toBeGreaterThanOrEqual(closedAt)
      expect((record.endedAt as number) - (record.startedAt as number)).toBeGreaterThanOrEqual(600)
      expect(sim.engine.savedTables(appId)).toEqual(before)
    }))
})

describe('engineUnsavedData: do other sessions see a reload before DoSave?', () => {
  it('"session" (default): no; each session has its own model', () =>
    withSim({}, async (sim) => {
      const a = await openApp(sim)
      const b = await openApp(sim)
      await a.client.call('DoReloadEx', a.doc, [])
      expect(await tables(a.client, a.doc)).toEqual(afterFull)
      expect(await tables(b.client, b.doc)).toEqual(before)
      const c = await openApp(sim)
      expect(await tables(c.client, c.doc)).toEqual(before)
      for (const x of [a, b, c]) await x.client.close()
    }))

  it('"shared": yes, while the app is open; when the last session closes unsaved, the reload is lost', () =>
    withSim({ engineUnsavedData: 'shared' }, async (sim) => {
      const a = await openApp(sim)
      const b = await openApp(sim)
      await a.client.call('DoReloadEx', a.doc, [])
      expect(await tables(b.client, b.doc)).toEqual(afterFull)
      const c = await openApp(sim)
      expect(await tables(c.client, c.doc)).toEqual(afterFull)
      expect(sim.engine.savedTables(appId)).toEqual(before)
      for (const x of [a, b, c]) await x.client.close()
      await settled(sim)
      const d = await openApp(sim)
      expect(await tables(d.client, d.doc)).toEqual(before)
      await d.client.close()
    }))

  it('"shared" with "complete": a reload cut off from its session still lands in the shared model', () =>
    withSim({ engineUnsavedData: 'shared', engineReloadOnClose: 'complete' }, async (sim) => {
      const watcher = await openApp(sim)
      const a = await openApp(sim)
      void a.client.call('DoReloadEx', a.doc, [])
      await sleep(100)
      await a.client.close()
      await waitFor(async () => (sim.engine.reloads[0]?.outcome === 'success' ? true : undefined))
      expect(await tables(watcher.client, watcher.doc)).toEqual(afterFull)
      await watcher.client.close()
    }))
})

describe('engineNewReloadParams: qSkipStore and qRowLimit (schema 12.1823.0 and later)', () => {
  it('"accepted" (default): qRowLimit caps every table', () =>
    withSim({}, async (sim) => {
      const { client, doc } = await openApp(sim)
      expect((await client.call('DoReloadEx', doc, [{ qRowLimit: 10, qSkipStore: true }])).result.qResult.qSuccess).toBe(true)
      expect(await tables(client, doc)).toEqual([
        { name: 'Orders', rows: 10 },
        { name: 'Customers', rows: 10 }
      ])
      await client.close()
    }))

  it('"refused" (an older engine): Invalid params naming the member; without them the reload runs', () =>
    withSim({ engineNewReloadParams: 'refused' }, async (sim) => {
      const { client, doc } = await openApp(sim)
      expect((await client.call('DoReloadEx', doc, [{ qPartial: false, qSkipStore: false }])).error).toEqual({
        code: -32602,
        parameter: 'qParams: unknown member qSkipStore',
        message: 'Invalid params'
      })
      expect(sim.engine.reloadCount()).toBe(0)
      expect((await client.call('DoReloadEx', doc, [{ qPartial: false }])).result.qResult.qSuccess).toBe(true)
      await client.close()
    }))

  it('"ignored": accepted without effect', () =>
    withSim({ engineNewReloadParams: 'ignored' }, async (sim) => {
      const { client, doc } = await openApp(sim)
      expect((await client.call('DoReloadEx', doc, [{ qRowLimit: 10 }])).result.qResult.qSuccess).toBe(true)
      expect(await tables(client, doc)).toEqual(afterFull)
      await client.close()
    }))
})

describe('engineAppNotFoundCode', () => {
  it.each([
    [2, {}],
    [1003, { engineAppNotFoundCode: 1003 as const }]
  ])('%i', (code, switches) =>
    withSim(switches, async (sim) => {
      const client = await session(sim)
      expect((await client.call('OpenDoc', -1, ['0badc0de-0000-4000-8000-000000000000'])).error).toMatchObject({ code })
      await client.close()
    })
  )
})

describe('the shape of GetProgress', () => {
  it('engineProgressEmptyFields "sent": every field, empty or false ones too', () =>
    withSim({ engineProgressEmptyFields: 'sent' }, async (sim) => {
      const { client } = await openApp(sim)
      const p = (await client.call('GetProgress', -1, [0])).result.qProgressData
      // The twelve ProgressData fields, the empty ones included.
      expect(Object.keys(p)).toHaveLength(12)
      expect(p).toMatchObject({ qStarted: false, qFinished: false, qUserInteractionWanted: false, qPersistentProgress: '', qTransientProgress: '', qErrorData: [] })
      await client.close()
    }))

  it('engineProgressEmptyFields "omitted" (default): no empty strings, no false flags', () =>
    withSim({}, async (sim) => {
      const { client } = await openApp(sim)
      const p = (await client.call('GetProgress', -1, [0])).result.qProgressData
      expect(Object.values(p).filter((v) => v === '' || v === false)).toEqual([])
      expect(p.qPersistentProgress).toBeUndefined()
      await client.close()
    }))

  it.each([
    ['lf', '\n'],
    ['crlf', '\r\n']
  ] as const)('engineProgressLineEnd "%s"', (lineEnd, sep) =>
    withSim({ engineProgressLineEnd: lineEnd }, async (sim) => {
      const { client, doc } = await openApp(sim)
      const reload = client.call('DoReloadEx', doc, [])
      await reload
      const text = (await client.call('GetProgress', -1, [reload.id])).result.qProgressData.qPersistentProgress
      expect(text).toBe(['Started loading data', 'Orders << Orders', 'Lines fetched: 1,200', 'Customers << Customers', 'Lines fetched: 55', ''].join(sep))
      await client.close()
    })
  )
})

describe('engineMixedOpenModes: the app open with data in one session, without in another', () => {
  it('"refused" (default): 1009 either way round', () =>
    withSim({}, async (sim) => {
      const withData = await openApp(sim)
      const late = await session(sim)
      expect((await late.call('OpenDoc', -1, [appId, '', '', '', true])).error).toMatchObject({ code: 1009, message: 'App already open in different mode' })
      await withData.client.close()
      await late.close()
      await settled(sim)
      const noData = await openApp(sim, appId, { noData: true })
      const other = await session(sim)
      expect((await other.call('OpenDoc', -1, [appId])).error).toMatchObject({ code: 1009 })
      for (const c of [noData.client, other]) await c.close()
    }))

  it('"allowed": both open', () =>
    withSim({ engineMixedOpenModes: 'allowed' }, async (sim) => {
      const withData = await openApp(sim)
      const noData = await openApp(sim, appId, { noData: true })
      expect(await tables(noData.client, noData.doc)).toEqual([])
      for (const c of [withData.client, noData.client]) await c.close()
    }))
})

describe('engineKeepsProxySession: does WebSocket traffic keep the proxy session alive?', () => {
  function shortSessions(): Scenario {
    const scenario = engineScenario()
    for (const vp of scenario.proxy?.virtualProxies ?? []) if (vp.prefix === 'hdr') vp.sessionTimeoutMs = 600
    return scenario
  }

  /** Opens through the header VP by cookie, keeps calling for over a second, then asks the QRS with the cookie alone. */
  async function afterBusySocket(sim: Simulator): Promise<number> {
    const http = await proxyCall(sim, '/hdr/qrs/about', { headers: { 'X-Qlik-HeaderAuth': 'CORP\\svc_reload' } })
    const cookie = cookieFrom(http, 'X-Qlik-Session-hdr') as string
    const client = await session(sim, appId, { url: `${proxyWss(sim)}/hdr`, identity: 'none', headers: { Cookie: cookie } })
    for (let i = 0; i < 11; i++) {
      await sleep(100)
      await client.call('GetProgress', -1, [0])
    }
    await client.close()
    return (await proxyCall(sim, '/hdr/qrs/about', { headers: { Cookie: cookie } })).status
  }

  it('true (default): the session outlives its idle timeout while the socket is busy', () =>
    withSim({}, async (sim) => expect(await afterBusySocket(sim)).toBe(200), shortSessions()))

  it('false: it idles out (the header VP then wants its header again)', () =>
    withSim({ engineKeepsProxySession: false }, async (sim) => expect(await afterBusySocket(sim)).toBe(401), shortSessions()))
})
