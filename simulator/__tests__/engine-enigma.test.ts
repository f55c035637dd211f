/**
 * A client this project did not write: enigma.js (Qlik's own QIX client, its newest 12.x schema,
 * delta protocol on as by default) over `ws` opens the app on the engine port with the client
 * certificate, and through the proxy with a Windows session cookie and with the header; reloads it
 * fully and partially while it reads the progress; reads the tables; saves.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import enigma from 'enigma.js'
import WebSocket from 'ws'
import type { Simulator } from '../src/index.js'
import { appId, sleep, start, testCerts } from './helpers.js'
import { apiUser, engineScenario, settled } from './engine-helpers.js'
import { schema } from './engine-schema.js'
import { ntlmCookie } from './proxy-helpers.js'

const certs = testCerts('engine')
let sim: Simulator

beforeAll(async () => {
  sim = await start(certs, { scenario: engineScenario() })
})
afterAll(() => sim.close())

type Qix = any

function open(url: string, options: WebSocket.ClientOptions): Promise<{ session: EnigmaJS.Session; global: Qix }> {
  const session = enigma.create({ schema, url, createSocket: (u: string) => new WebSocket(u, { ca: readFileSync(sim.certs.ca), ...options }) as any })
  return session.open().then((global) => ({ session, global }))
}

const tableRows = (t: { qtr: any[] }) => t.qtr.map((x) => [x.qName, x.qNoOfRows])
const noSize = { qcx: 0, qcy: 0 }

/** Reloads while asking GetProgress every 100 ms with the reload's request id; returns the result and what the progress said. */
async function reloadWithProgress(global: Qix, doc: Qix, partial: boolean) {
  const reloading = doc.doReloadEx({ qPartial: partial })
  const requestId: number = reloading.requestId
  let done = false
  const result = reloading.then((r: unknown) => {
    done = true
    return r
  })
  const persistent: string[] = []
  const transient = new Set<string>()
  let sawRunning = false
  while (!done) {
    await sleep(100)
    const p = await global.getProgress(requestId)
    persistent.push(
      ...String(p.qPersistentProgress ?? '')
        .split('\n')
        .filter(Boolean)
    )
    if (p.qTransientProgress) transient.add(p.qTransientProgress)
    if (p.qStarted === true && p.qFinished !== true) sawRunning = true
  }
  const last = await global.getProgress(requestId)
  persistent.push(
    ...String(last.qPersistentProgress ?? '')
      .split('\n')
      .filter(Boolean)
  )
  return { result: await result, persistent, transient: [...transient], sawRunning, last }
}

/** What every way in must give: tables, full reload with progress, save, partial reload, layout. */
async function exercise(global: Qix, saved: () => number) {
  const doc = await global.openDoc(appId)
  // The saved app: the scenario's tables at first, then what the previous test saved.
  const savedRows = (sim.engine.savedTables(appId) ?? []).map((t) => [t.name, t.rows])
  expect(savedRows.length).toBe(2)
  expect(tableRows(await doc.getTablesAndKeys(noSize, noSize, 0, true, false))).toEqual(savedRows)

  const full = await reloadWithProgress(global, doc, false)
  expect(full.result).toMatchObject({ qSuccess: true, qEndedWithMemoryConstraint: false })
  expect(full.result.qScriptLogFile).toMatch(new RegExp(`${appId}\\.\\d{8}T\\d{6}\\.log$`))
  expect(full.persistent).toEqual(['Started loading data', 'Orders << Orders', 'Lines fetched: 1,200', 'Customers << Customers', 'Lines fetched: 55'])
  expect(full.transient).toContain('Orders << Orders 600 Lines fetched')
  expect(full.sawRunning).toBe(true)
  expect(full.last).toMatchObject({ qStarted: true, qFinished: true })
  const afterFull = await doc.getTablesAndKeys(noSize, noSize, 0, true, false)
  expect(tableRows(afterFull)).toEqual([
    ['Orders', 1200],
    ['Customers', 55]
  ])
  expect(afterFull.qk).toEqual([{ qKeyFields: ['CustomerId'], qTables: ['Orders', 'Customers'] }])

  const before = saved()
  await doc.doSave()
  expect(saved()).toBe(before + 1)
  expect((await global.getProgress(0)).qPersistentProgress).toBe('App saved\n')

  const partial = await reloadWithProgress(global, doc, true)
  expect(partial.result.qSuccess).toBe(true)
  expect(tableRows(await doc.getTablesAndKeys(noSize, noSize, 0, true, false))).toEqual([
    ['Orders', 1000],
    ['Customers', 50],
    ['Returns', 7]
  ])

  const layout = await doc.getAppLayout()
  expect(layout).toMatchObject({ qTitle: 'Sales', qHasScript: true, qIsOpenedWithoutData: false, qModified: true })
  expect(Date.parse(layout.qLastReloadTime)).toBeGreaterThan(Date.now() - 5000)
}

describe('enigma.js', () => {
  it('on the engine port: client certificate and X-Qlik-User', async () => {
    expect(sim.engine.savedTables(appId)).toEqual([
      { name: 'Orders', rows: 1000 },
      { name: 'Customers', rows: 50 }
    ])
    const { session, global } = await open(`${sim.engineUrl}/app/${appId}`, {
      cert: readFileSync(certs.clientCert),
      key: readFileSync(certs.clientKey),
      headers: { 'X-Qlik-User': apiUser }
    })
    try {
      await exercise(global, () => sim.engine.saveCount(appId))
    } finally {
      await session.close()
    }
    expect(sim.engine.calls.filter((c) => c.method === 'DoReloadEx').at(-1)).toMatchObject({ listener: 'engine', user: 'INTERNAL\\sa_api' })
    // enigma.js asked for deltas; the answers were patches it applied.
    expect(sim.engine.calls.some((c) => c.method === 'GetProgress')).toBe(true)
  })

  it('through the Windows VP with its session cookie: the same session user as HTTP', async () => {
    const cookie = await ntlmCookie(sim)
    const { session, global } = await open(`${sim.proxyUrl.replace('https:', 'wss:')}/ntlm/app/${appId}`, { headers: { Cookie: cookie } })
    try {
      await exercise(global, () => sim.engine.saveCount(appId))
    } finally {
      await session.close()
    }
    expect(sim.engine.calls.filter((c) => c.method === 'DoSave').at(-1)).toMatchObject({ listener: 'proxy', user: 'CORP\\svc_reload' })
  })

  it('through the header VP', async () => {
    const { session, global } = await open(`${sim.proxyUrl.replace('https:', 'wss:')}/hdr/app/${appId}`, { headers: { 'X-Qlik-HeaderAuth': 'svc_reload' } })
    try {
      await exercise(global, () => sim.engine.saveCount(appId))
    } finally {
      await session.close()
    }
    expect(sim.engine.calls.at(-1)).toMatchObject({ listener: 'proxy', user: 'CORP\\svc_reload' })
  })

  it('a new session opens the saved app; an error comes back as enigma.js raises it', async () => {
    await settled(sim) // opening without data while a session has it with data would be 1009
    const { session, global } = await open(`${sim.engineUrl}/app/${appId}`, {
      cert: readFileSync(certs.clientCert),
      key: readFileSync(certs.clientKey),
      headers: { 'X-Qlik-User': apiUser }
    })
    try {
      const doc = await global.openDoc(appId, '', '', '', true)
      expect(await doc.getAppLayout()).toMatchObject({ qIsOpenedWithoutData: true, qHasData: false })
      await expect(global.openDoc('00000000-0000-4000-8000-00000000dead')).rejects.toMatchObject({ code: 1002 })
    } finally {
      await session.close()
    }
    expect(sim.engine.savedTables(appId)).toEqual([
      { name: 'Orders', rows: 1200 },
      { name: 'Customers', rows: 55 }
    ])
  })
})
