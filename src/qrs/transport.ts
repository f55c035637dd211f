import { HttpClient } from '@actions/http-client'
import type { Agent, IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Writable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { createAgent, type ClientTls, type ServerTls } from './agent.js'
import { describeConnectionError } from './connection-errors.js'
import { ConnectionError } from '../util/errors.js'
import { withoutQuery } from '../output/mask.js'

export type { ServerTls } from './agent.js'

export interface TransportOptions {
  userAgent: string
  serverTls: ServerTls
  clientTls: ClientTls
  /** 1 for an NTLM handshake: NTLM authenticates one TCP connection. */
  maxSockets?: number
  /** Per-request limit (head and body); the QRS answers in milliseconds when healthy. */
  timeoutMs?: number
}

/** What bounds one request. */
export interface RequestLimits {
  /** Aborts the request (the job is cancelled): it rejects with the signal's reason. */
  signal?: AbortSignal
  /** The whole request, head and body (a body that drips is cut too); the transport's timeoutMs by default. */
  timeoutMs?: number
}

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: string
  /** The TCP connection that carried the answer (an NTLM handshake must stay on one). */
  socket: unknown
}

/** A streamed download: how many bytes came, and whether `bodyMs` ended it before the server did. */
export interface Downloaded extends RawResponse {
  bytes: number
  cutShort: boolean
}

const DEFAULT_TIMEOUT_MS = 30_000

/** One keep-alive HTTPS client with the site's TLS settings; no redirects followed, no retries. */
export class Transport {
  private readonly http: HttpClient
  private readonly agent: Agent
  private readonly timeoutMs: number
  /** The abort signal of the request being prepared: http-client hands its options to prepareRequest synchronously. */
  private nextSignal: AbortSignal | undefined

  constructor(
    private readonly base: URL,
    options: TransportOptions
  ) {
    const agent = (this.agent = createAgent(base, options.serverTls, options.clientTls, options.maxSockets))
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    // http-client's documented hook: each request goes out on our agent, with our TLS settings.
    const useOurAgent = {
      prepareRequest: (request: { agent?: unknown; signal?: AbortSignal }) => {
        request.agent = agent
        // Node's request option: an abort destroys the request and its socket (a cancel or the time limit must not wait for a slow answer).
        if (this.nextSignal) request.signal = this.nextSignal
        this.nextSignal = undefined
      },
      canHandleAuthentication: () => false,
      handleAuthentication: () => Promise.reject(new Error('no authentication handler'))
    }
    this.http = new HttpClient(options.userAgent, [useOurAgent], {
      keepAlive: true,
      allowRedirects: false,
      maxSockets: options.maxSockets,
      // A backstop only: our own timer bounds the whole request (an idle timer never fires on a body that drips).
      socketTimeout: this.timeoutMs + 1_000
    })
  }

  async request(method: string, url: string, headers: Record<string, string>, payload?: string, limits: RequestLimits = {}): Promise<RawResponse> {
    const limit = this.limit(url, limits, limits.timeoutMs ?? this.timeoutMs)
    try {
      const message = await this.open(method, url, headers, payload, limit.signal)
      const status = message.statusCode ?? 0
      return { status, headers: message.headers, body: await readBody(message, status, this.base), socket: message.socket }
    } catch (error) {
      throw limit.explain(error)
    } finally {
      limit.clear()
    }
  }

  /**
   * A GET whose 200 body is piped into the `sink()` stages (script logs can be hundreds of MB); other
   * answers come back as text. The head (and a body that is not streamed) is bounded by the time limit;
   * a streamed body by `bodyMs` instead, which ends it where it is (`cutShort`), the stages closed as
   * after a whole body: what came is kept.
   */
  async download(url: string, headers: Record<string, string>, sink: () => Writable[], limits: RequestLimits & { bodyMs: number }): Promise<Downloaded> {
    const head = this.limit(url, limits, limits.timeoutMs ?? this.timeoutMs)
    let message: IncomingMessage
    try {
      message = await this.open('GET', url, headers, undefined, head.signal)
      const status = message.statusCode ?? 0
      if (status !== 200) return { status, headers: message.headers, body: await readBody(message, status, this.base), socket: message.socket, bytes: 0, cutShort: false }
    } catch (error) {
      throw head.explain(error)
    } finally {
      head.clear()
    }
    const streamed = await stream(message, sink(), limits.bodyMs, limits.signal).catch((error: unknown) => {
      throw limits.signal?.aborted ? limits.signal.reason : bodyError(error, this.base)
    })
    return { status: 200, headers: message.headers, body: '', socket: message.socket, ...streamed }
  }

  private async open(method: string, url: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal): Promise<IncomingMessage> {
    signal.throwIfAborted()
    this.nextSignal = signal
    return (await this.http.request(method, url, body ?? (method === 'POST' ? '' : null), headers)).message
  }

  /**
   * The request's own signal: the caller's (a cancel) or the time limit, whichever comes first, and what
   * an error means once one of them fired.
   */
  private limit(url: string, limits: RequestLimits, timeoutMs: number): { signal: AbortSignal; explain: (error: unknown) => unknown; clear: () => void } {
    const timer = new AbortController()
    const timeout = setTimeout(() => timer.abort(), timeoutMs)
    const signal = limits.signal ? AbortSignal.any([limits.signal, timer.signal]) : timer.signal
    return {
      signal,
      clear: () => clearTimeout(timeout),
      explain: error => {
        if (limits.signal?.aborted) return limits.signal.reason as unknown
        if (timer.signal.aborted) {
          const { pathname, search } = new URL(url)
          return new ConnectionError(`${this.base.host} did not answer in time (Request timeout: ${withoutQuery(pathname + search)}).`, true, 'ETIMEDOUT')
        }
        if (error instanceof ConnectionError) return error
        return describeConnectionError(error, this.base)
      }
    }
  }

  dispose(): void {
    this.http.dispose()
    // https.Agent closes its keep-alive sockets; the tunnel agent has no destroy(), like http-client's own.
    ;(this.agent as { destroy?: () => void }).destroy?.()
  }
}

/** A JSON answer larger than this is refused (the largest lists of a big site are a few MB). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024
/** Of an error body only the first part is kept: it is shown cut to a line anyway. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024

/** The body as text, bounded: an error body is cut (and the connection closed), a too large 2xx answer refused. */
async function readBody(message: IncomingMessage, status: number, base: URL): Promise<string> {
  const ok = status >= 200 && status < 300
  const limit = ok ? MAX_BODY_BYTES : MAX_ERROR_BODY_BYTES
  const chunks: Buffer[] = []
  let bytes = 0
  try {
    for await (const chunk of message) {
      chunks.push(chunk as Buffer)
      bytes += (chunk as Buffer).length
      if (bytes > limit) {
        // Not read to its end: this connection cannot carry another request.
        message.destroy()
        if (ok) throw new ConnectionError(`The server's answer is larger than ${limit / 1024 / 1024} MiB: refused.`)
        return Buffer.concat(chunks).subarray(0, limit).toString('utf8')
      }
    }
  } catch (error) {
    throw error instanceof ConnectionError ? error : bodyError(error, base)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** An answer that broke off in the middle is a connection error like any other: worth another try. */
function bodyError(error: unknown, base: URL): ConnectionError {
  if (error instanceof ConnectionError) return error
  const e = error as { code?: string; message?: string }
  return new ConnectionError(`${base.host} closed the connection in the middle of its answer (${e.code || e.message || 'no reason given'}).`, true)
}

/** Pipes the body into the stages; after `bodyMs` it stops reading and ends them as a whole body would. */
async function stream(message: IncomingMessage, stages: Writable[], bodyMs: number, signal?: AbortSignal): Promise<{ bytes: number; cutShort: boolean }> {
  const [first] = stages
  const last = stages.at(-1)!
  for (let i = 1; i < stages.length; i++) stages[i - 1].pipe(stages[i])
  let bytes = 0
  let cutShort = false
  const fail = (error: unknown): void => {
    for (const stage of stages) stage.destroy(error as Error)
  }
  const stopReading = (): void => {
    message.unpipe(first)
    message.removeAllListeners('data')
    message.destroy()
  }
  const timer = setTimeout(() => {
    cutShort = true
    stopReading()
    first.end()
  }, bodyMs)
  const onAbort = (): void => {
    stopReading()
    fail(signal!.reason)
  }
  signal?.addEventListener('abort', onAbort, { once: true })
  message.on('data', (chunk: Buffer) => (bytes += chunk.length))
  message.on('error', error => {
    if (!cutShort) fail(error)
  })
  message.on('close', () => {
    if (!message.complete && !cutShort) fail(new Error('aborted'))
  })
  for (const stage of stages) stage.on('error', fail)
  message.pipe(first)
  try {
    await finished(last)
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
  return { bytes, cutShort }
}

export function isRedirect(status: number): boolean {
  return status >= 300 && status < 400
}
