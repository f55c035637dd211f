import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { checkUser, xrfkeyOk, xsrfMessage } from './auth.js'
import { makeCertificates, type CertPaths } from './certs.js'
import { parseQuery, QueryError, type QueryParam } from './query.js'
import { route, type Reply } from './routes.js'
import { Runner } from './runner.js'
import { checkScenario, defaultSwitches, type Scenario, type Switches } from './scenario.js'
import { buildState, type SimState } from './state.js'

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
  close(): Promise<void>
}

function send(res: ServerResponse, reply: Reply): void {
  if ('json' in reply) {
    res.writeHead(reply.status, { 'Content-Type': 'application/json; charset=utf-8' })
    res.end(JSON.stringify(reply.json))
  } else if ('text' in reply) {
    // Error bodies are never JSON on a real server.
    res.writeHead(reply.status, { 'Content-Type': 'text/plain; charset=utf-8' })
    res.end(reply.text)
  } else {
    res.writeHead(reply.status)
    res.end()
  }
}

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

  async function handleQrs(req: IncomingMessage, pathname: string, rawQuery: string, body: string): Promise<Reply> {
    const socket = req.socket as TLSSocket
    if (!socket.authorized) return { status: 403, text: 'Forbidden: no trusted client certificate was presented' }
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
    const user = checkUser(req, scenario.users ?? [])
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

  function handleControl(req: IncomingMessage, pathname: string): Reply {
    const key = `${req.method} ${pathname.replace(/\/+$/, '')}`
    if (key === 'GET /__sim/requests') return { status: 200, json: requests }
    if (key === 'GET /__sim/starts') return { status: 200, json: Object.fromEntries(state.tasks.map((t) => [t.id, t.starts])) }
    if (key === 'GET /__sim/state') return { status: 200, json: state }
    if (key === 'POST /__sim/reset-requests') {
      requests.length = 0
      return { status: 204, empty: true }
    }
    return { status: 404, text: 'Unknown control endpoint' }
  }

  const server = createServer(
    {
      key: readFileSync(certs.serverKey),
      cert: readFileSync(certs.serverCert),
      ca: readFileSync(certs.ca),
      requestCert: true,
      rejectUnauthorized: switches.untrustedClientCert === 'handshake'
    },
    (req, res) => {
      const time = Date.now()
      const url = req.url ?? '/'
      const q = url.indexOf('?')
      const pathname = q < 0 ? url : url.slice(0, q)
      const rawQuery = q < 0 ? '' : url.slice(q + 1)
      const control = pathname.startsWith('/__sim/')
      readBody(req)
        .then((body) => {
          if (!control) {
            res.on('finish', () => {
              requests.push({
                time, method: req.method ?? '', path: pathname, query: rawQuery, headers: { ...req.headers },
                status: res.statusCode, clientCertCN: peerCN(req.socket as TLSSocket), ...(body ? { body } : {})
              })
              log(`${req.method} ${url} -> ${res.statusCode}`)
            })
          }
          return control ? handleControl(req, pathname) : handleQrs(req, pathname, rawQuery, body)
        })
        .then((reply) => send(res, reply))
        .catch((err: unknown) => {
          if (!res.headersSent) send(res, { status: 500, text: `Internal simulator error: ${String(err)}` })
        })
    }
  )
  // A refused handshake is expected in the "handshake" variant; keep it off stderr.
  server.on('tlsClientError', () => {})

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port

  return {
    url: `https://localhost:${port}`,
    port,
    certs,
    requests,
    state,
    switches,
    startCount: (taskId?: string) =>
      state.tasks.filter((t) => taskId === undefined || t.id.toLowerCase() === taskId.toLowerCase()).reduce((n, t) => n + t.starts, 0),
    close: async () => {
      runner.close()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      if (ownCertsDir) rmSync(certsDir, { recursive: true, force: true })
    }
  }
}
