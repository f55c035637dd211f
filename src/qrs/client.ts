import type { Authenticator } from './authenticator.js'
import { errorMessage, QrsError, UnexpectedAnswer, WrongFieldsAnswer } from '../util/errors.js'
import { failure, untilAnswered } from '../util/poll.js'
import { hintForStatus, looksLikeHtml } from './hints.js'
import { systemClock, type Clock } from '../util/clock.js'
import { MAX_RETRIES, MAX_TIMEOUT_RETRIES, isTimeout, isTransient, parseRetryAfter, retryDelay } from './retry.js'
import { isRedirect, Transport, type RawResponse, type RequestLimits, type ServerTls } from './transport.js'
import { newXrfkey } from './xrfkey.js'
import { excerpt, firstLine } from '../util/text.js'
import type { Writable } from 'node:stream'
import { printUntrusted } from '../output/untrusted.js'
import type { Log } from '../toolkit/toolkit.js'
import { withoutQuery } from '../output/mask.js'
import { WrongShape, type Shape } from './shape.js'
import { RequestRate } from './rate.js'

export interface QrsClientOptions {
  url: URL
  userAgent: string
  auth: Authenticator
  tls: ServerTls
  /** Where the request lines (debug) and the retries (info) go. */
  log: Log
  /** Per-request limit, head and body; the QRS answers in milliseconds when healthy. */
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
  /**
   * clock.now() that no request outlives (the target's timeout, a stop's budget): each request is cut
   * there, no retry starts after it, and a download's body ends there with what came.
   */
  deadline?: number
  /** A limit per request below request-timeout (a stop gives each request a part of its budget). */
  timeoutMs?: number
}

/** A download: the status, and of a 200 the bytes and whether the deadline ended it before the server did. */
export interface Download {
  status: number
  bytes: number
  cutShort: boolean
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
/** A request that starts at its deadline (a loop's last look) may take this long. */
const LAST_LOOK_MS = 1_000

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
  /**
   * Shared by the views: `accepted`, a call already succeeded, so a later 403 is the security rules refusing
   * this call, not the sign-in; `rate`, the bound on the requests of the run.
   */
  private readonly shared: { accepted: boolean; rate: RequestRate }
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
    this.shared = parent?.shared ?? { accepted: false, rate: new RequestRate(this.clock) }
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

  /** GET that must answer 2xx with JSON of this shape. */
  async get<T>(path: string, shape: Shape<T>, query: Query = {}): Promise<T> {
    return (await this.send({ method: 'GET', path, query, shape })).json as T
  }

  /** GET where 404 means "not there" rather than an error (an ended execution session). */
  async getIfExists<T>(path: string, shape: Shape<T>, query: Query = {}): Promise<T | undefined> {
    const answer = await this.send({ method: 'GET', path, query, shape, accept: [404] })
    return answer.status === 404 ? undefined : answer.json
  }

  /**
   * GET whose 200 body is streamed into a new `sink()`; answers the status, so a caller can wait
   * and ask again while the server answers 404 (a script log right after the run).
   */
  async download(path: string, sink: () => Writable[]): Promise<Download> {
    const answer = await this.send<never>({ method: 'GET', path, query: {}, accept: [404], sink })
    return { status: answer.status, bytes: answer.bytes ?? 0, cutShort: answer.cutShort ?? false }
  }

  /**
   * POST, with no body as the QRS start calls expect, or a JSON body; with a shape, its answer checked
   * against it (an empty answer is `undefined`). Never retried: a start must not run twice.
   */
  async post<T = never>(path: string, { query = {}, body, shape }: { query?: Query; body?: unknown; shape?: Shape<T> } = {}): Promise<{ status: number; json?: T }> {
    return this.send({ method: 'POST', path, query, shape, body: body === undefined ? undefined : JSON.stringify(body) })
  }

  async delete(path: string, query: Query = {}): Promise<void> {
    await this.send({ method: 'DELETE', path, query })
  }

  private get clock(): Clock {
    return this.options.clock ?? systemClock
  }

  dispose(): void {
    this.transport.dispose()
  }

  /**
   * What bounds the next request: the cancel signal, and request-timeout (or the call's own limit), cut to
   * what is left before the call's deadline. The loops look once more at their deadline itself (has it
   * ended after all?): that look gets LAST_LOOK_MS, no more.
   */
  private limits(): RequestLimits {
    const { signal, deadline } = this.call
    const timeoutMs = Math.min(this.call.timeoutMs ?? Infinity, this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS)
    if (deadline === undefined) return { signal, timeoutMs }
    return { signal, timeoutMs: Math.min(timeoutMs, Math.max(deadline - this.clock.now(), LAST_LOOK_MS)) }
  }

  private newTransport(maxSockets?: number): Transport {
    const { auth, tls, userAgent, requestTimeoutMs } = this.options
    return new Transport(this.options.url, { userAgent, serverTls: tls, clientTls: auth.clientTls, maxSockets, timeoutMs: requestTimeoutMs })
  }

  /**
   * GETs are retried with capped exponential backoff and jitter (Retry-After wins when the server sends
   * one, never below the backoff's floor). POSTs never are: a start whose answer was lost may still have started.
   */
  private async send<T>(request: Request<T>): Promise<Answer<T>> {
    const { signal, retries = MAX_RETRIES, deadline } = this.call
    const { method, path } = request
    let timeouts = 0
    return untilAnswered({
      clock: this.clock,
      signal,
      deadline,
      read: () => this.sendOnce(request),
      retry: (error, attempt) => method === 'GET' && attempt < retries && isTransient(error) && (!isTimeout(error) || ++timeouts <= MAX_TIMEOUT_RETRIES),
      next: (seen, attempt) => {
        const error = failure(seen)
        const delay = retryDelay(error, attempt, this.options.random)
        printUntrusted(this.options.log, `${method} ${path}: ${firstLine(errorMessage(error))}; trying again in ${(delay / 1000).toFixed(1)} s (${attempt + 1}/${retries}).`)
        return delay
      }
    })
  }

  private async sendOnce<T>(request: Request<T>): Promise<Answer<T>> {
    const { auth } = this.options
    const { method, path, sink } = request
    let exchange = await this.exchange(request)
    if (auth.expired(exchange.response, exchange.withSession)) {
      // The proxy sent the request to its login module (or dropped an expired session): it never
      // reached the QRS, so signing in and sending it again cannot run anything twice.
      const answer = await auth.renew({
        method,
        url: new URL(`${this.base}${path}`),
        answer: exchange.response,
        streamed: sink !== undefined,
        get: async loginPath => (await this.exchange({ method: 'GET', path: loginPath, query: {} })).response,
        request: async (url, headers) => {
          await this.shared.rate.take(this.call.signal)
          return this.transport.request('GET', url.href, headers, undefined, this.limits())
        },
        openConnection: () => this.newTransport(1)
      })
      exchange = answer ? { response: answer, withSession: true } : await this.exchange(request)
    }
    if (sink && exchange.response.status === 200) return { status: 200, bytes: exchange.bytes, cutShort: exchange.cutShort }
    return this.interpret(request, exchange.response)
  }

  private async exchange<T>({ method, path, query, sink, body }: Request<T>): Promise<{ response: RawResponse; withSession: boolean; bytes?: number; cutShort?: boolean }> {
    const limits = this.limits()
    await this.shared.rate.take(limits.signal)
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
    // A streamed body runs until the call's deadline (a script log of hundreds of MB), else as long as a request may.
    const bodyMs = this.call.deadline === undefined ? limits.timeoutMs! : Math.max(0, this.call.deadline - this.clock.now())
    const downloaded = sink ? await this.transport.download(url, headers, sink, { ...limits, bodyMs }) : undefined
    const response = downloaded ?? (await this.transport.request(method, url, headers, body, limits))
    this.options.auth.receive(response)
    this.options.log.debug(`${method} ${path}${query.filter ? ` filter=${query.filter}` : ''} → ${response.status} in ${Math.round(performance.now() - started)} ms`)
    return { response, withSession: auth.session, bytes: downloaded?.bytes, cutShort: downloaded?.cutShort }
  }

  private interpret<T>({ method, path, accept = [], shape }: Request<T>, response: RawResponse): Answer<T> {
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
    // A call that reads no answer (a stop, a reload request) takes whatever came.
    if (!shape) return { status }
    if (body.trim() && looksLikeHtml(String(response.headers['content-type'] ?? ''), body)) {
      throw new UnexpectedAnswer(method, path, status, `an HTML page (${excerpt(body, 100)})`, this.options.auth.htmlHint)
    }
    let json: unknown
    try {
      json = body.trim() ? JSON.parse(body) : undefined
    } catch {
      throw new UnexpectedAnswer(method, path, status, `text that is not JSON (${excerpt(body, 100)})`)
    }
    try {
      return { status, json: shape(json, '') }
    } catch (error) {
      if (error instanceof WrongShape) throw new WrongFieldsAnswer(method, path, status, error.message)
      throw error
    }
  }
}

interface Request<T> {
  method: string
  path: string
  query: Query
  /** The answer's shape: checked where it enters. */
  shape?: Shape<T>
  /** Statuses answered as themselves, without a body (404: not there). */
  accept?: number[]
  sink?: () => Writable[]
  body?: string
}

interface Answer<T> {
  status: number
  json?: T
  bytes?: number
  cutShort?: boolean
}

/** encodeURIComponent for every value: a raw `&`, `#` or `+` inside a filter would cut or change it. */
function encodeQuery(query: Query): string {
  return Object.entries(query)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${encodeURIComponent(value!)}`)
    .join('&')
}
