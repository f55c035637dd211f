import * as core from '@actions/core'
import { getProxyUrl } from '@actions/http-client'
import type { Auth } from '../auth/index.js'
import { AuthError } from '../auth/errors.js'
import { CookieJar } from './cookies.js'
import { ConnectionError, QrsError, hintForStatus, looksLikeHtml, parseRetryAfter } from './errors.js'
import { systemClock, type Clock } from '../reload/clock.js'
import { Transport, type RawResponse, type ServerTls } from './transport.js'
import { newXrfkey } from './xrfkey.js'
import type { Writable } from 'node:stream'
import { infoUntrusted } from '../report/untrusted.js'
import { withoutQuery } from '../auth/mask.js'

export type { ServerTls } from './transport.js'

export interface QrsClientOptions {
  url: URL
  userAgent: string
  auth: Auth
  tls: ServerTls
  /** Per-request limit (idle socket); the QRS answers in milliseconds when healthy. */
  requestTimeoutMs?: number
  /** Sleeps between retries; tests pass a fake. */
  clock?: Clock
  /** Jitter source in [0, 1). */
  random?: () => number
}

/** GETs are retried this many times on transient trouble (connection errors, timeouts, 5xx, 429). */
export const MAX_RETRIES = 5
const BACKOFF_BASE_MS = 500
const BACKOFF_CAP_MS = 15_000
const RETRY_AFTER_CAP_MS = 60_000

export type Query = Record<string, string | undefined>

type LoginModule = 'windows' | 'forms'

const SECURITY_RULE_HINT =
  "The server accepted this user's earlier calls: its security rules do not allow this one (QMC > Security rules; e.g. the user may read the task but not start or stop it)."

/**
 * JSON over HTTPS to the QRS: xrfkey on every call, one proxy session per run (signed in once,
 * renewed once if it expires), typed answers, errors that say what to fix.
 */
export class QrsClient {
  private readonly transport: Transport
  private readonly base: string
  private readonly jar = new CookieJar()
  private signIns = 0
  /** A call already succeeded: a later 403 is the security rules refusing this call, not the sign-in. */
  private accepted = false

  constructor(private readonly options: QrsClientOptions) {
    this.base = options.url.origin + options.url.pathname.replace(/\/+$/, '')
    this.transport = this.newTransport()
  }

  /** GET that must answer 2xx with JSON. */
  async get<T>(path: string, query: Query = {}): Promise<T> {
    return (await this.send<T>('GET', path, query)).json as T
  }

  /** GET where 404 means "not there" rather than an error (an ended execution session). */
  async getIfExists<T>(path: string, query: Query = {}): Promise<T | undefined> {
    const answer = await this.send<T>('GET', path, query, [404])
    return answer.status === 404 ? undefined : (answer.json as T)
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
    return new Transport(this.options.url, { userAgent, serverTls: tls, clientTls: auth.tls, maxSockets, timeoutMs: requestTimeoutMs })
  }

  /**
   * GETs are retried with capped exponential backoff and full jitter (Retry-After wins when the
   * server sends one). POSTs never are: a start whose answer was lost may still have started.
   */
  private async send<T>(method: string, path: string, query: Query, accept: number[] = [], sink?: () => Writable[], body?: string): Promise<{ status: number; json?: T; bytes?: number }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.sendOnce<T>(method, path, query, accept, sink, body)
      } catch (error) {
        const delay = method === 'GET' ? this.retryDelay(error, attempt) : undefined
        if (delay === undefined) throw error
        infoUntrusted(`${method} ${path}: ${firstLine((error as Error).message)}; trying again in ${(delay / 1000).toFixed(1)} s (${attempt + 1}/${MAX_RETRIES}).`)
        await (this.options.clock ?? systemClock).sleep(delay)
      }
    }
  }

  private retryDelay(error: unknown, attempt: number): number | undefined {
    if (attempt >= MAX_RETRIES) return undefined
    const backoff = Math.round((this.options.random ?? Math.random)() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt))
    if (error instanceof ConnectionError) return error.transient ? backoff : undefined
    if (error instanceof QrsError && (error.status === 429 || error.status >= 500)) {
      return error.retryAfterMs !== undefined ? Math.min(error.retryAfterMs, RETRY_AFTER_CAP_MS) : backoff
    }
    return undefined
  }

  private async sendOnce<T>(method: string, path: string, query: Query, accept: number[], sink?: () => Writable[], body?: string): Promise<{ status: number; json?: T; bytes?: number }> {
    let exchange = await this.exchange(method, path, query, sink, body)
    if (this.sessionLost(exchange)) {
      // The proxy sent the request to its login module (or dropped an expired session): it never
      // reached the QRS, so signing in and sending it again cannot run anything twice.
      const ticket = await this.signIn(method === 'GET' ? exchange.response : undefined)
      // Redeeming the ticket replays this very GET: its answer is this request's answer.
      const replayed = ticket && !sink && ticket.url.pathname === new URL(`${this.base}${path}`).pathname && !isRedirect(ticket.response.status) && ticket.response.status !== 401
      exchange = replayed ? { response: ticket.response, withSession: true } : await this.exchange(method, path, query, sink, body)
    }
    if (sink && exchange.response.status === 200) return { status: 200, bytes: exchange.bytes }
    return this.interpret<T>(method, path, exchange.response, accept)
  }

  private async exchange(method: string, path: string, query: Query, sink?: () => Writable[], body?: string): Promise<{ response: RawResponse; withSession: boolean; bytes?: number }> {
    const xrfkey = newXrfkey()
    const withSession = !this.jar.empty
    const headers = {
      'X-Qlik-Xrfkey': xrfkey,
      Accept: sink ? '*/*' : 'application/json',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...this.options.auth.headers(withSession),
      ...this.jar.header()
    }
    const started = Date.now()
    const url = `${this.base}${path}?${encodeQuery({ ...query, xrfkey })}`
    const response = sink ? await this.transport.download(url, headers, sink) : await this.transport.request(method, url, headers, body)
    this.jar.take(setCookies(response))
    core.debug(`${method} ${path}${query.filter ? ` filter=${query.filter}` : ''} → ${response.status} in ${Date.now() - started} ms`)
    return { response, withSession, bytes: 'bytes' in response ? (response.bytes as number) : undefined }
  }

  private sessionLost({ response, withSession }: { response: RawResponse; withSession: boolean }): boolean {
    // After a proxy failover the old cookie is answered with 500 "Authentication error".
    if (response.status === 500 && withSession && /Authentication error/i.test(response.body)) return true
    if (this.options.auth.type === 'ntlm') return loginModule(response) !== undefined
    // JWT and header proxies answer an expired session with 401 or a redirect to a login: drop the
    // cookie and send the credentials again. Without a session, such an answer is the verdict.
    return withSession && (response.status === 401 || (response.status >= 300 && response.status < 400))
  }

  /** Signs in again; for a Windows sign-in, answers the redeemed ticket (the proxy's answer to the original GET). */
  private async signIn(redirect: RawResponse | undefined): Promise<{ url: URL; response: RawResponse } | undefined> {
    this.jar.clear()
    const { auth } = this.options
    // JWT and header: the next request carries the credentials again.
    if (auth.type !== 'ntlm') return
    // A sign-in always starts with a GET: the redirect dance would turn a POST into a GET.
    const login = redirect ?? (await this.exchange('GET', '/qrs/about', {})).response
    if (loginModule(login) !== 'windows') throw this.loginError(login)
    const forwardProxy = getProxyUrl(this.options.url.href)
    if (forwardProxy) {
      // NTLM authenticates one TCP connection; the proxy tunnel is not kept between its messages,
      // and a failed attempt can count against the account's lockout threshold.
      throw new AuthError(
        `NTLM cannot go through the forward proxy ${new URL(forwardProxy).host} (from HTTPS_PROXY): NTLM authenticates one TCP connection and the tunnel is not kept between its messages. Put the Qlik host in NO_PROXY (NO_PROXY: ${this.options.url.hostname}), or use JWT or header auth through the proxy.`
      )
    }
    if (this.signIns > 0) core.info('The Qlik proxy session expired: signing in again.')
    this.signIns++
    const answer = await auth.windowsSignIn!({
      loginUrl: this.sameOrigin(login.headers.location!),
      openConnection: () => this.newTransport(1)
    })
    this.jar.take(setCookies(answer))
    const location = answer.headers.location
    let ticket: { url: URL; response: RawResponse } | undefined
    if (location && /[?&]qlikTicket=/i.test(location)) {
      // Redeem the ticket: the proxy answers it with the session cookie.
      const url = this.sameOrigin(location)
      const response = await this.transport.request('GET', url.href, { 'X-Qlik-Xrfkey': url.searchParams.get('xrfkey') ?? newXrfkey(), Accept: 'application/json' })
      this.jar.take(setCookies(response))
      ticket = { url, response }
    }
    if (this.jar.empty) {
      throw new AuthError(`The Windows sign-in succeeded but the proxy set no session cookie (it redirected to ${location ? withoutQuery(location) : 'nowhere'}).`)
    }
    infoUntrusted(`Signed in through the proxy; session cookie ${this.jar.names().join(', ')}.`)
    return redirect ? ticket : undefined
  }

  /** Redirects are only followed on the Qlik host the user configured. */
  private sameOrigin(location: string): URL {
    const url = new URL(location, this.options.url)
    if (url.origin !== this.options.url.origin) {
      throw new AuthError(`The proxy redirected to ${url.origin}, not ${this.options.url.origin}: set url to the host name the proxy uses (and tls-server-name if needed).`)
    }
    return url
  }

  private loginError(response: RawResponse): AuthError {
    const module = loginModule(response)
    const { auth, userAgent } = this.options
    if (module === 'forms') {
      return new AuthError(
        `The proxy sent the request to its forms login page (internal_forms_authentication) instead of Windows authentication. ` +
          `Either the user agent '${userAgent}' lacks the virtual proxy's Windows authentication pattern (set user-agent to contain it; the default pattern is 'Windows'), ` +
          `or url is missing the virtual proxy prefix (e.g. ${this.options.url.origin}/ntlm).`
      )
    }
    if (module === 'windows') {
      return new AuthError(`The proxy wants Windows authentication, but auth-type is '${auth.type}': url probably lacks the virtual proxy prefix of the ${auth.type} virtual proxy (e.g. ${this.options.url.origin}/${auth.type === 'jwt' ? 'jwt' : 'hdr'}).`)
    }
    return new AuthError(`Signing in failed: the proxy answered ${response.status}${response.headers.location ? ` redirecting to ${withoutQuery(response.headers.location)}` : ''}.`)
  }

  private interpret<T>(method: string, path: string, response: RawResponse, accept: number[]): { status: number; json?: T } {
    const { status, body } = response
    if (accept.includes(status)) return { status }
    if (status >= 300 && status < 400) {
      if (loginModule(response)) throw this.loginError(response)
      throw new QrsError(method, path, status, `redirect to ${response.headers.location ? withoutQuery(response.headers.location) : '(no location)'}`, 'The QRS does not redirect: check url (port 4242 for certificates, the virtual proxy prefix otherwise).')
    }
    if (status < 200 || status >= 300) {
      const retryAfter = parseRetryAfter(String(response.headers['retry-after'] ?? '') || undefined)
      const refusal = status === 403 && this.accepted ? SECURITY_RULE_HINT : this.options.auth.refusalHint(status, body)
      throw new QrsError(method, path, status, body, hintForStatus(status, body) ?? refusal, retryAfter)
    }
    this.accepted = true
    if (!body.trim()) return { status }
    if (looksLikeHtml(String(response.headers['content-type'] ?? ''), body)) {
      const hint =
        this.options.auth.type === 'certificate'
          ? 'Expected JSON but got an HTML page: url probably points at the proxy or a web server rather than the QRS (port 4242 for certificates).'
          : `Expected JSON but got an HTML page, probably a login form: url must include the virtual proxy prefix, and for Windows authentication user-agent must contain the virtual proxy's Windows authentication pattern.`
      throw new QrsError(method, path, status, body, hint)
    }
    try {
      return { status, json: JSON.parse(body) as T }
    } catch {
      throw new QrsError(method, path, status, body, 'Expected JSON but the answer does not parse.')
    }
  }
}

function loginModule(response: RawResponse): LoginModule | undefined {
  if (response.status < 300 || response.status >= 400) return undefined
  const location = String(response.headers.location ?? '')
  if (/internal_windows_authentication/i.test(location)) return 'windows'
  if (/internal_forms_authentication/i.test(location)) return 'forms'
  return undefined
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400
}

function firstLine(text: string): string {
  return text.split('\n')[0]
}

function setCookies(response: RawResponse): string[] | undefined {
  return response.headers['set-cookie']
}

/** encodeURIComponent for every value: a raw `&`, `#` or `+` inside a filter would cut or change it. */
function encodeQuery(query: Query): string {
  return Object.entries(query)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${encodeURIComponent(value!)}`)
    .join('&')
}
