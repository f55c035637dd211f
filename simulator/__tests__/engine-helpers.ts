/** Engine tests: a scenario with engine data, and a raw JSON-RPC client over `ws` (the wire as it is, no enigma.js). */
import { readFileSync } from 'node:fs'
import WebSocket from 'ws'
import type { Scenario, Simulator } from '../src/index.js'
import { appId } from './helpers.js'
import { proxyScenario } from './proxy-helpers.js'

export const otherAppId = '6b9d7f40-3c2e-4d8b-8f10-2b3c4d5e6f71'
export const brokenAppId = '7cae8051-4d3f-4e9c-9021-3c4d5e6f7082'
export const slowAppId = '8dbf9162-5e40-4fad-a132-4d5e6f708193'
export const brokenError = { message: "Field 'Revenue' not found", statement: 'LOAD Revenue FROM [lib://Data/sales.qvd] (qvd)' }
export const apiUser = 'UserDirectory=INTERNAL; UserId=sa_api'

/** Sales: 2 tables (3 after a partial reload), 600 ms reloads with timed lines; Finance: the defaults; Broken: a script error; Slow: 3 s; rights for three users. */
export function engineScenario(): Scenario {
  const scenario = proxyScenario()
  scenario.apps = [
    {
      id: appId,
      name: 'Sales',
      published: true,
      engine: {
        lastReloadTime: '2026-01-05T06:00:00.000Z',
        tables: [
          { name: 'Orders', rows: 1000, fields: ['OrderId', 'CustomerId', 'Amount'] },
          { name: 'Customers', rows: 50, fields: ['CustomerId', 'Name'] }
        ],
        tablesAfterFull: [
          { name: 'Orders', rows: 1200, fields: ['OrderId', 'CustomerId', 'Amount'] },
          { name: 'Customers', rows: 55, fields: ['CustomerId', 'Name'] }
        ],
        tablesAfterPartial: [
          { name: 'Orders', rows: 1000, fields: ['OrderId', 'CustomerId', 'Amount'] },
          { name: 'Customers', rows: 50, fields: ['CustomerId', 'Name'] },
          { name: 'Returns', rows: 7, fields: ['OrderId', 'Reason'] }
        ],
        reloads: [
          {
            durationMs: 600,
            progress: [
              { atMs: 0, text: 'Started loading data' },
              { atMs: 100, text: 'Orders << Orders' },
              { atMs: 300, text: 'Lines fetched: 1,200' },
              { atMs: 400, text: 'Customers << Customers' },
              { atMs: 550, text: 'Lines fetched: 55' }
            ],
            transient: [
              { atMs: 100, text: 'Orders << Orders 600 Lines fetched' },
              { atMs: 400, text: 'Customers << Customers 20 Lines fetched' }
            ]
          }
        ]
      }
    },
    { id: otherAppId, name: 'Finance', published: true },
    { id: brokenAppId, name: 'Broken', engine: { reloads: [{ durationMs: 200, errors: [brokenError] }] } },
    { id: slowAppId, name: 'Slow', engine: { tables: [{ name: 'Big', rows: 10 }], tablesAfterFull: [{ name: 'Big', rows: 20 }], reloads: [{ durationMs: 3000 }] } }
  ]
  scenario.users = [
    ...(scenario.users ?? []),
    { directory: 'CORP', id: 'viewer', appRights: { [appId]: ['read'] } },
    { directory: 'CORP', id: 'reloader', appRights: { [appId]: ['read', 'reload'] } },
    { directory: 'CORP', id: 'outsider', appRights: { [appId]: [] } }
  ]
  return scenario
}

export interface RpcAnswer {
  id?: number
  result?: any
  error?: { code: number; parameter: string; message: string }
  delta?: boolean
}

export interface RawClient {
  ws: WebSocket
  /** The headers of the 101 answer. */
  upgradeHeaders: Record<string, string | string[] | undefined>
  /** Notifications received so far (OnConnected first). */
  notifications: { method: string; params: any }[]
  /** Messages that were not JSON (a fault's page), as they came. */
  unparsed: string[]
  /** Sends a request; resolves with the answer of the same id. */
  call(method: string, handle: number, params?: unknown[] | Record<string, unknown>, extra?: Record<string, unknown>): Promise<RpcAnswer> & { id: number }
  /** Resolves when the socket closed (its close code). */
  closed: Promise<number>
  close(): Promise<void>
}

export interface ConnectOptions {
  /** Default: the engine port with the client certificate. */
  url?: string
  headers?: Record<string, string>
  /** The client certificate: the site's (default), one of an unrelated CA, or none. */
  identity?: 'client' | 'other' | 'none'
}

/** wss://localhost:<proxyPort> */
export const proxyWss = (sim: Simulator): string => sim.proxyUrl.replace(/^https:/, 'wss:')

/** Clients not closed yet: closeAll() (afterEach) keeps a failed test from leaving sessions to the next. */
const open = new Set<RawClient>()

export async function closeAll(): Promise<void> {
  await Promise.all([...open].map((c) => c.close()))
}

/** Opens a WebSocket; rejects with the HTTP status when the upgrade is refused. */
export function connect(sim: Simulator, path: string, opts: ConnectOptions = {}): Promise<RawClient> {
  const c = sim.certs
  const identity = opts.identity ?? 'client'
  const tlsOpts =
    identity === 'none'
      ? {}
      : identity === 'other'
        ? { cert: readFileSync(c.otherClientCert), key: readFileSync(c.otherClientKey) }
        : { cert: readFileSync(c.clientCert), key: readFileSync(c.clientKey) }
  const ws = new WebSocket(`${opts.url ?? sim.engineUrl}${path}`, { ca: readFileSync(c.ca), headers: opts.headers ?? { 'X-Qlik-User': apiUser }, ...tlsOpts })
  const notifications: RawClient['notifications'] = []
  const unparsed: string[] = []
  const waiting = new Map<number, (a: RpcAnswer) => void>()
  let nextId = 1
  ws.on('message', (data: Buffer) => {
    let msg
    try {
      msg = JSON.parse(data.toString('utf8'))
    } catch {
      return void unparsed.push(data.toString('utf8'))
    }
    if (msg.id === undefined || msg.id === null) notifications.push(msg)
    else waiting.get(msg.id)?.(msg)
  })
  const closed = new Promise<number>((resolve) =>
    ws.on('close', (code) => {
      open.delete(client)
      resolve(code)
    })
  )
  const client: RawClient = {
    ws,
    upgradeHeaders: {},
    notifications,
    unparsed,
    closed,
    call(method, handle, params = [], extra = {}) {
      const id = nextId++
      const promise = new Promise<RpcAnswer>((resolve) => waiting.set(id, resolve))
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, handle, params, ...extra }))
      return Object.assign(promise, { id })
    },
    async close() {
      ws.close()
      await closed
    }
  }
  ws.once('upgrade', (res) => (client.upgradeHeaders = res.headers))
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      open.add(client)
      resolve(client)
    })
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () =>
        reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }))
      )
    })
    ws.once('error', reject)
  })
}

/** Connects and waits for OnConnected. */
export async function session(sim: Simulator, app = appId, opts: ConnectOptions = {}): Promise<RawClient> {
  const client = await connect(sim, `/app/${app}`, opts)
  const end = Date.now() + 2000
  while (client.notifications.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5))
  return client
}

/** Connects and opens the app; returns the client and the doc handle. */
export async function openApp(sim: Simulator, app = appId, opts: ConnectOptions & { noData?: boolean } = {}): Promise<{ client: RawClient; doc: number }> {
  const client = await session(sim, app, opts)
  const opened = await client.call('OpenDoc', -1, [app, '', '', '', opts.noData === true])
  if (opened.error) throw Object.assign(new Error(`OpenDoc: ${opened.error.message}`), opened.error)
  return { client, doc: opened.result.qReturn.qHandle }
}

export async function tables(client: RawClient, doc: number): Promise<{ name: string; rows: number }[]> {
  const answer = await client.call('GetTablesAndKeys', doc, [{ qcx: 0, qcy: 0 }, { qcx: 0, qcy: 0 }, 0, true, false])
  return answer.result.qtr.map((t: any) => ({ name: t.qName, rows: t.qNoOfRows }))
}

/** Waits until the engine has no session open (a client's close() returns before the server let go of the session). */
export async function settled(sim: Simulator): Promise<void> {
  const end = Date.now() + 2000
  while (sim.engine.sessions().length > 0) {
    if (Date.now() > end) throw new Error('engine sessions still open')
    await new Promise((r) => setTimeout(r, 10))
  }
}
