/**
 * The simulated QPS: picks the virtual proxy by the (case-sensitive) first path segment,
 * authenticates by the VP's method, keeps its sessions, and hands authenticated requests
 * (prefix stripped) to the same QRS handling the certificate port uses.
 */
import { readFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { findUser, inactiveMessage, type QlikUser } from '../auth.js'
import type { CertPaths } from '../certs.js'
import type { NtlmVerifier } from '../ntlm/verifier.js'
import { getParam, parseQuery } from '../query.js'
import type { Reply } from '../routes.js'
import type { ScenarioProxy, ScenarioUser, ScenarioVirtualProxy } from '../scenario.js'
import { checkJwt } from './jwt.js'
import { SessionStore } from './sessions.js'
import { WindowsLogin } from './windows.js'

export interface ProxyStats {
  sessionsCreated: Record<string, number>
  /** Successful Type3 messages. */
  ntlmHandshakes: Record<string, number>
  ntlmFailures: Record<string, number>
  activeSessions(prefix: string): number
}

/** What the proxy made of a request: its user and path without the VP prefix, or the reply it gives instead. */
export type ProxyAuth =
  | {
      ok: true
      user: QlikUser
      /** The path without the VP prefix. */
      rest: string
      /** The query without a redeemed qlikTicket. */
      query: string
      /** Set-Cookie of a session made for this request. */
      setCookie?: string
      /** Marks the proxy session used (traffic on a WebSocket keeps it alive). */
      keepAlive: () => void
    }
  | { ok: false; reply: Reply }

/** Runs a request through the QRS routes as `user`; `path` has no VP prefix. */
export type Forward = (req: IncomingMessage, path: string, rawQuery: string, body: string, user: QlikUser) => Promise<Reply>

interface Vp {
  cfg: ScenarioVirtualProxy
  store: SessionStore
}

const loginForm = (action: string): string =>
  `<!DOCTYPE html><html><head><title>Qlik Sense Login</title></head><body>` +
  `<form method="post" action="${action}"><input name="username" placeholder="DOMAIN\\user">` +
  `<input name="pwd" type="password"><button type="submit">Log in</button></form></body></html>`

export class Proxy {
  readonly stats: ProxyStats
  private readonly vps: Vp[]
  private readonly windows: WindowsLogin

  constructor(
    config: ScenarioProxy,
    private readonly users: ScenarioUser[],
    private readonly certs: CertPaths,
    verifier: NtlmVerifier,
    private readonly forward: Forward
  ) {
    const zero = (): Record<string, number> => Object.fromEntries(config.virtualProxies.map((v) => [v.prefix, 0]))
    this.vps = config.virtualProxies.map((cfg) => ({
      cfg,
      store: new SessionStore(cfg.sessionCookieName ?? (cfg.prefix ? `X-Qlik-Session-${cfg.prefix}` : 'X-Qlik-Session'), cfg.sessionTimeoutMs ?? 1_800_000)
    }))
    const stats = { sessionsCreated: zero(), ntlmHandshakes: zero(), ntlmFailures: zero() }
    this.stats = { ...stats, activeSessions: (prefix) => this.vps.find((v) => v.cfg.prefix === prefix)?.store.active() ?? 0 }
    this.windows = new WindowsLogin(verifier, { handshakes: stats.ntlmHandshakes, failures: stats.ntlmFailures })
  }

  expireSessions(prefix?: string): void {
    for (const vp of this.vps) if (prefix === undefined || vp.cfg.prefix === prefix) vp.store.clear()
  }

  /** The VP a path goes to and the path without its prefix (what the QRS handling sees). */
  private route(pathname: string): { vp: Vp | undefined; rest: string } {
    const first = pathname.split('/')[1] ?? ''
    const vp = this.vps.find((v) => v.cfg.prefix !== '' && v.cfg.prefix === first)
    if (vp) return { vp, rest: pathname.slice(first.length + 1) || '/' }
    return { vp: this.vps.find((v) => v.cfg.prefix === ''), rest: pathname }
  }

  /** The path with any VP prefix stripped (fault rules match against it). */
  qrsPath(pathname: string): string {
    return this.route(pathname).rest
  }

  async handle(req: IncomingMessage, pathname: string, rawQuery: string, body: string): Promise<Reply> {
    const { vp, rest } = this.route(pathname)
    if (!vp) return { status: 404, text: 'Not found' }
    const module = rest.replace(/\/+$/, '').toLowerCase()
    const original = rawQuery ? `${pathname}?${rawQuery}` : pathname

    if (module === '/internal_forms_authentication') return { status: 200, html: loginForm(original) }
    if (module === '/internal_windows_authentication' && vp.cfg.auth === 'windows') {
      const outcome = await this.windows.step(vp.cfg, req, getParam(safeParams(rawQuery), 'targetId'))
      if ('reply' in outcome) return outcome.reply
      const reply: Reply = { status: 302, empty: true, headers: { Location: outcome.location } }
      if (!vp.cfg.cookieOnType3) return reply
      const made = this.newSession(vp, outcome.user)
      return made.ok ? withCookie(reply, made.setCookie) : made.reply
    }

    const auth = this.authenticate(req, pathname, rawQuery)
    if (!auth.ok) return auth.reply
    const reply = await this.forward(req, auth.rest, auth.query, body, auth.user)
    return auth.setCookie ? withCookie(reply, auth.setCookie) : reply
  }

  /**
   * Who the request is, the way its VP decides it: the session cookie, else the VP's own method (a
   * Windows VP redeems a qlikTicket or redirects into its login; JWT and header VPs make a session).
   * Used for HTTP requests and for WebSocket upgrades to the engine alike; a refusal is the reply the
   * VP gives instead (302 to a login, 401, 403 for an inactive user).
   */
  authenticate(req: IncomingMessage, pathname: string, rawQuery: string): ProxyAuth {
    const { vp, rest } = this.route(pathname)
    if (!vp) return { ok: false, reply: { status: 404, text: 'Not found' } }
    const original = rawQuery ? `${pathname}?${rawQuery}` : pathname
    const keepAlive = (id: string) => () => vp.store.touch(id)

    const existing = vp.store.fromRequest(req)
    if (existing) {
      if (findUser(this.users, existing.user)?.inactive) return { ok: false, reply: inactiveReply }
      return { ok: true, user: existing.user, rest, query: rawQuery, keepAlive: keepAlive(existing.id) }
    }
    let claimed: QlikUser
    let query = rawQuery
    switch (vp.cfg.auth) {
      case 'windows': {
        const ticket = req.method === 'GET' ? getParam(safeParams(rawQuery), 'qlikTicket') : undefined
        const user = ticket === undefined ? undefined : this.windows.redeem(vp.cfg.prefix, ticket)
        if (!user) return { ok: false, reply: this.windows.redirectToLogin(vp.cfg, req, original) } // a POST too: never forwarded
        query = rawQuery
          .split('&')
          .filter((p) => !/^qlikticket=/i.test(p))
          .join('&')
        claimed = user
        break
      }
      case 'forms':
        return { ok: false, reply: this.windows.redirectToLogin(vp.cfg, req, original, true) }
      case 'jwt': {
        const bearer = /^Bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''))?.[1]
        if (!bearer) return { ok: false, reply: { status: 401, text: 'Authentication failed: no session and no bearer token.' } }
        const check = checkJwt(bearer, readFileSync(vp.cfg.jwtCertFile ?? this.certs.jwtCert, 'utf8'), vp.cfg)
        if (!check.ok) return { ok: false, reply: { status: 401, text: check.message } }
        claimed = check
        break
      }
      case 'header': {
        const name = (vp.cfg.headerName ?? 'X-Qlik-HeaderAuth').toLowerCase()
        const raw = req.headers[name]
        const value = (Array.isArray(raw) ? raw[0] : raw)?.trim()
        if (!value) return { ok: false, reply: { status: 401, text: `Authentication failed: no session and no ${vp.cfg.headerName ?? 'X-Qlik-HeaderAuth'} header.` } }
        const slash = value.indexOf('\\')
        claimed = slash > 0 ? { userDirectory: value.slice(0, slash), userId: value.slice(slash + 1) } : { userDirectory: vp.cfg.headerUserDirectory ?? 'INTERNAL', userId: value }
        break
      }
    }
    const made = this.newSession(vp, claimed)
    if (!made.ok) return made
    return { ok: true, user: made.user, rest, query, setCookie: made.setCookie, keepAlive: keepAlive(made.id) }
  }

  /** A session for the user (the scenario's spelling of it); inactive users get 403 (doc section 11) instead. */
  private newSession(vp: Vp, claimed: QlikUser): { ok: true; id: string; user: QlikUser; setCookie: string } | { ok: false; reply: Reply } {
    const known = findUser(this.users, claimed)
    if (known?.inactive) return { ok: false, reply: inactiveReply }
    const user = { userDirectory: known?.directory ?? claimed.userDirectory, userId: known?.id ?? claimed.userId }
    const id = vp.store.create(user)
    this.stats.sessionsCreated[vp.cfg.prefix] = (this.stats.sessionsCreated[vp.cfg.prefix] ?? 0) + 1
    return { ok: true, id, user, setCookie: vp.store.setCookie(id) }
  }
}

const inactiveReply: Reply = { status: 403, text: inactiveMessage }

function withCookie(reply: Reply, setCookie: string): Reply {
  return { ...reply, headers: { ...reply.headers, 'Set-Cookie': setCookie } }
}

/** Login decisions need only targetId/qlikTicket; a malformed query is the QRS handler's to refuse. */
function safeParams(rawQuery: string): ReturnType<typeof parseQuery> {
  try {
    return parseQuery(rawQuery)
  } catch {
    return []
  }
}
