/** The Windows VP step by step (doc section 5), NTLM messages from httpntlm, one keep-alive connection. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { Simulator } from '../src/index.js'
import { ids, sleep, testCerts } from './helpers.js'
import { account, cookieFrom, ntlmLogin as login, ntlmType1 as type1, ntlmType3 as type3, proxyAgent, proxyCall, startProxy, windowsUA } from './proxy-helpers.js'
import { ntlm, type Type2 } from './ntlm-messages.js'

const certs = testCerts('proxy')
const cookieName = 'X-Qlik-Session-ntlm'
let sim: Simulator

beforeAll(async () => {
  sim = await startProxy(certs)
})
afterAll(() => sim.close())

describe('Windows VP: the full flow', () => {
  it('302 → 401 Negotiate+NTLM → Type2 → Type3 → 302 qlikTicket → cookie → QRS JSON', async () => {
    const agent = proxyAgent(certs)
    const before = { sessions: sim.proxy.sessionsCreated.ntlm ?? 0, ok: sim.proxy.ntlmHandshakes.ntlm ?? 0 }
    const { first, module, challenge, t2, t3 } = await login(sim, agent)
    expect(first.status).toBe(302)
    expect(module).toMatch(new RegExp(`^https://localhost:${sim.proxyPort}/ntlm/internal_windows_authentication/\\?targetId=[0-9a-f-]{36}$`))
    expect(challenge.status).toBe(401)
    expect(challenge.distinct['www-authenticate']).toEqual(['Negotiate', 'NTLM'])
    expect(t2.status).toBe(401)
    expect(String(t2.headers['www-authenticate'])).toMatch(/^NTLM [A-Za-z0-9+/=]+$/)
    expect(t3.localPort).toBeGreaterThan(0)
    expect(t3.localPort).toBe(t2.localPort) // one TCP connection
    expect(t3.status).toBe(302)
    expect(t3.headers['set-cookie']).toBeUndefined()
    const back = String(t3.headers.location)
    expect(back).toMatch(new RegExp(`^https://localhost:${sim.proxyPort}/ntlm/qrs/about\\?xrfkey=abcdefghij123456&qlikTicket=\\w+$`))

    const ticketed = await proxyCall(sim, back, { agent })
    expect(ticketed.status).toBe(200)
    expect(ticketed.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(JSON.parse(ticketed.body)).toMatchObject({ schemaPath: 'About' })
    expect(String(ticketed.headers['set-cookie'])).toMatch(new RegExp(`^${cookieName}=[\\w-]+; Path=/; HttpOnly; Secure$`))
    const cookie = cookieFrom(ticketed, cookieName) as string

    // A ticket is good once.
    expect((await proxyCall(sim, back, { agent, headers: windowsUA })).status).toBe(302)
    // The cookie alone is enough from now on, on any connection, and the QRS runs as the NTLM user.
    const started = await proxyCall(sim, `/ntlm/qrs/task/${ids.success}/start/synchronous`, { method: 'POST', headers: { Cookie: cookie } })
    expect(started.status).toBe(201)
    const sessionId = (JSON.parse(started.body) as { value: string }).value
    expect(sim.state.sessions.find((s) => s.id === sessionId)?.user).toEqual({ userDirectory: 'CORP', userId: 'svc_reload' })
    expect(sim.proxy.sessionsCreated.ntlm).toBe(before.sessions + 1)
    expect(sim.proxy.ntlmHandshakes.ntlm).toBe(before.ok + 1)
    expect(sim.proxy.activeSessions('ntlm')).toBeGreaterThanOrEqual(1)
    const recorded = sim.requests.filter((r) => r.listener === 'proxy' && r.path === `/ntlm/qrs/task/${ids.success}/start/synchronous`)
    expect(recorded.at(-1)?.status).toBe(201)
    agent.destroy()
  })

  it('the xrfkey is still checked behind the proxy', async () => {
    const agent = proxyAgent(certs)
    const { t3 } = await login(sim, agent)
    const res = await proxyCall(sim, String(t3.headers.location), { agent })
    const cookie = cookieFrom(res, cookieName) as string
    const noKey = await proxyCall(sim, '/ntlm/qrs/about', { xrfkey: false, headers: { Cookie: cookie } })
    expect(noKey.status).toBe(403)
    expect(noKey.body).toBe('XSRF prevention check failed. Possible XSRF discovered.')
    agent.destroy()
  })

  it('wrong password: 401 with Negotiate and NTLM again', async () => {
    const agent = proxyAgent(certs)
    const failures = sim.proxy.ntlmFailures.ntlm ?? 0
    const { t3 } = await login(sim, agent, 'not-the-password')
    expect(t3.status).toBe(401)
    expect(t3.distinct['www-authenticate']).toEqual(['Negotiate', 'NTLM'])
    expect(t3.headers['content-type']).toMatch(/^text\/plain/)
    expect(sim.proxy.ntlmFailures.ntlm).toBe(failures + 1)
    agent.destroy()
  })

  it('unknown user: 401', async () => {
    const agent = proxyAgent(certs)
    const first = await proxyCall(sim, '/ntlm/qrs/about', { agent, headers: windowsUA })
    const module = String(first.headers.location)
    const t2 = await proxyCall(sim, module, { agent, xrfkey: false, headers: { Authorization: type1() } })
    const t3 = await proxyCall(sim, module, { agent, xrfkey: false, headers: { Authorization: type3(t2, account.password, 'nobody') } })
    expect(t3.status).toBe(401)
    agent.destroy()
  })

  it('a Type3 on another connection than its Type1 fails', async () => {
    const a = proxyAgent(certs)
    const b = proxyAgent(certs)
    const first = await proxyCall(sim, '/ntlm/qrs/about', { agent: a, headers: windowsUA })
    const module = String(first.headers.location)
    const t2 = await proxyCall(sim, module, { agent: a, xrfkey: false, headers: { Authorization: type1() } })
    const t3 = await proxyCall(sim, module, { agent: b, xrfkey: false, headers: { Authorization: type3(t2, account.password) } })
    expect(t3.localPort).not.toBe(t2.localPort)
    expect(t3.status).toBe(401)
    expect(t3.distinct['www-authenticate']).toEqual(['Negotiate', 'NTLM'])
    a.destroy()
    b.destroy()
  })

  it('a User-Agent without the pattern is sent to forms login (HTML)', async () => {
    const first = await proxyCall(sim, '/ntlm/qrs/about', { headers: { 'User-Agent': 'node' } })
    expect(first.status).toBe(302)
    expect(String(first.headers.location)).toMatch(/\/ntlm\/internal_forms_authentication\/\?targetId=[0-9a-f-]{36}$/)
    const form = await proxyCall(sim, String(first.headers.location), { xrfkey: false })
    expect(form.status).toBe(200)
    expect(form.headers['content-type']).toMatch(/^text\/html/)
    expect(form.body).toMatch(/<form/)
  })

  it('expired session (expireSessions): 302 back to the login module, not 401', async () => {
    const agent = proxyAgent(certs)
    const { t3 } = await login(sim, agent)
    const cookie = cookieFrom(await proxyCall(sim, String(t3.headers.location), { agent }), cookieName) as string
    expect((await proxyCall(sim, '/ntlm/qrs/about', { headers: { Cookie: cookie } })).status).toBe(200)
    sim.expireSessions('ntlm')
    expect(sim.proxy.activeSessions('ntlm')).toBe(0)
    const after = await proxyCall(sim, '/ntlm/qrs/about', { headers: { Cookie: cookie, ...windowsUA } })
    expect(after.status).toBe(302)
    expect(String(after.headers.location)).toMatch(/\/ntlm\/internal_windows_authentication\//)
    agent.destroy()
  })

  it('a POST without a session is redirected and never reaches the QRS', async () => {
    const starts = sim.startCount(ids.success)
    const res = await proxyCall(sim, `/ntlm/qrs/task/${ids.success}/start/synchronous`, { method: 'POST', headers: windowsUA })
    expect(res.status).toBe(302)
    expect(String(res.headers.location)).toMatch(/internal_windows_authentication/)
    expect(sim.startCount(ids.success)).toBe(starts)
  })

  it('the prefix is case-sensitive: /NTLM is no VP and lands on the default (forms) VP', async () => {
    const res = await proxyCall(sim, '/NTLM/qrs/about', { headers: windowsUA })
    expect(res.status).toBe(302)
    expect(String(res.headers.location)).toMatch(new RegExp(`^https://localhost:${sim.proxyPort}/internal_forms_authentication/`))
  })

  it('an inactive Windows user gets 403 instead of a session', async () => {
    const agent = proxyAgent(certs)
    const first = await proxyCall(sim, '/ntlm/qrs/about', { agent, headers: windowsUA })
    const module = String(first.headers.location)
    const t2 = await proxyCall(sim, module, { agent, xrfkey: false, headers: { Authorization: type1() } })
    const t3 = await proxyCall(sim, module, { agent, xrfkey: false, headers: { Authorization: type3(t2, 'Old-Pass-1', 'retired') } })
    expect(t3.status).toBe(302)
    const res = await proxyCall(sim, String(t3.headers.location), { agent })
    expect(res.status).toBe(403)
    expect(res.body).toBe('Your account is inactive. Contact your administrator to activate it.')
    expect(res.headers['set-cookie']).toBeUndefined()
    agent.destroy()
  })
})

describe('Windows VP switches', () => {
  it('idle timeout: a session unused for sessionTimeoutMs is gone', async () => {
    const s = await startProxy(certs, {}, { sessionTimeoutMs: 150 })
    try {
      const agent = proxyAgent(certs)
      const { t3 } = await login(s, agent)
      const cookie = cookieFrom(await proxyCall(s, String(t3.headers.location), { agent }), cookieName) as string
      await sleep(80)
      expect((await proxyCall(s, '/ntlm/qrs/about', { headers: { Cookie: cookie } })).status).toBe(200) // refreshes
      await sleep(80)
      expect((await proxyCall(s, '/ntlm/qrs/about', { headers: { Cookie: cookie } })).status).toBe(200)
      await sleep(250)
      expect((await proxyCall(s, '/ntlm/qrs/about', { headers: { Cookie: cookie, ...windowsUA } })).status).toBe(302)
      agent.destroy()
    } finally {
      await s.close()
    }
  })

  it('cookieOnType3: the cookie already comes with the 302 after Type3', async () => {
    const s = await startProxy(certs, {}, { cookieOnType3: true })
    try {
      const agent = proxyAgent(certs)
      const { t3 } = await login(s, agent)
      expect(t3.status).toBe(302)
      const cookie = cookieFrom(t3, cookieName) as string
      expect(cookie).toBeDefined()
      // Following the ticket with that cookie reuses the session: no second one.
      const res = await proxyCall(s, String(t3.headers.location), { agent, headers: { Cookie: cookie } })
      expect(res.status).toBe(200)
      expect(s.proxy.sessionsCreated.ntlm).toBe(1)
      agent.destroy()
    } finally {
      await s.close()
    }
  })

  it('ntlmV1Only: Type2 without Extended Session Security and target info; an NTLMv1 answer is refused', async () => {
    const s = await startProxy(certs, {}, { ntlmV1Only: true })
    try {
      const agent = proxyAgent(certs)
      const { t2, t3 } = await login(s, agent)
      const t2msg = ntlm.parseType2Message(String(t2.headers['www-authenticate']), (err) => {
        throw err
      }) as Type2
      expect(t2msg.negotiateFlags & 0x80000).toBe(0) // NEGOTIATE_EXTENDED_SESSIONSECURITY
      expect(t2msg.negotiateFlags & 0x800000).toBe(0) // NEGOTIATE_TARGET_INFO
      expect(t2msg.targetInfo).toBeUndefined()
      // httpntlm falls back to NTLMv1 here (doc section 5); the verifier accepts NTLMv2 only.
      expect(t3.status).toBe(401)
      expect(s.proxy.ntlmFailures.ntlm).toBe(1)
      agent.destroy()
    } finally {
      await s.close()
    }
  })
})
