/**
 * The Windows login module of a VP (doc section 5): the 302 into the module, the NTLM handshake
 * bound to one TCP connection, and the one-time qlikTicket that leads back to the original URL.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { QlikUser } from '../auth.js'
import { downgradeType2, messageType } from '../ntlm/builtin.js'
import type { NtlmExchange, NtlmVerifier } from '../ntlm/verifier.js'
import type { Reply } from '../routes.js'
import type { ScenarioVirtualProxy } from '../scenario.js'

const ticketTtlMs = 60_000
const targetTtlMs = 10 * 60_000
const challengeHeaders = { 'WWW-Authenticate': ['Negotiate', 'NTLM'] }

export type NtlmOutcome = { reply: Reply } | { user: QlikUser; location: string }

export interface NtlmCounters {
  handshakes: Record<string, number>
  failures: Record<string, number>
}

export class WindowsLogin {
  /** targetId → original path+query (with the xrfkey). */
  private readonly targets = new Map<string, { url: string; expires: number }>()
  private readonly tickets = new Map<string, { prefix: string; user: QlikUser; expires: number }>()
  /** NTLM authenticates a connection: one exchange per socket, closed with the socket. */
  private readonly exchanges = new WeakMap<Socket, NtlmExchange>()

  constructor(
    private readonly verifier: NtlmVerifier,
    private readonly counters: NtlmCounters
  ) {}

  /** 302 into the Windows module if the User-Agent matches the VP's pattern, else into forms login. */
  redirectToLogin(vp: ScenarioVirtualProxy, req: IncomingMessage, originalUrl: string, forceForms = false): Reply {
    const pattern = (vp.windowsAuthPattern ?? 'Windows').toLowerCase()
    const ua = String(req.headers['user-agent'] ?? '').toLowerCase()
    const windows = !forceForms && pattern !== '' && ua.includes(pattern)
    this.prune()
    const targetId = randomUUID()
    this.targets.set(targetId, { url: originalUrl, expires: Date.now() + targetTtlMs })
    const base = `https://${req.headers.host ?? 'localhost'}${vp.prefix ? `/${vp.prefix}` : ''}`
    const module = windows ? 'internal_windows_authentication' : 'internal_forms_authentication'
    return { status: 302, empty: true, headers: { Location: `${base}/${module}/?targetId=${targetId}` } }
  }

  /** One step of GET .../internal_windows_authentication/?targetId=. */
  async step(vp: ScenarioVirtualProxy, req: IncomingMessage, targetId: string | undefined): Promise<NtlmOutcome> {
    const target = targetId === undefined ? undefined : this.targets.get(targetId)
    if (!target || target.expires < Date.now()) return { reply: { status: 400, text: 'Unknown or expired targetId.' } }
    const match = /^(NTLM|Negotiate)\s+([A-Za-z0-9+/=]+)\s*$/i.exec(String(req.headers.authorization ?? ''))
    if (!match) return { reply: { status: 401, text: 'Authentication required.', headers: challengeHeaders } }
    const scheme = match[1]
    const message = Buffer.from(match[2], 'base64')
    const socket = req.socket
    const type = messageType(message)
    if (type === 1) {
      this.exchanges.get(socket)?.close()
      const exchange = this.verifier.open()
      if (!this.exchanges.has(socket)) socket.once('close', () => this.exchanges.get(socket)?.close())
      this.exchanges.set(socket, exchange)
      let type2: Buffer
      try {
        type2 = await exchange.challenge(message)
      } catch {
        return { reply: this.failed(vp) }
      }
      if (vp.ntlmV1Only) type2 = downgradeType2(type2)
      return { reply: { status: 401, text: 'NTLM challenge.', headers: { 'WWW-Authenticate': `${scheme} ${type2.toString('base64')}` } } }
    }
    if (type !== 3) return { reply: this.failed(vp) }
    const exchange = this.exchanges.get(socket)
    if (!exchange) return { reply: this.failed(vp) } // a Type3 on a connection that saw no Type1
    this.exchanges.delete(socket)
    const verdict = await exchange.authenticate(message).catch(() => ({ ok: false as const, reason: 'verifier error' }))
    exchange.close()
    if (!verdict.ok) return { reply: this.failed(vp) }
    this.counters.handshakes[vp.prefix] = (this.counters.handshakes[vp.prefix] ?? 0) + 1
    this.targets.delete(targetId as string)
    const ticket = randomBytes(16).toString('hex')
    const user = { userDirectory: verdict.domain, userId: verdict.user }
    this.tickets.set(ticket, { prefix: vp.prefix, user, expires: Date.now() + ticketTtlMs })
    const location = `https://${req.headers.host ?? 'localhost'}${target.url}${target.url.includes('?') ? '&' : '?'}qlikTicket=${ticket}`
    return { user, location }
  }

  /** A ticket is good once, for 60 s, on the VP that issued it. */
  redeem(prefix: string, ticket: string): QlikUser | undefined {
    const found = this.tickets.get(ticket)
    this.tickets.delete(ticket)
    return found && found.prefix === prefix && found.expires >= Date.now() ? found.user : undefined
  }

  /** Drops stale targets and tickets so a long-running simulator does not grow. */
  private prune(): void {
    const now = Date.now()
    for (const [id, t] of this.targets) if (t.expires < now) this.targets.delete(id)
    for (const [id, t] of this.tickets) if (t.expires < now) this.tickets.delete(id)
  }

  private failed(vp: ScenarioVirtualProxy): Reply {
    this.counters.failures[vp.prefix] = (this.counters.failures[vp.prefix] ?? 0) + 1
    return { status: 401, text: 'NTLM authentication failed.', headers: challengeHeaders }
  }
}
