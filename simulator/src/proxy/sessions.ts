/** Proxy sessions of one virtual proxy: an opaque cookie value → user, with an idle timeout. */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { QlikUser } from '../auth.js'

interface Session {
  user: QlikUser
  lastUsed: number
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>()
  constructor(
    readonly cookieName: string,
    private readonly timeoutMs: number
  ) {}

  create(user: QlikUser): string {
    const id = randomBytes(24).toString('base64url')
    this.sessions.set(id, { user, lastUsed: Date.now() })
    return id
  }

  /** The session behind the request's cookie (refreshed); an idle-expired session is dropped (and looks unknown). */
  fromRequest(req: IncomingMessage): { id: string; user: QlikUser } | undefined {
    const id = readCookie(req, this.cookieName)
    if (id === undefined || !this.touch(id)) return undefined
    return { id, user: (this.sessions.get(id) as Session).user }
  }

  /** Marks the session used now; false when it is unknown or idle-expired (then it is dropped). */
  touch(id: string): boolean {
    const session = this.sessions.get(id)
    if (!session) return false
    if (Date.now() - session.lastUsed > this.timeoutMs) {
      this.sessions.delete(id)
      return false
    }
    session.lastUsed = Date.now()
    return true
  }

  setCookie(id: string): string {
    return `${this.cookieName}=${id}; Path=/; HttpOnly; Secure`
  }

  active(): number {
    const now = Date.now()
    for (const [id, s] of this.sessions) if (now - s.lastUsed > this.timeoutMs) this.sessions.delete(id)
    return this.sessions.size
  }

  clear(): void {
    this.sessions.clear()
  }
}

/** Cookie names are case-sensitive; the first cookie of that name wins. */
function readCookie(req: IncomingMessage, name: string): string | undefined {
  const raw = req.headers.cookie
  if (!raw) return undefined
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}
