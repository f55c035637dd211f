import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { checkUser, xrfkeyOk, xsrfMessage, type QlikUser } from './auth.js'
import { makeCertificates, type CertPaths } from './certs.js'
import { FaultError, FaultRegistry, isHttpFault, ruleFromJson, statusText, type Faults, type HttpFaultAction } from './faults.js'
import { Engine } from './engine/engine.js'
import type { EngineHooks } from './engine/hooks.js'
import { overLimit, parserHeaderBytes } from './limits.js'
import { cutBody, dripBody, dropQuery, endlessBody, floodCookies, maintenancePage, rewriteJson } from './fault-wire.js'
import { createBuiltinVerifier } from './ntlm/builtin.js'
import type { NtlmVerifier } from './ntlm/verifier.js'
import { resultJson, sessionJson } from './entities.js'
import { NotificationHub, type Notifications } from './notifications.js'
import { Proxy, type ProxyStats } from './proxy/proxy.js'
import { parseQuery, QueryError, type QueryParam } from './query.js'
import type { RecordedRequest } from './recorded.js'
import { peerCN, resetConnection } from './sockets.js'
import { route, type Reply } from './routes.js'
import { Runner, schedulerUser, type ChainFiring, type StopRecord } from './runner.js'
import { checkScenario, defaultSwitches, type Scenario, type Switches } from './scenario.js'
import { buildState, emptyGuid, findById, type SimState } from './state.js'

export interface SimulatorOptions {
  scenario: Scenario
  /** 0 = a random free port. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Default: a fresh directory under os.tmpdir(), removed on close(). */
  certsDir?: string
  /** Overrides scenario.serverNames (the server certificate's subjectAltName entries). */
  serverNames?: string[]
  /** Overrides scenario.switches. */
  switches?: Partial<Switches>
  /** No request log on stdout. */
  quiet?: boolean
  /** Keep each JSON answer in its RecordedRequest (`answer`), e.g. to check answers against Qlik's API definition. Default false. */
  recordAnswers?: boolean
  /** Port of the proxy (QPS) listener, started when the scenario has `proxy`. 0 = random (default). */
  proxyPort?: number
  /** Checks NTLM for Windows VPs. Default: the built-in verifier over scenario.proxy.windowsAccounts.
   *  A verifier passed in is not closed by close(). */
  ntlmVerifier?: NtlmVerifier
  /** Which server certificate the listeners present: 'valid' (server.pem, default) or 'expired' (expired_server.pem). */
  serverCertificate?: 'valid' | 'expired'
  /** Port of the engine (QIX) listener, playing 4747. 0 = random (default). */
  enginePort?: number
}

export interface Simulator {
  /** https://localhost:<port> */
  url: string
  port: number
  certs: CertPaths
  requests: RecordedRequest[]
  /** Executions started, for one task or all (real starts only: a start lost to a `reset`/`status` fault is none). */
  startCount(taskId?: string): number
  /** Stops handled (POST /qrs/task/{id}/stop, ids in stop/many), for one task or all, whether or not the task was running. */
  stopCount(taskId?: string): number
  /** Every stop handled, in order, with Date.now() at handling and whether it aborted a running execution. */
  stops: StopRecord[]
  /** Fault injection rules for both listeners (see faults.ts). */
  faults: Faults
  state: SimState
  switches: Switches
  /** https://localhost:<proxyPort>, or '' without scenario.proxy. */
  proxyUrl: string
  proxyPort: number
  /** wss://localhost:<enginePort>: the engine listener (mutual TLS, X-Qlik-User), apps at /app/<appId>. */
  engineUrl: string
  enginePort: number
  /** The engine's calls, reloads, saves and sessions (see engine/hooks.ts). */
  engine: EngineHooks
  /** Proxy counters (all zero without scenario.proxy). */
  proxy: ProxyStats
  /** Drops the proxy sessions of one VP (or all): the next request with such a cookie counts as having none. */
  expireSessions(prefix?: string): void
  /**
   * Starts an execution of a task as "someone else" (a QMC user or a schedule; the session's user is
   * `user`, default INTERNAL\\sa_scheduler), like any start: it consumes the next run, counts in
   * startCount and follows startWhileRunning. Returns the execution session id, or the empty GUID
   * when nothing started (disabled, not startable, ignored). Throws for an unknown task id.
   */
  startTask(taskId: string, user?: QlikUser): string
  /** The notification API (POST/DELETE /qrs/notification): subscriptions, deliveries to callback URLs, removed handles. */
  notifications: Notifications
  /** Composite events (task chains) that fired, in order: the event, its downstream task, Date.now() of the downstream start, the session started (empty GUID: none). */
  chainFirings: ChainFiring[]
  /**
   * The highest number of executions running at the same time (Triggered, Queued, Started, aborting:
   * from the start to the end of the session), all of them or only those whose session user is
   * `userId` (the X-Qlik-User UserId, or the proxy user; `DIR\\user` also matches the directory).
   */
  runningHighWater(userId?: string): number
  /**
   * A node restart: drops every connection of both listeners and refuses new ones (ECONNREFUSED)
   * for `ms`, then listens again on the same ports. Resolves when it accepts again.
   */
  refuseConnections(ms: number): Promise<void>
  close(): Promise<void>
}

/** The JSON each response was answered with, for recordAnswers. */
const jsonAnswers = new WeakMap<ServerResponse, unknown>()

async function send(res: ServerResponse, reply: Reply): Promise<void> {
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value)
  if ('stream' in reply) {
    res.writeHead(reply.status, { 'Content-Type': reply.contentType })
    await reply.stream(res)
  } else if ('json' in reply) {
    jsonAnswers.set(res, reply.json)
    res.writeHead(reply.status, { 'Content-Type': 'application/json; charset=utf-8' })
    res.end(JSON.stringify(reply.json))
  } else if ('text' in reply) {
    // Error bodies are never JSON on a real server.
    res.writeHead(reply.status, { 'Content-Type': 'text/plain; charset=utf-8' })
    res.end(reply.text)
  } else if ('html' in reply) {
    res.writeHead(reply.status, { 'Content-Type': 'text/html; charset=utf-8' })
    res.end(reply.html)
  } else {
    res.writeHead(reply.status)
    res.end()
  }
}

const noProxyStats: ProxyStats = { sessionsCreated: {}, ntlmHandshakes: {}, ntlmFailures: {}, activeSessions: () => 0 }

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms).unref()) : Promise.resolve()
}

/** Closes the connection without a TLS close_notify or an RST: what a crashed process or a cut cable leaves (the client sees "aborted"). */
function dropConnection(req: IncomingMessage): void {
  req.socket.destroy()
}

export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const scenario = opts.scenario
  checkScenario(scenario)
  const switches: Switches = { ...defaultSwitches, ...scenario.switches, ...opts.switches }
  const serverNames = opts.serverNames ?? scenario.serverNames ?? [scenario.machineName, 'localhost', '127.0.0.1']
  const ownCertsDir = opts.certsDir === undefined
  const certsDir = opts.certsDir ?? mkdtempSync(join(tmpdir(), 'qrs-sim-certs-'))
  const certs = makeCertificates(certsDir, { machineName: scenario.machineName, serverNames })
  const state = buildState(scenario)
  const hub = new NotificationHub({
    entity: (objectType, id) => {
      if (objectType === 'ExecutionResult') {
        const result = findById(state.results, id)
        return result ? resultJson(result, true, { ...switches, shuffleDetails: false }) : undefined
      }
      const session = findById(state.sessions, id)
      return session ? sessionJson(session, true, state, { ...switches, shuffleDetails: false }) : undefined
    },
    delayMs: () => switches.notificationDelayMs,
    repeat: () => switches.notificationRepeat,
    propertyNameHonoured: () => switches.notificationPropertyName === 'honoured',
    engineID: randomUUID(),
    originatorNodeID: state.nodeId,
    originatorHostName: state.machineName
  })
  const requests: RecordedRequest[] = []
  const faults = new FaultRegistry()
  const log = (line: string): void => {
    if (!opts.quiet) console.log(line)
  }
  const expired = opts.serverCertificate === 'expired'
  const tls = { key: readFileSync(expired ? certs.expiredServerKey : certs.serverKey), cert: readFileSync(expired ? certs.expiredServerCert : certs.serverCert) }
  // The engine: its own port (4747 on a real node) and WebSocket upgrades through the proxy; it listens below.
  const engine = new Engine({
    scenario,
    state,
    switches,
    faults,
    tls,
    ca: readFileSync(certs.ca),
    host: opts.host ?? '127.0.0.1',
    port: opts.enginePort ?? 0,
    record: (r) => requests.push(r),
    refuse: (ms) => void refuseConnections(ms),
    log
  })
  const runner = new Runner(
    state,
    switches,
    (change) => hub.emit(change),
    (appId) => engine.apps.taskReloaded(appId)
  )
  /** Requests an 'end-session' fault applies to: GET /qrs/executionsession/{id} answers 404 after the usual checks. */
  const endSession = new WeakSet<IncomingMessage>()
  // The proxy listener (set below when the scenario has one).
  let proxy: Proxy | undefined

  /**
   * The QRS request handling both listeners share. Without `proxyUser` the caller came in on the
   * certificate port (client certificate + X-Qlik-User); with it, the proxy has authenticated the
   * caller and strips the VP prefix. The xrfkey check applies to both.
   */
  async function handleQrs(req: IncomingMessage, pathname: string, rawQuery: string, body: string, proxyUser?: QlikUser): Promise<Reply> {
    const socket = req.socket as TLSSocket
    if (!proxyUser && !socket.authorized) return { status: 403, text: 'Forbidden: no trusted client certificate was presented' }
    const segments = pathname.replace(/\/+$/, '').split('/').slice(1)
    if (segments[0]?.toLowerCase() !== 'qrs') return { status: 404, text: 'Not found' }
    let params: QueryParam[]
    try {
      params = parseQuery(rawQuery)
    } catch (err) {
      if (err instanceof QueryError) return { status: 400, text: err.message }
      throw err
    }
    if (!xrfkeyOk(req, params)) return { status: 403, text: xsrfMessage }
    const user = proxyUser ? { ok: true as const, user: proxyUser } : checkUser(req, scenario.users ?? [])
    if (!user.ok) return { status: 403, text: user.message }
    if (params.some((p) => p.value === undefined)) return { status: 400, text: 'Missing parameter value(s)' }
    let decoded: string[]
    try {
      decoded = segments.slice(1).map((s) => decodeURIComponent(s).toLowerCase())
    } catch {
      return { status: 400, text: 'Malformed URL' }
    }
    const method = req.method ?? 'GET'
    if (endSession.has(req) && method === 'GET' && decoded.length === 2 && decoded[0] === 'executionsession' && !['full', 'count'].includes(decoded[1])) {
      // As if the session entity had been deleted, whatever the execution is doing.
      return { status: 404, text: `Cannot find the execution session with id ${decoded[1]}` }
    }
    return route({ method, segments: decoded, params, body, user: user.user, state, switches, runner, notifications: hub, users: scenario.users ?? [] })
  }

  function startTask(taskId: string, user: QlikUser = schedulerUser): string {
    const task = findById(state.tasks, taskId)
    if (!task) throw new Error(`Unknown task ${taskId}`)
    return runner.start(task, user) ?? emptyGuid
  }

  function handleControl(req: IncomingMessage, pathname: string, body: string): Reply {
    const key = `${req.method} ${pathname.replace(/\/+$/, '')}`
    if (key === 'POST /__sim/faults') {
      try {
        const parsed: unknown = JSON.parse(body)
        const rules = (Array.isArray(parsed) ? parsed : [parsed]).map(ruleFromJson)
        for (const rule of rules) faults.add(rule)
        return { status: 201, json: { value: rules.length } }
      } catch (err) {
        if (err instanceof FaultError || err instanceof SyntaxError) return { status: 400, text: err.message }
        throw err
      }
    }
    if (key === 'DELETE /__sim/faults') {
      faults.clear()
      return { status: 204, empty: true }
    }
    if (key === 'GET /__sim/faults') return { status: 200, json: { rules: faults.toJson(), applied: faults.applied() } }
    if (key === 'GET /__sim/notifications') {
      return { status: 200, json: { active: hub.active(), deliveries: hub.deliveries(), removed: hub.removed() } }
    }
    if (key === 'GET /__sim/stops') return { status: 200, json: runner.stops }
    if (key === 'GET /__sim/engine') {
      const hooks = engine.hooks('', 0)
      return { status: 200, json: { calls: hooks.calls, reloads: hooks.reloads, saves: hooks.saves, sessions: hooks.sessions() } }
    }
    if (key === 'GET /__sim/chains') return { status: 200, json: runner.chainFirings }
    const startMatch = /^POST \/__sim\/start\/([^/]+)$/.exec(key)
    if (startMatch) {
      let id: string
      try {
        id = decodeURIComponent(startMatch[1])
      } catch {
        return { status: 400, text: 'Malformed URL' }
      }
      if (!findById(state.tasks, id)) return { status: 404, text: `Cannot find the task with id ${id}` }
      return { status: 201, json: { value: startTask(id) } }
    }
    if (key === 'GET /__sim/requests') return { status: 200, json: requests }
    if (key === 'GET /__sim/starts') return { status: 200, json: Object.fromEntries(state.tasks.map((t) => [t.id, t.starts])) }
    if (key === 'GET /__sim/state') return { status: 200, json: state }
    if (key === 'POST /__sim/reset-requests') {
      requests.length = 0
      return { status: 204, empty: true }
    }
    return { status: 404, text: 'Unknown control endpoint' }
  }

  /** Reads the body, applies faults, records the request, answers; shared by both listeners. */
  function serve(listener: 'qrs' | 'proxy', dispatch: (req: IncomingMessage, pathname: string, rawQuery: string, body: string) => Promise<Reply> | Reply) {
    return (req: IncomingMessage, res: ServerResponse): void => {
      const time = Date.now()
      const url = req.url ?? '/'
      const q = url.indexOf('?')
      const pathname = q < 0 ? url : url.slice(0, q)
      const rawQuery = q < 0 ? '' : url.slice(q + 1)
      const control = listener === 'qrs' && pathname.startsWith('/__sim/')
      readBody(req)
        .then(async (body) => {
          if (control) return send(res, handleControl(req, pathname, body))
          const method = req.method ?? ''
          // The HTTP stack refuses an over-long request before the service (or a fault) sees it.
          const tooLong = overLimit(req, switches)
          const fault = tooLong ? undefined : faults.match(method, listener === 'proxy' && proxy ? proxy.qrsPath(pathname) : pathname, listener, isHttpFault)
          let recorded = false
          const record = (status: number): void => {
            if (recorded) return
            recorded = true
            requests.push({
              time,
              method,
              path: pathname,
              query: rawQuery,
              headers: { ...req.headers },
              status,
              listener,
              clientCertCN: peerCN(req.socket),
              ...(body ? { body } : {}),
              ...(fault ? { fault: fault.kind } : {}),
              ...(opts.recordAnswers && jsonAnswers.has(res) ? { answer: jsonAnswers.get(res) } : {})
            })
            log(`${listener === 'proxy' ? '[proxy] ' : ''}${method} ${url} -> ${status || 'reset'}${fault ? ` [fault: ${fault.kind}]` : ''}`)
          }
          res.on('finish', () => record(res.statusCode))
          if (tooLong) return send(res, tooLong)
          if (fault) return faulted(fault, listener, req, res, record, rawQuery, (query = rawQuery) => dispatch(req, pathname, query, body))
          return send(res, await dispatch(req, pathname, rawQuery, body))
        })
        .catch((err: unknown) => {
          if (!res.headersSent) void send(res, { status: 500, text: `Internal simulator error: ${String(err)}` })
          else res.destroy()
        })
    }
  }

  /** Runs one request under a fault (see FaultAction for what each one does). */
  async function faulted(
    fault: HttpFaultAction,
    listener: 'qrs' | 'proxy',
    req: IncomingMessage,
    res: ServerResponse,
    record: (status: number) => void,
    rawQuery: string,
    handle: (rawQuery?: string) => Promise<Reply> | Reply
  ): Promise<void> {
    // Answers that never finish (cut, dripping to a client that gave up, endless) are recorded with status 0.
    const recordOnClose = (): void => void res.on('close', () => record(res.writableFinished ? res.statusCode : 0))
    switch (fault.kind) {
      case 'status':
        return send(res, {
          status: fault.status,
          text: fault.body ?? statusText(fault.status),
          ...(fault.retryAfter !== undefined ? { headers: { 'Retry-After': fault.retryAfter } } : {})
        })
      case 'reset':
        record(0)
        return resetConnection(req.socket)
      case 'reset-after-handling':
        await handle()
        record(0)
        return resetConnection(req.socket)
      case 'delay': {
        // A client that gives up (its timeout) closes the connection: recorded with status 0.
        res.on('close', () => record(res.writableFinished ? res.statusCode : 0))
        const reply = await handle()
        await sleep(fault.ms)
        if (res.destroyed) return
        return send(res, reply)
      }
      case 'drop-sessions':
        if (listener === 'proxy') proxy?.expireSessions()
        return send(res, await handle())
      case 'end-session':
        endSession.add(req)
        return send(res, await handle())
      case 'refuse':
        record(0)
        void refuseConnections(fault.ms)
        return resetConnection(req.socket)
      case 'cut': {
        cutBody(res, fault.bytes, () => {
          record(0)
          dropConnection(req)
        })
        if (fault.handle !== false) return send(res, await handle())
        res.writeHead(fault.status ?? 200, { 'Content-Type': 'application/json; charset=utf-8' })
        res.end(fault.body ?? `[{"id":"${emptyGuid}","name":"an answer cut in the middle"}]`)
        return
      }
      case 'drip':
        recordOnClose()
        dripBody(res, fault.ms, fault.bytes ?? 1)
        return send(res, await handle())
      case 'endless':
        recordOnClose()
        return endlessBody(res, fault.bytesPerSecond)
      case 'late-start':
        if (fault.answer === 'early') {
          // The execution appears later, whatever happens to this connection.
          setTimeout(() => void lateHandle(handle), fault.ms).unref()
          return send(res, { status: 204, empty: true })
        }
        recordOnClose()
        await sleep(fault.ms)
        if (closing) return
        {
          const reply = await handle()
          if (res.destroyed) return
          return send(res, reply)
        }
      case 'rewrite': {
        const reply = await handle()
        if (!('json' in reply)) return send(res, reply)
        const text = rewriteJson(reply.json, fault.set)
        res.writeHead(reply.status, { ...reply.headers, 'Content-Type': 'application/json; charset=utf-8' })
        res.end(text)
        return
      }
      case 'drop-query':
        return send(res, await handle(dropQuery(rawQuery, fault.params)))
      case 'html':
        return send(res, { status: fault.status ?? 200, html: fault.body ?? maintenancePage })
      case 'set-cookies': {
        const reply = await handle()
        const own = reply.headers?.['Set-Cookie'] ?? []
        return send(res, { ...reply, headers: { ...reply.headers, 'Set-Cookie': [...(Array.isArray(own) ? own : [own]), ...floodCookies(fault.count, fault.bytes ?? 100)] } })
      }
    }
  }

  /** A late start's handling, unless the simulator closed meanwhile. */
  async function lateHandle(handle: () => Promise<Reply> | Reply): Promise<void> {
    if (closing) return
    try {
      await handle()
    } catch {
      // nobody waits for this answer
    }
  }

  /** Set by close(): late handling no longer runs. */
  let closing = false
  let refusing: Promise<void> | undefined
  /** Closes both listeners (and their connections) for `ms`; a second call while refusing joins the first. */
  function refuseConnections(ms: number): Promise<void> {
    if (refusing) return refusing
    const listeners = [server, proxyServer, engine.server].filter((srv): srv is NonNullable<typeof srv> => srv !== undefined && srv.listening)
    const ports = listeners.map((srv) => (srv.address() as AddressInfo).port)
    for (const srv of listeners) {
      srv.close()
      srv.closeAllConnections()
    }
    // Upgraded sockets are no longer the servers' connections.
    engine.dropSessions()
    refusing = sleep(ms).then(async () => {
      await Promise.all(
        listeners.map(
          (srv, i) =>
            new Promise<void>((resolve, reject) => {
              srv.once('error', reject)
              srv.listen(ports[i], opts.host ?? '127.0.0.1', () => resolve())
            })
        )
      )
      refusing = undefined
    })
    return refusing
  }

  const server = createServer(
    { ...tls, ca: readFileSync(certs.ca), requestCert: true, rejectUnauthorized: switches.untrustedClientCert === 'handshake', maxHeaderSize: parserHeaderBytes },
    serve('qrs', (req, pathname, rawQuery, body) => handleQrs(req, pathname, rawQuery, body))
  )
  // A refused handshake is expected in the "handshake" variant; keep it off stderr.
  server.on('tlsClientError', () => {})

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port

  // The proxy: no client certificate requested, same server certificate, same QRS handling.
  let proxyServer: ReturnType<typeof createServer> | undefined
  let ownVerifier: NtlmVerifier | undefined
  if (scenario.proxy) {
    const verifier =
      opts.ntlmVerifier ??
      (ownVerifier = createBuiltinVerifier({
        accounts: scenario.proxy.windowsAccounts ?? [],
        computer: (scenario.nodeName ?? scenario.machineName.split('.')[0] ?? 'QLIKSRV01').toUpperCase()
      }))
    proxy = new Proxy(scenario.proxy, scenario.users ?? [], certs, verifier, (req, path, rawQuery, body, user) => handleQrs(req, path, rawQuery, body, user))
    const p = proxy
    proxyServer = createServer(
      { ...tls, maxHeaderSize: parserHeaderBytes },
      serve('proxy', (req, pathname, rawQuery, body) => p.handle(req, pathname, rawQuery, body))
    )
    const ps = proxyServer
    await new Promise<void>((resolve, reject) => {
      ps.once('error', reject)
      ps.listen(opts.proxyPort ?? 0, opts.host ?? '127.0.0.1', () => resolve())
    })
  }
  const proxyPort = proxyServer ? (proxyServer.address() as AddressInfo).port : 0

  const enginePort = await engine.listen()
  if (proxy && proxyServer) {
    const p = proxy
    proxyServer.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => engine.proxyUpgrade(p, req, socket, head))
  }
  const engineUrl = `wss://localhost:${enginePort}`

  return {
    url: `https://localhost:${port}`,
    port,
    certs,
    requests,
    state,
    switches,
    proxyUrl: proxyServer ? `https://localhost:${proxyPort}` : '',
    proxyPort,
    proxy: proxy?.stats ?? noProxyStats,
    engineUrl,
    enginePort,
    engine: engine.hooks(engineUrl, enginePort),
    expireSessions: (prefix?: string) => proxy?.expireSessions(prefix),
    startTask,
    startCount: (taskId?: string) => state.tasks.filter((t) => taskId === undefined || t.id.toLowerCase() === taskId.toLowerCase()).reduce((n, t) => n + t.starts, 0),
    stopCount: (taskId?: string) => runner.stops.filter((s) => taskId === undefined || s.taskId.toLowerCase() === taskId.toLowerCase()).length,
    stops: runner.stops,
    faults,
    notifications: hub,
    chainFirings: runner.chainFirings,
    runningHighWater: (userId?: string) => runner.runningHighWater(userId),
    refuseConnections,
    close: async () => {
      closing = true
      await refusing
      runner.close()
      hub.close()
      // First the engine's WebSockets: a listener's close() waits for its upgraded sockets too.
      await engine.close()
      await Promise.all(
        [server, proxyServer].map(
          (srv) =>
            new Promise<void>((resolve) => {
              if (!srv) return resolve()
              srv.close(() => resolve())
              srv.closeAllConnections()
            })
        )
      )
      await ownVerifier?.close()
      if (ownCertsDir) rmSync(certsDir, { recursive: true, force: true })
    }
  }
}
