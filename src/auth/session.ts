import { CookieJar } from '../qrs/cookies.js'
import { isRedirect, type RawResponse } from '../qrs/transport.js'
import type { ClientTls } from '../qrs/agent.js'
import type { Authenticator, Site } from '../qrs/authenticator.js'
import type { Log } from '../toolkit/toolkit.js'
import { loginRedirectError, PROXY_HTML_HINT } from './login.js'

/** The proxy's session: every cookie it sets, sent back on each request. */
export class ProxySession {
  private readonly jar: CookieJar

  /** `log`: where the cookie values are masked the moment they arrive. */
  constructor(log: Pick<Log, 'setSecret' | 'debug'>) {
    this.jar = new CookieJar(log)
  }

  get active(): boolean {
    return !this.jar.empty
  }

  /** The Cookie header, or nothing before the proxy set one. */
  header(): Record<string, string> {
    return this.jar.header()
  }

  receive(response: RawResponse): void {
    this.jar.take(response.headers['set-cookie'])
  }

  names(): string[] {
    return this.jar.names()
  }

  clear(): void {
    this.jar.clear()
  }
}

/** After a proxy failover the old cookie is answered with 500 "Authentication error". */
export function lostAfterFailover(response: RawResponse, sentWithSession: boolean): boolean {
  return response.status === 500 && sentWithSession && /Authentication error/i.test(response.body)
}

export interface CredentialsStrategy {
  /** auth-type, for messages. */
  type: string
  description: string
  clientTls?: ClientTls
  /** Headers that carry the credentials; `session`: the session cookie goes with them. */
  credentials(session: boolean): Record<string, string>
  refusalHint(status: number, body: string): string | undefined
  htmlHint?: string
}

/**
 * Auth that sends credentials on a request (certificate, JWT, header): an expired session is
 * answered with 401 or a redirect to a login, and renewing is dropping the cookie, so the next
 * request carries the credentials again. Without a session, such an answer is the verdict.
 */
export function credentialsAuthenticator(strategy: CredentialsStrategy, site: Site): Authenticator {
  const session = new ProxySession(site.log)
  return {
    description: strategy.description,
    clientTls: strategy.clientTls ?? {},
    prepare: () => ({ headers: { ...strategy.credentials(session.active), ...session.header() }, session: session.active }),
    receive: response => session.receive(response),
    expired: (response, sentWithSession) => lostAfterFailover(response, sentWithSession) || (sentWithSession && (response.status === 401 || isRedirect(response.status))),
    renew: async () => {
      session.clear()
      return undefined
    },
    refusalHint: (status, body) => strategy.refusalHint(status, body),
    redirectError: response => loginRedirectError(response, strategy.type, site),
    htmlHint: strategy.htmlHint ?? PROXY_HTML_HINT
  }
}
