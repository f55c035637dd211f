import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { ListenAddress } from '../settings/settings.js'
import type { Log } from '../toolkit/toolkit.js'

/**
 * Wake-ups are a token bucket: a burst of this many at once (a reload's status changes come close
 * together: Queued, Started, the end)...
 */
export const WAKE_BURST = 2
/** ...then one more each this many ms: each costs QRS reads, and anyone who can reach the port can post. */
export const WAKE_REFILL_MS = 1_000
/** The QRS sends a small JSON list per callback. */
export const MAX_CALLBACK_BYTES = 64 * 1024
const MAX_CONNECTIONS = 32
const HEADERS_TIMEOUT_MS = 3_000
const REQUEST_TIMEOUT_MS = 5_000

/** One HTTP server per listen address, shared by every subscription of the run (several targets, one port). */
interface Shared {
  server: Server
  port: number
  routes: Map<string, WakeUpListener>
}

const servers = new Map<string, Promise<Shared>>()

/**
 * Receives the QRS's change notifications on a path of its own that ends in an unguessable token. A
 * callback is only a wake-up: its body is never read as the truth; the wait re-reads the state over the
 * API. Wake-ups reach `onWake` as the bucket allows (WAKE_BURST, then one per WAKE_REFILL_MS); callbacks
 * beyond that join the next one. Any other path is answered 404 and wakes nothing.
 */
export class WakeUpListener {
  /** Callbacks received on the path. */
  wakeUps = 0
  /** Called on a wake-up. */
  onWake?: () => void
  private tokens = WAKE_BURST
  private counted = performance.now()
  /** A wake-up waiting for its token: later callbacks join it. */
  private pending?: NodeJS.Timeout

  private constructor(
    private readonly shared: Shared,
    private readonly key: string,
    /** The path the QRS must call: the notify-url path and the token. */
    readonly path: string,
    readonly token: string,
    private readonly log: Log
  ) {}

  get port(): number {
    return this.shared.port
  }

  static async start(address: ListenAddress, basePath: string, log: Log): Promise<WakeUpListener> {
    const key = `${address.host}:${address.port}`
    let pending = servers.get(key)
    if (!pending) {
      pending = listen(address)
      servers.set(key, pending)
      pending.catch(() => servers.delete(key))
    }
    const shared = await pending
    const token = randomBytes(18).toString('base64url')
    // Known only to the QRS (and whoever can read its notification list): masked in the job log.
    log.setSecret(token)
    const path = `${basePath.replace(/\/+$/, '')}/${token}`
    const listener = new WakeUpListener(shared, key, path, token, log)
    shared.routes.set(path, listener)
    return listener
  }

  /** A callback arrived on this listener's path. */
  notify(): void {
    this.wakeUps++
    this.log.debug('Qlik notification received: checking the execution soon.')
    if (this.pending) return
    this.refill()
    if (this.tokens >= 1) return this.wake()
    this.pending = setTimeout(
      () => {
        this.pending = undefined
        this.refill()
        this.wake()
      },
      Math.ceil((1 - this.tokens) * WAKE_REFILL_MS)
    )
    this.pending.unref()
  }

  private refill(): void {
    const now = performance.now()
    this.tokens = Math.min(WAKE_BURST, this.tokens + (now - this.counted) / WAKE_REFILL_MS)
    this.counted = now
  }

  private wake(): void {
    this.tokens = Math.max(0, this.tokens - 1)
    this.onWake?.()
  }

  /** Removes this path; the server closes with its last user. */
  async close(): Promise<void> {
    clearTimeout(this.pending)
    this.pending = undefined
    this.onWake = undefined
    const { routes, server } = this.shared
    routes.delete(this.path)
    if (routes.size > 0) return
    servers.delete(this.key)
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
}

async function listen(address: ListenAddress): Promise<Shared> {
  const routes = new Map<string, WakeUpListener>()
  const server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1_000 }, (request, response) =>
    handle(routes, request, response)
  )
  server.maxConnections = MAX_CONNECTIONS
  server.keepAliveTimeout = 2_000
  server.maxHeadersCount = 50
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(address.port, address.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  // A client error (bad request, timeout) closes that connection only.
  server.on('clientError', (_error, socket) => socket.destroy())
  return { server, port: (server.address() as { port: number }).port, routes }
}

function handle(routes: Map<string, WakeUpListener>, request: IncomingMessage, response: ServerResponse): void {
  const listener = request.method === 'POST' ? routes.get((request.url ?? '').split('?')[0]) : undefined
  const declared = Number(request.headers['content-length'] ?? 0)
  if (!listener || declared > MAX_CALLBACK_BYTES) {
    refuse(request, response, listener ? 413 : 404)
    return
  }
  let bytes = 0
  // The body is not needed (a callback only says "look again"), only bounded.
  request.on('data', (chunk: Buffer) => {
    bytes += chunk.length
    if (bytes > MAX_CALLBACK_BYTES && !response.headersSent) refuse(request, response, 413)
  })
  request.on('end', () => {
    if (response.headersSent) return
    response.writeHead(200).end()
    listener.notify()
  })
  request.on('error', () => undefined)
}

/** Answers and closes the connection without reading the rest of the request. */
function refuse(request: IncomingMessage, response: ServerResponse, status: number): void {
  response.on('error', () => undefined)
  response.writeHead(status, { Connection: 'close' }).end(() => request.destroy())
}
