import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { ListenAddress } from '../settings/settings.js'
import type { Log } from '../toolkit/toolkit.js'

/** Wake-ups that end a sleep are at least this far apart: each costs QRS reads, and anyone who can reach the port can post. */
export const MIN_WAKE_GAP_MS = 1_000
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
 * Receives the QRS's change notifications for one execution, on a path of its own that ends in an
 * unguessable token. A callback is only a wake-up: its body is never read as the truth; the wait
 * re-reads the state over the API. `sleep` ends early when a callback arrives, at most once per
 * MIN_WAKE_GAP_MS. Any other path is answered 404 and wakes nothing.
 */
export class WakeUpListener {
  private wake?: () => void
  private pending = false
  private lastWake = -Infinity
  wakeUps = 0

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
    this.pending = true
    this.wake?.()
  }

  /** Waits `ms`, or less if a callback arrives (also one that arrived since the last wait). True when woken. */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const started = performance.now()
      let timer: NodeJS.Timeout | undefined
      const finish = (): void => {
        cleanup()
        // A callback that came during the sleep counts, even when the sleep ran out first.
        const woken = this.pending
        if (woken) this.lastWake = performance.now()
        this.pending = false
        resolve(woken)
      }
      const aborted = (): void => {
        cleanup()
        // The signal's reason is what the caller aborted with (an AbortError by default): passed on as it is.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(signal!.reason)
      }
      const cleanup = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', aborted)
        this.wake = undefined
      }
      // The sleep ends at its end, or when a callback is pending and the gap since the last wake-up has passed.
      const arm = (): void => {
        clearTimeout(timer)
        const now = performance.now()
        const end = started + ms
        const wakeAt = this.pending ? Math.max(now, this.lastWake + MIN_WAKE_GAP_MS) : Infinity
        timer = setTimeout(finish, Math.max(0, Math.min(end, wakeAt) - now))
      }
      if (signal?.aborted) return aborted()
      signal?.addEventListener('abort', aborted, { once: true })
      this.wake = arm
      arm()
    })
  }

  /** Removes this path; the server closes with its last user. */
  async close(): Promise<void> {
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
