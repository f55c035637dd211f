/**
 * One engine session: one WebSocket, as one user. Sends OnConnected, then answers JSON-RPC requests
 * (several may be in flight: GetProgress is answered while DoReloadEx runs). The Global handle is
 * -1; OpenDoc gives the app a handle of its own.
 */
import { randomUUID } from 'node:crypto'
import type { WebSocket } from 'ws'
import type { QlikUser } from '../auth.js'
import { maintenancePage, rewriteJson } from '../fault-wire.js'
import { isEngineCallFault, type EngineCallFaultAction, type FaultRegistry } from '../faults.js'
import type { Switches } from '../scenario.js'
import type { DataModel, EngineApp, EngineApps } from './apps.js'
import type { EngineCall, EngineReloadRecord, EngineSaveRecord, EngineSessionInfo } from './hooks.js'
import { appLayout, tablesAndKeys } from './layout.js'
import { findMethod, flag, integer, namedParams, newReloadParams, text } from './methods.js'
import { progressData } from './progress.js'
import { makePlan, Reload } from './reload.js'
import { errorCodes, errorMessage, notification, parseRequest, resultMessage, RpcError, type RpcRequest } from './rpc.js'

export interface SessionContext {
  apps: EngineApps
  switches: Switches
  faults: FaultRegistry
  calls: EngineCall[]
  reloads: EngineReloadRecord[]
  saves: EngineSaveRecord[]
  /** Every open session (the open-mode check looks at the others). */
  sessions(): Iterable<EngineSession>
  /** A node restart (fault `refuse`). */
  refuse(ms: number): void
  /** Reloads not ended yet, of every session (close() stops their timers). */
  live: Set<Reload>
}

interface OpenDoc {
  handle: number
  app: EngineApp
  noData: boolean
  model: DataModel
  /** Reloaded since it was opened or saved (qModified). */
  modified: boolean
}

type Answer = Record<string, unknown>

export class EngineSession {
  readonly id = randomUUID()
  readonly openedAt = Date.now()
  private doc?: OpenDoc
  private readonly ownReloads: Reload[] = []
  private readonly records = new Map<Reload, EngineReloadRecord>()
  /** Persistent progress lines not yet handed out by GetProgress. */
  private pending: string[] = []
  private closed = false

  constructor(
    private readonly ws: WebSocket,
    readonly user: QlikUser,
    readonly listener: 'engine' | 'proxy',
    /** The app id of the URL; `path` = /app/<id>, what fault rules match. */
    readonly appId: string,
    private readonly path: string,
    private readonly ctx: SessionContext,
    /** Called on every request (keeps a proxy session alive). */
    private readonly onTraffic: () => void = () => {}
  ) {
    ws.on('message', (data: Buffer) => this.onMessage(data.toString('utf8')))
    ws.on('close', () => this.onClose())
    ws.on('error', () => {}) // a reset connection: 'close' follows
    this.send(notification('OnConnected', { qSessionState: 'SESSION_CREATED' }))
  }

  get userName(): string {
    return `${this.user.userDirectory}\\${this.user.userId}`
  }

  /** The app open in this session with data (true), without (false), or not open. */
  openMode(app: EngineApp): boolean | undefined {
    return this.doc?.app === app ? !this.doc.noData : undefined
  }

  info(): EngineSessionInfo {
    return {
      id: this.id,
      user: this.userName,
      listener: this.listener,
      appId: this.appId,
      openDoc: this.doc?.app.id,
      noData: this.doc?.noData ?? false,
      reloading: this.ownReloads.some((r) => !r.ended),
      openedAt: this.openedAt
    }
  }

  /** Drops the connection without a close frame (the client sees 1006); also when the simulator closes. */
  drop(): void {
    this.ws.terminate()
  }

  private send(message: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(message)
  }

  private onMessage(raw: string): void {
    let request: RpcRequest
    try {
      request = parseRequest(raw)
    } catch (err) {
      if (err instanceof RpcError) this.send(errorMessage(null, err))
      return
    }
    this.onTraffic()
    const fault = this.ctx.faults.match(request.method, this.path, this.listener, isEngineCallFault)
    this.ctx.calls.push({
      time: Date.now(),
      id: request.id,
      method: request.method,
      handle: request.handle,
      params: request.params,
      listener: this.listener,
      user: this.userName,
      sessionId: this.id,
      appId: this.appId,
      ...(fault ? { fault: fault.kind } : {})
    })
    if (fault?.kind === 'reset') return this.drop()
    if (fault?.kind === 'refuse') {
      this.ctx.refuse(fault.ms)
      return this.drop()
    }
    const answer = this.answer(request, fault?.kind === 'hang').then((message) => reshaped(message, request, fault))
    if (fault?.kind === 'reset-after-handling') return this.drop()
    if (fault?.kind === 'drop') setTimeout(() => this.drop(), fault.ms).unref()
    if (fault?.kind === 'hang' && request.method !== 'DoReloadEx') return
    const delay = fault?.kind === 'delay' ? fault.ms : 0
    void answer.then((message) => {
      if (request.id === undefined) return // a notification: no answer
      if (delay > 0) setTimeout(() => this.send(message), delay).unref()
      else this.send(message)
    })
  }

  private async answer(request: RpcRequest, hang: boolean): Promise<string> {
    try {
      return resultMessage(request, await this.dispatch(request, hang))
    } catch (err) {
      return errorMessage(request.id, err instanceof RpcError ? err : new RpcError(errorCodes.internalError, String(err)))
    }
  }

  private dispatch(request: RpcRequest, hang: boolean): Promise<Answer> | Answer {
    const doc = this.doc
    const cls = request.handle === -1 ? 'Global' : doc && request.handle === doc.handle ? 'Doc' : undefined
    if (!cls) throw new RpcError(errorCodes.invalidParams, `Invalid handle: ${request.handle}`)
    const method = findMethod(cls, request.method)
    if (!method) throw new RpcError(errorCodes.methodNotFound, request.method)
    const p = namedParams(method, request)
    switch (method.method) {
      case 'OpenDoc':
        return this.openDoc(text(p.qDocName), flag(p.qNoData))
      case 'GetProgress':
        return { qProgressData: this.progress(integer(p.qRequestId)) }
      case 'CancelReload':
        for (const r of this.ownReloads) r.cancel()
        return {}
      case 'DoReloadEx':
        return this.reload(doc as OpenDoc, request, p.qParams ?? {}, hang)
      case 'DoSave':
        return this.save(doc as OpenDoc)
      case 'GetTablesAndKeys':
        return tablesAndKeys((doc as OpenDoc).model)
      default: {
        const d = doc as OpenDoc
        const readOnly = !this.ctx.apps.allows(this.user, d.app, 'update')
        return { qLayout: appLayout({ app: d.app, model: d.model, noData: d.noData, modified: d.modified, readOnly }) }
      }
    }
  }

  private openDoc(name: string, noData: boolean): Answer {
    if (this.doc) throw new RpcError(errorCodes.appAlreadyOpen, name)
    const app = this.ctx.apps.find(name)
    if (!app) throw new RpcError(this.ctx.switches.engineAppNotFoundCode, name)
    if (!this.ctx.apps.allows(this.user, app, 'read')) throw new RpcError(errorCodes.accessDenied, name)
    if (this.ctx.switches.engineMixedOpenModes === 'refused') {
      for (const other of this.ctx.sessions()) {
        const mode = other === this ? undefined : other.openMode(app)
        if (mode !== undefined && mode === noData) throw new RpcError(errorCodes.appOpenInDifferentMode, name)
      }
    }
    const handle = 1
    this.doc = { handle, app, noData, model: this.ctx.apps.open(app, noData), modified: false }
    return { qReturn: { qType: 'Doc', qHandle: handle, qGenericId: app.id } }
  }

  /** Moves the lines the reloads produced so far into `pending`, in order. */
  private collect(): void {
    for (const r of this.ownReloads) this.pending.push(...r.takeNewLines())
  }

  private progress(requestId: number): Answer {
    const own = this.ownReloads.find((r) => r.requestId === requestId)
    if (requestId !== 0 && requestId !== -1 && !own) return progressData({ detail: 'unknown', lines: [] }, this.ctx.switches)
    this.collect()
    const lines = this.pending
    this.pending = []
    return progressData({ detail: own ? 'full' : 'messages', reload: own ?? this.ownReloads.at(-1), lines }, this.ctx.switches)
  }

  private async reload(doc: OpenDoc, request: RpcRequest, rawParams: unknown, hang: boolean): Promise<Answer> {
    const { app } = doc
    if (typeof rawParams !== 'object' || rawParams === null || Array.isArray(rawParams)) throw new RpcError(errorCodes.invalidParams, 'qParams')
    const params = rawParams as Record<string, unknown>
    const newer = newReloadParams.filter((k) => k in params)
    if (newer.length > 0 && this.ctx.switches.engineNewReloadParams === 'refused') throw new RpcError(errorCodes.invalidParams, `qParams: unknown member ${newer.join(', ')}`)
    if (!this.ctx.apps.allows(this.user, app, 'reload')) throw new RpcError(errorCodes.accessDenied, app.id)
    const partial = flag(params.qPartial)
    const scenario = this.ctx.apps.takeReload(app)
    // A partial reload keeps the data model it runs on; without data there is none to keep.
    let tables = partial && doc.noData ? [] : this.ctx.apps.tablesAfter(app, scenario, partial)
    const rowLimit = this.ctx.switches.engineNewReloadParams === 'accepted' ? integer(params.qRowLimit) : 0
    if (rowLimit > 0) tables = tables.map((t) => ({ ...t, rows: Math.min(t.rows, rowLimit) }))
    const record: EngineReloadRecord = {
      appId: app.id,
      sessionId: this.id,
      user: this.userName,
      requestId: request.id,
      partial,
      params,
      queuedAt: Date.now(),
      outcome: 'queued',
      sessionClosed: false
    }
    const model = doc.model
    const reload = new Reload(request.id, app.id, partial, makePlan(scenario, tables, hang), (r) => {
      Object.assign(record, { outcome: r.outcome, startedAt: r.startedAt, endedAt: r.endedAt })
      if (r.outcome !== 'success') return
      model.tables = r.plan.tables
      model.lastReloadTime = new Date(r.endedAt as number).toISOString()
      if (this.doc === doc) doc.modified = true
    })
    this.ctx.reloads.push(record)
    this.ctx.live.add(reload)
    void reload.done.then(() => this.ctx.live.delete(reload))
    this.records.set(reload, record)
    this.ownReloads.push(reload)
    app.reloadQueue = app.reloadQueue.then(() => {
      const turn = reload.run()
      Object.assign(record, { outcome: reload.outcome, startedAt: reload.startedAt })
      return turn
    })
    return { qResult: await reload.done }
  }

  private save(doc: OpenDoc): Answer {
    if (!this.ctx.apps.allows(this.user, doc.app, 'update')) throw new RpcError(errorCodes.accessDenied, doc.app.id)
    // An app opened without data and not reloaded has nothing to save: the saved app keeps its data.
    if (!doc.noData || doc.modified) this.ctx.apps.save(doc.app, doc.model)
    doc.modified = false
    this.ctx.saves.push({ appId: doc.app.id, sessionId: this.id, user: this.userName, time: Date.now() })
    this.collect()
    this.pending.push('App saved')
    return {}
  }

  private onClose(): void {
    if (this.closed) return
    this.closed = true
    for (const r of this.ownReloads) {
      if (r.ended) continue
      const record = this.records.get(r)
      if (record) record.sessionClosed = true
      if (this.ctx.switches.engineReloadOnClose === 'abort') r.cancel()
    }
    if (this.doc) this.ctx.apps.release(this.doc.app, this.doc.model)
  }
}

/**
 * The answer as a fault shapes it: `html` sends a page in place of the JSON-RPC message; `rewrite` sets
 * fields of its `result`, sent whole (enigma.js takes an answer without `delta` as it is).
 */
function reshaped(message: string, request: RpcRequest, fault: EngineCallFaultAction | undefined): string {
  if (fault?.kind === 'html') return fault.body ?? maintenancePage
  if (fault?.kind !== 'rewrite') return message
  const parsed = JSON.parse(message) as { delta?: boolean; result?: Record<string, unknown> }
  if (!parsed.result) return message
  const result = parsed.delta ? Object.fromEntries(Object.entries(parsed.result).map(([key, patches]) => [key, (patches as { value: unknown }[])[0]?.value])) : parsed.result
  return `{"jsonrpc":"2.0","id":${JSON.stringify(request.id ?? null)},"result":${rewriteJson(result, fault.set)}}`
}
