import * as core from '@actions/core'
import { HttpClient } from '@actions/http-client'
import type { Agent } from 'node:https'
import { checkServerIdentity, type PeerCertificate } from 'node:tls'
import type { Auth } from '../auth/index.js'
import { describeConnectionError } from './connection-errors.js'
import { ConnectionError, QrsError, hintForStatus, looksLikeHtml } from './errors.js'
import { newXrfkey } from './xrfkey.js'

/** How to check the server: `ca` replaces the system store, `serverName` the URL's host. */
export interface ServerTls {
  ca?: string
  serverName?: string
  insecure: boolean
}

export interface QrsClientOptions {
  url: URL
  userAgent: string
  auth: Auth
  tls: ServerTls
  /** Per-request limit; the QRS answers in milliseconds when healthy. */
  requestTimeoutMs?: number
}

export type Query = Record<string, string | undefined>

/** JSON over HTTPS to the QRS: xrfkey on every call, typed answers, errors that say what to fix. */
export class QrsClient {
  private readonly http: HttpClient
  private readonly base: string

  constructor(private readonly options: QrsClientOptions) {
    this.base = options.url.origin + options.url.pathname.replace(/\/+$/, '')
    this.http = new HttpClient(options.userAgent, [], {
      keepAlive: true,
      allowRedirects: false,
      socketTimeout: options.requestTimeoutMs ?? 60_000
    })
    // http-client has no CA or client-certificate options; its agent (also the proxy tunnel agent)
    // takes them from agent.options, which Node merges into every TLS connection it opens.
    const agent = this.http.getAgent(this.base) as Agent
    const { tls, auth } = options
    Object.assign(agent.options, {
      ...auth.tls,
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(tls.serverName ? { checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(tls.serverName!, cert) } : {}),
      ...(tls.insecure ? { rejectUnauthorized: false } : {})
    })
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

  /** POST with no body, as the QRS start calls expect. Never retried: a start must not run twice. */
  async post<T>(path: string, query: Query = {}): Promise<{ status: number; json?: T }> {
    return this.send<T>('POST', path, query)
  }

  dispose(): void {
    this.http.dispose()
  }

  private async send<T>(method: string, path: string, query: Query, accept: number[] = []): Promise<{ status: number; json?: T }> {
    const xrfkey = newXrfkey()
    const url = `${this.base}${path}?${encodeQuery({ ...query, xrfkey })}`
    const headers = {
      'X-Qlik-Xrfkey': xrfkey,
      Accept: 'application/json',
      ...this.options.auth.headers()
    }
    const started = Date.now()
    let status: number
    let contentType: string
    let text: string
    try {
      const response = await this.http.request(method, url, method === 'POST' ? '' : null, headers)
      status = response.message.statusCode ?? 0
      contentType = String(response.message.headers['content-type'] ?? '')
      text = await response.readBody()
      if (status >= 300 && status < 400) text = `redirect to ${response.message.headers.location ?? '(no location)'}`
    } catch (error) {
      if (error instanceof ConnectionError) throw error
      throw describeConnectionError(error, this.options.url)
    }
    core.debug(`${method} ${path}${query.filter ? ` filter=${query.filter}` : ''} → ${status} in ${Date.now() - started} ms`)
    if (accept.includes(status)) return { status }
    if (status < 200 || status >= 300) throw new QrsError(method, path, status, text, hintForStatus(status, text))
    if (!text.trim()) return { status }
    if (looksLikeHtml(contentType, text)) {
      throw new QrsError(method, path, status, text, 'Expected JSON but got an HTML page: the URL probably points at a login page or a web server rather than the QRS (check the port, 4242 for certificates, and the virtual proxy prefix).')
    }
    try {
      return { status, json: JSON.parse(text) as T }
    } catch {
      throw new QrsError(method, path, status, text, 'Expected JSON but the answer does not parse.')
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
