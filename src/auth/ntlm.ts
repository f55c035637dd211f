import { getProxyUrl } from '@actions/http-client'
import type { Type2Message } from 'httpntlm/ntlm.js'
import { newXrfkey } from '../qrs/xrfkey.js'
import { isRedirect, type RawResponse, type Transport } from '../qrs/transport.js'
import type { Authenticator, RenewContext, Site } from '../qrs/authenticator.js'
import { AuthError, InputError } from '../util/errors.js'
import { maskTicket, withoutQuery } from '../output/mask.js'
import { printUntrusted } from '../output/untrusted.js'
import { loginError, loginModule, loginRedirectError, PROXY_HTML_HINT, sameOrigin, throwIfBusy } from './login.js'
import { lostAfterFailover, ProxySession } from './session.js'
import type { AuthInputs, AuthMethod } from './method.js'
import { formatUser } from '../qrs/user.js'

export interface WindowsCredentials {
  /** As NTLM carries it: `svc_reload`, or a UPN `svc_reload@corp.example` with an empty domain. */
  user: string
  /** NetBIOS domain; empty for a UPN or a bare user (the server's own domain). */
  domain: string
  password: string
}

export interface NtlmSettings {
  type: 'ntlm'
  credentials: WindowsCredentials
}

/** auth-type: ntlm (Windows authentication through a virtual proxy): username, password. */
export const ntlmMethod: AuthMethod<NtlmSettings> = {
  read: inputs => ({ type: 'ntlm', credentials: readWindowsCredentials(inputs) }),
  create: (settings, site) => ntlmAuth(settings.credentials, site),
  // The NetBIOS domain is the user directory; a UPN's or a bare user's directory is the server's to say.
  user: ({ credentials: { domain, user } }) => formatUser({ directory: domain, userId: domain ? user : user.replace(/@.*$/, '') })
}

function readWindowsCredentials({ get, raw, secrets }: AuthInputs): WindowsCredentials {
  const username = get('username')
  // Passwords keep leading and trailing spaces.
  const password = raw('password')
  if (password) secrets.push(password)
  if (!username) throw new InputError('username', "is required with auth-type 'ntlm' (DOMAIN\\user, user@domain or user).")
  if (!password) throw new InputError('password', "is required with auth-type 'ntlm'.")
  const { user, domain } = parseWindowsUser(username)
  if (!user || /[\\/\s]/.test(user) || /\s/.test(domain)) {
    throw new InputError('username', `'${username}' is not DOMAIN\\user, user@domain or user (in YAML, quote it: 'CORP\\svc_reload').`)
  }
  return { user, domain, password }
}

/** `CORP\svc_reload`, `svc_reload@corp.example` or `svc_reload`. */
export function parseWindowsUser(username: string): { user: string; domain: string } {
  const slash = username.indexOf('\\')
  if (slash >= 0) return { domain: username.slice(0, slash), user: username.slice(slash + 1) }
  // A UPN travels whole in the user field with an empty domain, as Windows clients send it.
  return { domain: '', user: username }
}

const NEGOTIATE_EXTENDED_SESSION_SECURITY = 0x00080000
const NEGOTIATE_TARGET_INFO = 0x00800000

/**
 * Windows auth through a virtual proxy, Qlik's way: the proxy redirects to its login module,
 * which runs NTLM (Type1 → Type2 → Type3) on one keep-alive connection and then redirects back
 * with a qlikTicket that the client redeems for the session cookie. NTLMv2 only.
 */
export function ntlmAuth(credentials: WindowsCredentials, site: Site): Authenticator {
  const who = credentials.domain ? `${credentials.domain}\\${credentials.user}` : credentials.user
  const session = new ProxySession(site.log)
  let signIns = 0

  /** Signs in at the login module; answers the redeemed ticket's answer when it is the request's own. */
  const signIn = async (context: RenewContext): Promise<RawResponse | undefined> => {
    session.clear()
    // A sign-in always starts with a GET: the redirect dance would turn a POST into a GET.
    const login = context.method === 'GET' ? context.answer : await context.get('/qrs/about')
    if (loginModule(login) !== 'windows') throw loginError(login, 'ntlm', site)
    const forwardProxy = getProxyUrl(site.url.href)
    if (forwardProxy) {
      // NTLM authenticates one TCP connection; the proxy tunnel is not kept between its messages,
      // and a failed attempt can count against the account's lockout threshold.
      throw new AuthError(
        `NTLM cannot go through the forward proxy ${new URL(forwardProxy).host} (from HTTPS_PROXY): NTLM authenticates one TCP connection and the tunnel is not kept between its messages. Put the Qlik host in NO_PROXY (NO_PROXY: ${site.url.hostname}), or use JWT or header auth through the proxy.`
      )
    }
    if (signIns > 0) site.log.info('The Qlik proxy session expired: signing in again.')
    signIns++
    const answer = await handshake(sameOrigin(login.headers.location!, site), context.openConnection, credentials, who, site)
    session.receive(answer)
    const location = answer.headers.location
    let ticket: { url: URL; response: RawResponse } | undefined
    if (location && /[?&]qlikTicket=/i.test(location)) {
      // Redeem the ticket: the proxy answers it with the session cookie.
      const url = sameOrigin(location, site)
      const response = await context.request(url, { 'X-Qlik-Xrfkey': url.searchParams.get('xrfkey') ?? newXrfkey(), Accept: 'application/json' })
      session.receive(response)
      ticket = { url, response }
    }
    if (!session.active) {
      throw new AuthError(`The Windows sign-in succeeded but the proxy set no session cookie (it redirected to ${location ? withoutQuery(location) : 'nowhere'}).`)
    }
    printUntrusted(site.log, `Signed in through the proxy; session cookie ${session.names().join(', ')}.`)
    // Redeeming the ticket replays the GET that met the login redirect: its answer is that GET's answer.
    const replayed =
      ticket &&
      context.method === 'GET' &&
      !context.streamed &&
      ticket.url.pathname === context.url.pathname &&
      !isRedirect(ticket.response.status) &&
      ticket.response.status !== 401
    return replayed ? ticket!.response : undefined
  }

  return {
    description: `Windows/NTLM (${who})`,
    clientTls: {},
    prepare: () => ({ headers: session.header(), session: session.active }),
    receive: response => session.receive(response),
    // Without a session (or once it expired) the proxy sends every request to its login module.
    expired: (response, sentWithSession) => lostAfterFailover(response, sentWithSession) || loginModule(response) !== undefined,
    renew: signIn,
    refusalHint: status =>
      status === 401 ? `Windows sign-in of ${who} refused: check the password, that the account is enabled, and the NetBIOS domain (DOMAIN\\user).` : undefined,
    redirectError: response => loginRedirectError(response, 'ntlm', site),
    htmlHint: PROXY_HTML_HINT
  }
}

async function handshake(loginUrl: URL, openConnection: () => Transport, credentials: WindowsCredentials, who: string, site: Site): Promise<RawResponse> {
  const url = new URL(loginUrl)
  if (!url.searchParams.get('xrfkey')) url.searchParams.set('xrfkey', newXrfkey())
  const leg = async (connection: Transport, authorization?: string): Promise<RawResponse> => {
    const response = await connection.request('GET', url.href, {
      'X-Qlik-Xrfkey': url.searchParams.get('xrfkey')!,
      ...(authorization ? { Authorization: authorization } : {})
    })
    throwIfBusy(response, url)
    return response
  }
  // httpntlm's message layer, loaded only for a Windows sign-in.
  const { default: ntlm } = await import('httpntlm/ntlm.js')
  const connection = openConnection()
  try {
    const offer = await leg(connection)
    const schemes = authenticateHeader(offer)
    if (offer.status !== 401 || !schemes.some(s => /^NTLM$/i.test(s))) {
      throw new AuthError(
        `The proxy's Windows login answered ${offer.status} offering ${schemes.join(', ') || 'no authentication scheme'}, not NTLM: enable Windows authentication on the virtual proxy, or use another auth-type.`
      )
    }
    const challenge = await leg(connection, ntlm.createType1Message({ domain: credentials.domain, workstation: '' }))
    const type2 = parseType2(challenge, (header, onError) => ntlm.parseType2Message(header, onError))
    const answer = await leg(
      connection,
      ntlm.createType3Message(type2, { username: credentials.user, password: credentials.password, domain: credentials.domain, workstation: '' })
    )
    if (answer.status === 401) {
      const moved = answer.socket !== challenge.socket ? ' The connection changed between the NTLM messages (a forward proxy in between? put the Qlik host in NO_PROXY).' : ''
      throw new AuthError(
        `The proxy refused the Windows sign-in of ${who} (401 after the NTLM handshake). Check the password, that the account is enabled and not locked, and the domain: write DOMAIN\\user with the NetBIOS domain name.${moved}`
      )
    }
    if (!isRedirect(answer.status)) {
      throw new AuthError(`The proxy answered the NTLM handshake with ${answer.status} instead of redirecting back with a ticket.`)
    }
    maskTicket(site.log, answer.headers.location)
    return answer
  } finally {
    connection.dispose()
  }
}

function authenticateHeader(response: RawResponse): string[] {
  const header = response.headers['www-authenticate']
  const values: string[] = Array.isArray(header) ? header : header ? [header] : []
  return values
    .flatMap(value => value.split(','))
    .map(value => value.trim())
    .filter(Boolean)
}

/** The Type2 challenge; refused when answering it would take NTLMv1. */
function parseType2(response: RawResponse, parse: (header: string, onError: (error: Error) => void) => Type2Message | null): Type2Message {
  const header = authenticateHeader(response).find(value => /^NTLM \S+/i.test(value))
  if (response.status !== 401 || !header) {
    throw new AuthError(`The proxy answered the NTLM Type1 message with ${response.status} and no NTLM challenge.`)
  }
  let failure: Error | undefined
  const type2 = parse(header, error => (failure = error))
  if (!type2) throw new AuthError(`The proxy's NTLM challenge does not parse: ${failure?.message ?? 'unknown error'}.`)
  // httpntlm falls back to NTLMv1 without extended session security and target info: never send that.
  if (!(type2.negotiateFlags & NEGOTIATE_EXTENDED_SESSION_SECURITY) || !(type2.negotiateFlags & NEGOTIATE_TARGET_INFO) || !type2.targetInfo?.length) {
    throw new AuthError(
      'The server offers only NTLMv1 (its challenge has no extended session security or target info). NTLMv1 is refused: it is broken and hardened domains forbid it. Ask the Qlik admins to allow NTLMv2 (LmCompatibilityLevel 3 or higher).'
    )
  }
  return type2
}
