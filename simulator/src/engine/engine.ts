/**
 * The engine (QIX) of the simulated node: its own listener playing port 4747 (mutual TLS with the
 * site's client certificate, the user in X-Qlik-User) and the WebSocket upgrades the proxy forwards
 * at /<prefix>/app/<appId> (authenticated as the virtual proxy authenticates HTTP). Each WebSocket
 * is one engine session.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { WebSocketServer } from 'ws'
import { checkUser, type QlikUser } from '../auth.js'
import { isUpgradeFault, statusText, type FaultListener, type FaultRegistry } from '../faults.js'
import type { Proxy } from '../proxy/proxy.js'
import type { RecordedRequest } from '../recorded.js'
import type { Reply } from '../routes.js'
import type { Scenario, Switches } from '../scenario.js'
import { peerCN, resetConnection } from '../sockets.js'
import type { SimState } from '../state.js'
import { EngineApps } from './apps.js'
import type { EngineCall, EngineHooks, EngineReloadRecord, EngineSaveRecord } from './hooks.js'
import { EngineSession, type SessionContext } from './session.js'
import { refuseUpgrade } from './upgrade.js'

export interface EngineOptions {
  scenario: Scenario
  state: SimState
  switches: Switches
  faults: FaultRegistry
  tls: { key: Buffer; cert: Buffer }
  ca: Buffer
  host: string
  port: number
  /** Records an upgrade request (sim.requests). */
  record(request: RecordedRequest): void
  /** A node restart (fault `refuse`). */
  refuse(ms: number): void
  log(line: string): void
}

/** A WebSocket message larger than this closes the socket (1009). */
const maxPayload = 16 * 1024 * 1024
const appPath = /^\/app\/([^/]*)/

export class Engine {
  readonly apps: EngineApps
  readonly server: Server
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload })
  private readonly sessions = new Set<EngineSession>()
  private readonly calls: EngineCall[] = []
  private readonly reloads: EngineReloadRecord[] = []
  private readonly saves: EngineSaveRecord[] = []
  private readonly context: SessionContext
  /** Set-Cookie of a proxy session made by an upgrade, added to its 101 answer. */
  private readonly cookies = new WeakMap<IncomingMessage, string>()

  constructor(private readonly opts: EngineOptions) {
    this.apps = new EngineApps(opts.state, opts.scenario.apps ?? [], opts.scenario.users ?? [], opts.switches)
    this.context = {
      apps: this.apps,
      switches: opts.switches,
      faults: opts.faults,
      calls: this.calls,
      reloads: this.reloads,
      saves: this.saves,
      sessions: () => this.sessions,
      refuse: (ms) => opts.refuse(ms),
      live: new Set()
    }
    this.wss.on('headers', (headers, req) => {
      const cookie = this.cookies.get(req)
      if (cookie) headers.push(`Set-Cookie: ${cookie}`)
    })
    const handshake = opts.switches.untrustedClientCert === 'handshake'
    this.server = createServer({ ...opts.tls, ca: opts.ca, requestCert: true, rejectUnauthorized: handshake }, (req, res) => this.plainRequest(req, res))
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.guard(socket, this.engineUpgrade(req, socket, head)))
    this.server.on('tlsClientError', () => {})
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.opts.port, this.opts.host, () => resolve())
    })
    return (this.server.address() as AddressInfo).port
  }

  /** A WebSocket upgrade on the proxy listener: the VP authenticates it like any request. */
  proxyUpgrade(proxy: Proxy, req: IncomingMessage, socket: Socket, head: Buffer): void {
    this.guard(socket, this.authenticatedUpgrade(proxy, req, socket, head))
  }

  /** A simulator bug answers 500 instead of taking the process down. */
  private guard(socket: Socket, handling: Promise<void>): void {
    handling.catch((err: unknown) => refuseUpgrade(socket, { status: 500, text: `Internal simulator error: ${String(err)}` }))
  }

  private async authenticatedUpgrade(proxy: Proxy, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const { pathname, rawQuery } = splitUrl(req.url)
    const gate = await this.admit('proxy', req, socket, proxy.qrsPath(pathname), () => proxy.expireSessions())
    if (!gate) return
    const auth = proxy.authenticate(req, pathname, rawQuery)
    if (!auth.ok) return gate.refuse(auth.reply)
    const app = appPath.exec(auth.rest)
    if (!app) return gate.refuse({ status: 404, text: 'Not found' })
    if (auth.setCookie) this.cookies.set(req, auth.setCookie)
    const keepAlive = this.opts.switches.engineKeepsProxySession ? auth.keepAlive : undefined
    this.open('proxy', req, socket, head, auth.user, decode(app[1]), gate.done, keepAlive)
  }

  /** A WebSocket upgrade on the engine port: the client certificate and X-Qlik-User, as the QRS port checks them. */
  private async engineUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const { pathname } = splitUrl(req.url)
    const gate = await this.admit('engine', req, socket, pathname, () => {})
    if (!gate) return
    const app = appPath.exec(pathname)
    if (!app) return gate.refuse({ status: 404, text: 'Not found' })
    if (!(socket as TLSSocket).authorized) return gate.refuse({ status: 403, text: 'Forbidden: no trusted client certificate was presented' })
    // The engine has no service account to fall back on (a simulator choice): the header is required.
    if (req.headers['x-qlik-user'] === undefined) return gate.refuse({ status: 403, text: 'Forbidden: the X-Qlik-User header is required' })
    const user = checkUser(req, this.opts.scenario.users ?? [])
    if (!user.ok) return gate.refuse({ status: 403, text: user.message })
    this.open('engine', req, socket, head, user.user, decode(app[1]), gate.done)
  }

  /** Records the upgrade and applies faults to it; undefined when a fault took it. */
  private async admit(
    listener: FaultListener,
    req: IncomingMessage,
    socket: Socket,
    faultPath: string,
    dropSessions: () => void
  ): Promise<{ refuse: (reply: Reply) => void; done: (status: number) => void } | undefined> {
    const time = Date.now()
    const { pathname, rawQuery } = splitUrl(req.url)
    const fault = this.opts.faults.match('GET', faultPath, listener, isUpgradeFault)
    const done = (status: number): void => {
      this.opts.record({
        time,
        method: req.method ?? 'GET',
        path: pathname,
        query: rawQuery,
        headers: { ...req.headers },
        status,
        listener,
        clientCertCN: peerCN(socket),
        ...(fault ? { fault: fault.kind } : {})
      })
      this.opts.log(`[${listener}] upgrade ${req.url ?? ''} -> ${status || 'reset'}${fault ? ` [fault: ${fault.kind}]` : ''}`)
    }
    const refuse = (reply: Reply): void => {
      done(reply.status)
      refuseUpgrade(socket, reply)
    }
    switch (fault?.kind) {
      case 'status':
        refuse({ status: fault.status, text: fault.body ?? statusText(fault.status), ...(fault.retryAfter ? { headers: { 'Retry-After': fault.retryAfter } } : {}) })
        return undefined
      case 'reset':
        done(0)
        resetConnection(socket)
        return undefined
      case 'refuse':
        done(0)
        this.opts.refuse(fault.ms)
        resetConnection(socket)
        return undefined
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, fault.ms).unref())
        break
      case 'drop-sessions':
        dropSessions()
        break
    }
    return { refuse, done }
  }

  private open(
    listener: 'engine' | 'proxy',
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
    user: QlikUser,
    appId: string,
    done: (status: number) => void,
    keepAlive?: () => void
  ): void {
    if (socket.destroyed) return done(0)
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      done(101)
      const session = new EngineSession(ws, user, listener, appId, `/app/${appId}`, this.context, keepAlive)
      this.sessions.add(session)
      ws.on('close', () => this.sessions.delete(session))
    })
  }

  /** The engine port answers only WebSocket upgrades. */
  private plainRequest(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
    res.end('Not found')
    req.resume()
  }

  dropSessions(): void {
    for (const s of this.sessions) s.drop()
  }

  hooks(url: string, port: number): EngineHooks {
    const sameApp = (a: string, b?: string): boolean => b === undefined || a.toLowerCase() === b.toLowerCase()
    const progressTimes = (sessionId?: string): number[] =>
      this.calls.filter((c) => c.method === 'GetProgress' && (sessionId === undefined || c.sessionId === sessionId)).map((c) => c.time)
    return {
      url,
      port,
      calls: this.calls,
      reloads: this.reloads,
      saves: this.saves,
      reloadCount: (appId) => this.reloads.filter((r) => sameApp(r.appId, appId)).length,
      saveCount: (appId) => this.saves.filter((s) => sameApp(s.appId, appId)).length,
      progressCount: (sessionId) => progressTimes(sessionId).length,
      progressRate: (windowMs = 1000, sessionId) => {
        const times = progressTimes(sessionId)
        let most = 0
        for (let i = 0, j = 0; i < times.length; i++) {
          while (times[i] - times[j] >= windowMs) j++
          most = Math.max(most, i - j + 1)
        }
        return most
      },
      sessions: () => [...this.sessions].map((s) => s.info()),
      savedTables: (appId) => this.apps.find(appId)?.saved.tables.map((t) => ({ name: t.name, rows: t.rows })),
      dropSessions: () => this.dropSessions()
    }
  }

  async close(): Promise<void> {
    for (const s of this.sessions) s.drop()
    this.sessions.clear()
    for (const r of this.context.live) r.stop()
    this.wss.close()
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }
}

function splitUrl(url = '/'): { pathname: string; rawQuery: string } {
  const q = url.indexOf('?')
  return { pathname: q < 0 ? url : url.slice(0, q), rawQuery: q < 0 ? '' : url.slice(q + 1) }
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}
