import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { checkUser, xrfkeyOk, xsrfMessage, type QlikUser } from './auth.js'
import { makeCertificates, type CertPaths } from './certs.js'
import { createBuiltinVerifier } from './ntlm/builtin.js'
import type { NtlmVerifier } from './ntlm/verifier.js'
import { Proxy, type ProxyStats } from './proxy/proxy.js'
import { parseQuery, QueryError, type QueryParam } from './query.js'
import { route, type Reply } from './routes.js'
import { Runner } from './runner.js'
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
  /** Port of the proxy (QPS) listener, started when the scenario has `proxy`. 0 = random (default). */
  proxyPort?: number
  /** Checks NTLM for Windows VPs. Default: the built-in verifier over scenario.proxy.windowsAccounts.
   *  A verifier passed in is not closed by close(). */
  ntlmVerifier?: NtlmVerifier
}

export interface RecordedRequest {
  time: number
  method: string
  /** The pathname. */
  path: string
  /** The raw query string without '?'. */
  query: string
  headers: Record<string, string | string[] | undefined>
  status: number
  /** Which listener took it: the certificate port or the proxy. */
  listener: 'qrs' | 'proxy'
  clientCertCN?: string
  body?: string
}

export interface Simulator {
  /** https://localhost:<port> */
  url: string
  port: number
  certs: CertPaths
  requests: RecordedRequest[]
  /** Executions started, for one task or all. */
  startCount(taskId?: string): number
  state: SimState
  switches: Switches
  /** https://localhost:<proxyPort>, or '' without scenario.proxy. */
  proxyUrl: string
  proxyPort: number
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
  close(): Promise<void>
}

async function send(res: ServerResponse, reply: Reply): Promise<void> {
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value)
  if ('stream' in reply) {
    res.writeHead(reply.status, { 'Content-Type': reply.contentType })
    await reply.stream(res)
  } else if ('json' in reply) {
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

function peerCN(socket: TLSSocket): string | undefined {
  const cn = socket.getPeerCertificate?.()?.subject?.CN
  return Array.isArray(cn) ? cn[0] : cn || undefined
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
  const runner = new Runner(state, switches)
  const requests: RecordedRequest[] = []
  const log = (line: string): void => {
    if (!opts.quiet) console.log(line)
  }

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
    return route({ method: req.method ?? 'GET', segments: decoded, params, body, user: user.user, state, switches, runner })
  }

  const scheduler: QlikUser = { userDirectory: 'INTERNAL', userId: 'sa_scheduler' }
  function startTask(taskId: string, user: QlikUser = scheduler): string {
    const task = findById(state.tasks, taskId)
    if (!task) throw new Error(`Unknown task ${taskId}`)
    return runner.start(task, user) ?? emptyGuid
  }

  function handleControl(req: IncomingMessage, pathname: string): Reply {
    const key = `${req.method} ${pathname.replace(/\/+$/, '')}`
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

  /** Reads the body, records the request, answers; shared by both listeners. */
  function serve(listener: 'qrs' | 'proxy', dispatch: (req: IncomingMessage, pathname: string, rawQuery: string, body: string) => Promise<Reply> | Reply) {
    return (req: IncomingMessage, res: ServerResponse): void => {
      const time = Date.now()
      const url = req.url ?? '/'
      const q = url.indexOf('?')
      const pathname = q < 0 ? url : url.slice(0, q)
      const rawQuery = q < 0 ? '' : url.slice(q + 1)
      const control = listener === 'qrs' && pathname.startsWith('/__sim/')
      readBody(req)
        .then((body) => {
          if (!control) {
            res.on('finish', () => {
              requests.push({
                time, method: req.method ?? '', path: pathname, query: rawQuery, headers: { ...req.headers },
                status: res.statusCode, listener, clientCertCN: peerCN(req.socket as TLSSocket), ...(body ? { body } : {})
              })
              log(`${listener === 'proxy' ? '[proxy] ' : ''}${req.method} ${url} -> ${res.statusCode}`)
            })
          }
          return control ? handleControl(req, pathname) : dispatch(req, pathname, rawQuery, body)
        })
        .then((reply) => send(res, reply))
        .catch((err: unknown) => {
          if (!res.headersSent) void send(res, { status: 500, text: `Internal simulator error: ${String(err)}` })
          else res.destroy()
        })
    }
  }

  const tls = { key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert) }
  const server = createServer(
    { ...tls, ca: readFileSync(certs.ca), requestCert: true, rejectUnauthorized: switches.untrustedClientCert === 'handshake' },
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
  let proxy: Proxy | undefined
  let proxyServer: ReturnType<typeof createServer> | undefined
  let ownVerifier: NtlmVerifier | undefined
  if (scenario.proxy) {
    const verifier = opts.ntlmVerifier ?? (ownVerifier = createBuiltinVerifier({
      accounts: scenario.proxy.windowsAccounts ?? [],
      computer: (scenario.nodeName ?? scenario.machineName.split('.')[0] ?? 'QLIKSRV01').toUpperCase()
    }))
    proxy = new Proxy(scenario.proxy, scenario.users ?? [], certs, verifier, (req, path, rawQuery, body, user) => handleQrs(req, path, rawQuery, body, user))
    const p = proxy
    proxyServer = createServer(tls, serve('proxy', (req, pathname, rawQuery, body) => p.handle(req, pathname, rawQuery, body)))
    const ps = proxyServer
    await new Promise<void>((resolve, reject) => {
      ps.once('error', reject)
      ps.listen(opts.proxyPort ?? 0, opts.host ?? '127.0.0.1', () => resolve())
    })
  }
  const proxyPort = proxyServer ? (proxyServer.address() as AddressInfo).port : 0

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
    expireSessions: (prefix?: string) => proxy?.expireSessions(prefix),
    startTask,
    startCount: (taskId?: string) =>
      state.tasks.filter((t) => taskId === undefined || t.id.toLowerCase() === taskId.toLowerCase()).reduce((n, t) => n + t.starts, 0),
    close: async () => {
      runner.close()
      await Promise.all([server, proxyServer].map((srv) => new Promise<void>((resolve) => {
        if (!srv) return resolve()
        srv.close(() => resolve())
        srv.closeAllConnections()
      })))
      await ownVerifier?.close()
      if (ownCertsDir) rmSync(certsDir, { recursive: true, force: true })
    }
  }
}
