import type { Authenticator } from './authenticator.js'
import { errorMessage, QrsError } from '../util/errors.js'
import { failure, untilAnswered } from '../util/poll.js'
import { hintForStatus, looksLikeHtml } from './hints.js'
import { systemClock, type Clock } from '../util/clock.js'
import { MAX_RETRIES, isTransient, parseRetryAfter, retryDelay } from './retry.js'
import { isRedirect, Transport, type RawResponse, type ServerTls } from './transport.js'
import { newXrfkey } from './xrfkey.js'
import { firstLine } from '../util/text.js'
import type { Writable } from 'node:stream'
import { printUntrusted } from '../output/untrusted.js'
import type { Log } from '../toolkit/toolkit.js'
import { withoutQuery } from '../output/mask.js'

export interface QrsClientOptions {
  url: URL
  userAgent: string
  auth: Authenticator
  tls: ServerTls
  /** Where the request lines (debug) and the retries (info) go. */
  log: Log
  /** Per-request limit (idle socket); the QRS answers in milliseconds when healthy. */
  requestTimeoutMs?: number
  /** Sleeps between retries; tests pass a fake. */
  clock?: Clock
  /** Jitter source in [0, 1). */
  random?: () => number
}

/** What a view of the client changes for its calls (see `with`). */
export interface CallOptions {
  /** Aborts the retry sleeps and the requests in flight (the job is cancelled). */
  signal?: AbortSignal
  /** Retries of a GET on transient trouble (default MAX_RETRIES); 0 where the caller rides out outages itself. */
  retries?: number
}

export type Query = Record<string, string | undefined>

const SECURITY_RULE_HINT =
  "The server accepted this user's earlier calls: its security rules do not allow this one (QMC > Security rules; e.g. the user may read the task but not start or stop it)."

/**
 * JSON over HTTPS to the QRS: xrfkey on every call, the authenticator's headers on it (its session
 * renewed once per request if it expired), typed answers, errors that say what to fix.
 */
export class QrsClient {
  private readonly transport: Transport
  private readonly base: string
  /** `accepted`: a call already succeeded, so a later 403 is the security rules refusing this call, not the sign-in. Shared by the views. */
  private readonly shared: { accepted: boolean }
  private readonly call: CallOptions

  constructor(options: QrsClientOptions)
  constructor(options: QrsClientOptions, parent: QrsClient, call: CallOptions)
  constructor(
    private readonly options: QrsClientOptions,
    parent?: QrsClient,
    call: CallOptions = {}
  ) {
    this.base = options.url.origin + options.url.pathname.replace(/\/+$/, '')
    this.transport = parent?.transport ?? this.newTransport()
    this.shared = parent?.shared ?? { accepted: false }
    this.call = { ...parent?.call, ...call }
  }

  /** The same client (connection, session) whose calls use `call` (a key set to undefined clears it): e.g. aborted on cancel. Dispose the original only. */
  with(call: CallOptions): QrsClient {
    return new QrsClient(this.options, this, call)
  }

  /** The log this client writes to: the API's calls log through it too. */
  get log(): Log {
    return this.options.log
  }

  /** GET that must answer 2xx with JSON. */
  async get<T>(path: string, query: Query = {}): Promise<T> {
    return (await this.send<T>('GET', path, query)).json as T
  }

  /** GET where 404 means "not there" rather than an error (an ended execution session). */
  async getIfExists<T>(path: string, query: Query = {}): Promise<T | undefined> {
    const answer = await this.send<T>('GET', path, query, [404])
    return answer.status === 404 ? undefined : answer.json
  }

  /**
   * GET whose 200 body is streamed into a new `sink()`; answers the status, so a caller can wait
   * and ask again while the server answers 404 (a script log right after the run).
   */
  async download(path: string, sink: () => Writable[]): Promise<{ status: number; bytes: number }> {
    const answer = await this.send<never>('GET', path, {}, [404], sink)
    return { status: answer.status, bytes: answer.bytes ?? 0 }
  }

  /** POST, with no body as the QRS start calls expect, or a JSON body. Never retried: a start must not run twice. */
  async post<T>(path: string, query: Query = {}, body?: unknown): Promise<{ status: number; json?: T }> {
    return this.send<T>('POST', path, query, [], undefined, body === undefined ? undefined : JSON.stringify(body))
  }

  async delete(path: string, query: Query = {}): Promise<void> {
    await this.send('DELETE', path, query)
  }

  dispose(): void {
    this.transport.dispose()
  }

  private newTransport(maxSockets?: number): Transport {
    const { auth, tls, userAgent, requestTimeoutMs } = this.options
    return new Transport(this.options.url, { userAgent, serverTls: tls, clientTls: auth.clientTls, maxSockets, timeoutMs: requestTimeoutMs })
  }

  /**
   * GETs are retried with capped exponential backoff and full jitter (Retry-After wins when the
   * server sends one). POSTs never are: a start whose answer was lost may still have started.
   */
  private async send<T>(
    method: string,
    path: string,
    query: Query,
    accept: number[] = [],
    sink?: () => Writable[],
    body?: string
  ): Promise<{ status: number; json?: T; bytes?: number }> {
    const { signal, retries = MAX_RETRIES } = this.call
    return untilAnswered({
      clock: this.options.clock ?? systemClock,
      signal,
      read: () => this.sendOnce<T>(method, path, query, accept, sink, body),
      retry: (error, attempt) => method === 'GET' && attempt < retries && isTransient(error),
      next: (seen, attempt) => {
        const error = failure(seen)
        const delay = retryDelay(error, attempt, this.options.random)
        printUntrusted(this.options.log, `${method} ${path}: ${firstLine(errorMessage(error))}; trying again in ${(delay / 1000).toFixed(1)} s (${attempt + 1}/${retries}).`)
        return delay
      }
    })
  }

  private async sendOnce<T>(
    method: string,
    path: string,
    query: Query,
    accept: number[],
    sink?: () => Writable[],
    body?: string
  ): Promise<{ status: number; json?: T; bytes?: number }> {
    const { auth } = this.options
    let exchange = await this.exchange(method, path, query, sink, body)
    if (auth.expired(exchange.response, exchange.withSession)) {
      // The proxy sent the request to its login module (or dropped an expired session): it never
      // reached the QRS, so signing in and sending it again cannot run anything twice.
      const answer = await auth.renew({
        method,
        url: new URL(`${this.base}${path}`),
        answer: exchange.response,
        streamed: sink !== undefined,
        get: async loginPath => (await this.exchange('GET', loginPath, {})).response,
        request: (url, headers) => this.transport.request('GET', url.href, headers),
        openConnection: () => this.newTransport(1)
      })
      exchange = answer ? { response: answer, withSession: true } : await this.exchange(method, path, query, sink, body)
    }
    if (sink && exchange.response.status === 200) return { status: 200, bytes: exchange.bytes }
    return this.interpret<T>(method, path, exchange.response, accept)
  }

  private async exchange(
    method: string,
    path: string,
    query: Query,
    sink?: () => Writable[],
    body?: string
  ): Promise<{ response: RawResponse; withSession: boolean; bytes?: number }> {
    const xrfkey = newXrfkey()
    const auth = this.options.auth.prepare()
    const headers = {
      'X-Qlik-Xrfkey': xrfkey,
      Accept: sink ? '*/*' : 'application/json',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...auth.headers
    }
    const started = performance.now()
    const url = `${this.base}${path}?${encodeQuery({ ...query, xrfkey })}`
    const { signal } = this.call
    const response = sink ? await this.transport.download(url, headers, sink, signal) : await this.transport.request(method, url, headers, body, signal)
    this.options.auth.receive(response)
    this.options.log.debug(`${method} ${path}${query.filter ? ` filter=${query.filter}` : ''} → ${response.status} in ${Math.round(performance.now() - started)} ms`)
    return { response, withSession: auth.session, bytes: 'bytes' in response ? (response.bytes as number) : undefined }
  }

  private interpret<T>(method: string, path: string, response: RawResponse, accept: number[]): { status: number; json?: T } {
    const { status, body } = response
    if (accept.includes(status)) return { status }
    if (isRedirect(status)) {
      throw (
        this.options.auth.redirectError(response) ??
        new QrsError(
          method,
          path,
          status,
          `redirect to ${response.headers.location ? withoutQuery(response.headers.location) : '(no location)'}`,
          'The QRS does not redirect: check url (port 4242 for certificates, the virtual proxy prefix otherwise).'
        )
      )
    }
    if (status < 200 || status >= 300) {
      const retryAfter = parseRetryAfter(String(response.headers['retry-after'] ?? '') || undefined)
      const refusal = status === 403 && this.shared.accepted ? SECURITY_RULE_HINT : this.options.auth.refusalHint(status, body)
      throw new QrsError(method, path, status, body, hintForStatus(status, body) ?? refusal, retryAfter)
    }
    this.shared.accepted = true
    if (!body.trim()) return { status }
    if (looksLikeHtml(String(response.headers['content-type'] ?? ''), body)) {
      throw new QrsError(method, path, status, body, this.options.auth.htmlHint)
    }
    try {
      return { status, json: JSON.parse(body) as T }
    } catch {
      throw new QrsError(method, path, status, body, 'Expected JSON but the answer does not parse.')
    }
  }
}

/** encodeURIComponent for every value: a raw `&`, `#` or `+` inside a filter would cut or change it. */
function encodeQuery(query: Query): string {
  return Object.entries(query)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${encodeURIComponent(value!)}`)
    .join('&')
}
