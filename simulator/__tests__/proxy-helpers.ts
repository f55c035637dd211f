/** Shared setup for the proxy tests: a scenario with one VP per auth method and a raw https caller. */
import https from 'node:https'
import { readFileSync } from 'node:fs'
import type { CertPaths, Scenario, Simulator, SimulatorOptions } from '../src/index.js'
import { start, testScenario, xrfkey } from './helpers.js'
import { ntlm } from './ntlm-messages.js'

export const account = { domain: 'CORP', user: 'svc_reload', password: 'Reload-Pass-1' }

export function proxyScenario(windowsExtra: Record<string, unknown> = {}): Scenario {
  const scenario = testScenario()
  scenario.users = [...(scenario.users ?? []), { directory: 'CORP', id: 'retired', inactive: true }]
  scenario.proxy = {
    virtualProxies: [
      { prefix: 'ntlm', auth: 'windows', sessionCookieName: 'X-Qlik-Session-ntlm', windowsAuthPattern: 'Windows', sessionTimeoutMs: 1_800_000, ...windowsExtra },
      { prefix: 'jwt', auth: 'jwt', sessionCookieName: 'X-Qlik-Session-jwt', jwtUserIdClaim: 'userId', jwtUserDirectoryClaim: 'userDirectory' },
      { prefix: 'hdr', auth: 'header', sessionCookieName: 'X-Qlik-Session-hdr', headerName: 'X-Qlik-HeaderAuth', headerUserDirectory: 'CORP' },
      { prefix: '', auth: 'forms', sessionCookieName: 'X-Qlik-Session' }
    ],
    windowsAccounts: [account, { domain: 'CORP', user: 'retired', password: 'Old-Pass-1' }]
  }
  return scenario
}

export function startProxy(certs: CertPaths, opts: Partial<SimulatorOptions> = {}, windowsExtra: Record<string, unknown> = {}): Promise<Simulator> {
  return start(certs, { scenario: proxyScenario(windowsExtra), ...opts })
}

export interface Res {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** Every header as a list (repeated WWW-Authenticate headers stay apart). */
  distinct: Record<string, string[] | undefined>
  body: string
  /** The socket's local port: which TCP connection carried the request. */
  localPort: number
}

export interface ProxyCall {
  method?: string
  headers?: Record<string, string>
  agent?: https.Agent
  /** Adds ?xrfkey= and the header (default true). */
  xrfkey?: boolean
}

export function proxyAgent(certs: CertPaths, maxSockets = 1): https.Agent {
  return new https.Agent({ ca: readFileSync(certs.ca), keepAlive: true, maxSockets })
}

/** A raw request to the proxy; a full https:// URL (a Location) or a path. */
export function proxyCall(sim: Simulator, target: string, opts: ProxyCall = {}): Promise<Res> {
  const url = new URL(target, sim.proxyUrl)
  const headers: Record<string, string> = { ...opts.headers }
  if (opts.xrfkey !== false) {
    url.searchParams.set('xrfkey', xrfkey)
    headers['X-Qlik-Xrfkey'] = xrfkey
  }
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: opts.method ?? 'GET', headers, agent: opts.agent, ca: readFileSync(sim.certs.ca) }, (res) => {
      const chunks: Buffer[] = []
      const localPort = res.socket?.localPort ?? 0 // read now: the socket goes back to the pool at 'end'
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, distinct: res.headersDistinct, body: Buffer.concat(chunks).toString('utf8'), localPort }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** `name=value` of the Set-Cookie with that name. */
export function cookieFrom(res: Res, name: string): string | undefined {
  const all = res.headers['set-cookie'] ?? []
  return (Array.isArray(all) ? all : [all]).map((c) => c.split(';')[0] ?? '').find((c) => c.startsWith(`${name}=`))
}

export const windowsUA = { 'User-Agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)' }

export function ntlmType1(): string {
  return ntlm.createType1Message({ domain: 'CORP', workstation: 'WS01' })
}

/** The Type3 answering the Type2 in `res` (a 401 of the Windows module). */
export function ntlmType3(res: Res, password = account.password, username = account.user): string {
  const t2 = ntlm.parseType2Message(String(res.headers['www-authenticate']), (err) => {
    throw err
  })
  if (!t2) throw new Error('no Type2')
  return ntlm.createType3Message(t2, { username, password, domain: 'CORP', workstation: 'WS01' })
}

/** The whole Windows dance on one connection; returns every answer so tests can look at each step. */
export async function ntlmLogin(s: Simulator, agent: https.Agent, password = account.password, path = '/ntlm/qrs/about') {
  const first = await proxyCall(s, path, { agent, headers: windowsUA })
  const module = String(first.headers.location)
  const challenge = await proxyCall(s, module, { agent, xrfkey: false })
  const t2 = await proxyCall(s, module, { agent, xrfkey: false, headers: { Authorization: ntlmType1() } })
  const t3 = await proxyCall(s, module, { agent, xrfkey: false, headers: { Authorization: ntlmType3(t2, password) } })
  return { first, module, challenge, t2, t3 }
}

/** Signs in through the Windows VP `ntlm` and returns its session cookie (`name=value`). */
export async function ntlmCookie(s: Simulator): Promise<string> {
  const agent = proxyAgent(s.certs)
  const { t3 } = await ntlmLogin(s, agent)
  const ticketed = await proxyCall(s, String(t3.headers.location), { agent })
  agent.destroy()
  const cookie = cookieFrom(ticketed, 'X-Qlik-Session-ntlm')
  if (ticketed.status !== 200 || !cookie) throw new Error(`NTLM sign-in failed: ${ticketed.status}`)
  return cookie
}
