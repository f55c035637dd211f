import type WebSocket from 'ws'
import type { Authenticator } from '../qrs/authenticator.js'
import type { ServerTls } from '../qrs/agent.js'
import { describeConnectionError } from '../qrs/connection-errors.js'
import type { RawResponse } from '../qrs/transport.js'
import { printUntrusted } from '../output/untrusted.js'
import type { Log } from '../toolkit/toolkit.js'
import { ConnectionError, EngineError } from '../util/errors.js'
import { excerpt } from '../util/text.js'
import { engineError } from './errors.js'
import type { EngineSession } from './session.js'
import type { Upgrade } from './socket.js'

/** Where the engine is and how the run signs in: the same authenticator as the QRS calls. */
export interface EngineSite {
  /** engine-url: `wss://host:4747` or the virtual proxy's `wss://host/prefix`. */
  url: URL
  auth: Authenticator
  tls: ServerTls
  userAgent: string
  requestTimeoutMs: number
  log: Log
  /**
   * One QRS call through the client, which signs the proxy session in again when it expired: the
   * engine's upgrade cannot run a sign-in (NTLM's redirects), it can only carry the session cookie.
   */
  refresh: () => Promise<unknown>
}

export interface OpenOptions {
  /** qNoData: open the app without its data (a dry run: proves the session and the right to read). */
  noData: boolean
  /** How long OpenDoc may take: loading a large app with its data takes a while. */
  openTimeoutMs: number
  /** Ends the opening (the job cancelled, fail-fast): the socket is closed, the promise rejects with the reason. */
  signal?: AbortSignal
}

/** An app the engine opens: its id, and its name for messages. */
export interface AppToOpen {
  id: string
  name?: string
}

/**
 * Opens apps in the engine, one session (one WebSocket) per app, signed in as the QRS calls are: the
 * proxy's session cookie (NTLM: the cookie of the run's one handshake), the JWT bearer or the header
 * until a cookie exists, or the client certificate with X-Qlik-User on the engine port.
 */
export class EngineConnector {
  private readonly sessions = new Set<EngineSession>()

  constructor(private readonly site: EngineSite) {}

  /** The app's URL: `<engine-url>/app/<appId>`. */
  appUrl(appId: string): URL {
    return new URL(`${this.site.url.href.replace(/\/+$/, '')}/app/${encodeURIComponent(appId)}`)
  }

  async open(app: AppToOpen, options: OpenOptions): Promise<EngineSession> {
    const { auth, log } = this.site
    const name = `'${app.name ?? app.id}'`
    const url = this.appUrl(app.id)
    // enigma.js with its schema and ws load only when an app is opened (engine mode, expect-rows): not at every start.
    const [{ EngineSession }, { openSocket }] = await Promise.all([import('./session.js'), import('./socket.js')])
    for (let attempt = 0; ; attempt++) {
      options.signal?.throwIfAborted()
      const upgrade: Upgrade = {}
      const sent = auth.prepare()
      let state = ''
      let socket: WebSocket | undefined
      const cut = (): void => socket?.terminate()
      options.signal?.addEventListener('abort', cut)
      // ws's handshake timeout is an idle timer: an upgrade answer that drips would never end. Bounded whole, as a request is.
      let late = false
      const upgradeTimer = setTimeout(() => ((late = true), cut()), this.site.requestTimeoutMs)
      try {
        const session = await EngineSession.open({
          url: url.href,
          appId: app.id,
          app: name,
          noData: options.noData,
          createSocket: () =>
            (socket = openSocket(
              url,
              { serverTls: this.site.tls, clientTls: auth.clientTls, headers: { 'User-Agent': this.site.userAgent, ...sent.headers }, timeoutMs: this.site.requestTimeoutMs },
              upgrade
            )),
          openTimeoutMs: options.openTimeoutMs,
          limits: { requestTimeoutMs: this.site.requestTimeoutMs },
          log,
          onConnected: value => (state = value),
          opened: () => {
            clearTimeout(upgradeTimer)
            // The 101 of a JWT or header upgrade may carry a new proxy session's cookie: kept (and masked) like an HTTP answer's.
            if (upgrade.answer) auth.receive(upgrade.answer)
          }
        })
        this.sessions.add(session)
        log.debug(`engine session open on ${url.host} for app ${app.id}${options.noData ? ' (no data)' : ''}`)
        return session
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason
        if (late && !upgrade.refusal) {
          throw new ConnectionError(
            `The engine at ${url.host} did not complete the WebSocket upgrade for app ${name} within ${Math.round(this.site.requestTimeoutMs / 1000)} s (request-timeout).`,
            true
          )
        }
        if (upgrade.refusal && attempt === 0 && auth.expired(upgrade.refusal, sent.session)) {
          // The session cookie expired (or there was none yet): one QRS call signs in again, then one more try.
          printUntrusted(log, `The engine refused the proxy session (${upgrade.refusal.status}): signing in again through the QRS.`)
          await this.site.refresh()
          continue
        }
        throw this.explain(error, upgrade.refusal, state, name, url)
      } finally {
        clearTimeout(upgradeTimer)
        options.signal?.removeEventListener('abort', cut)
      }
    }
  }

  /** Closes every session still open (the step's end). */
  async dispose(): Promise<void> {
    await Promise.all([...this.sessions].map(session => session.close()))
    this.sessions.clear()
  }

  /** Why the app did not open, in words a user can act on. */
  private explain(error: unknown, refusal: RawResponse | undefined, state: string, name: string, url: URL): Error {
    const { auth } = this.site
    if (state && state !== 'SESSION_CREATED' && state !== 'SESSION_ATTACHED') {
      return new EngineError(
        `The engine refused the session for app ${name}: ${excerpt(state, 80)}${/LICENSE/i.test(state) ? ' (the user has no license to use apps: QMC > License management)' : ''}.`
      )
    }
    if (refusal) {
      const where = `${url.host}${url.pathname.replace(/\/app\/.*$/, '')}`
      const said = excerpt(refusal.body, 200)
      if (refusal.status >= 300 && refusal.status < 400) {
        const explained = auth.redirectError(refusal)
        if (explained) return explained
      }
      const hint =
        refusal.status === 404
          ? ' Nothing serves /app/<id> there: engine-url must be the engine (wss://host:4747) or a virtual proxy (wss://host/prefix).'
          : (auth.refusalHint(refusal.status, refusal.body) ?? '')
      return new EngineError(`The engine at ${where} refused the WebSocket for app ${name}: ${refusal.status}${said ? ` ${said}` : ''}.${hint ? ` ${hint.trim()}` : ''}`)
    }
    if (error instanceof EngineError || error instanceof ConnectionError) return error
    // ws's error event carries the socket's error (enigma.js rejects the open with the event).
    const cause = (error as { error?: { code?: string; message?: string } })?.error
    if (typeof cause?.message === 'string') {
      const described = describeConnectionError(cause, url)
      if (cause.code === 'ECONNREFUSED') {
        return new ConnectionError(
          `Nothing accepts connections at ${url.host} (ECONNREFUSED): the engine port is closed to the runner (a firewall), or engine-url is wrong. Open the port, or reach the engine through a virtual proxy (engine-url: wss://host/prefix).`,
          true
        )
      }
      return described
    }
    return engineError('the WebSocket', name, error)
  }
}
