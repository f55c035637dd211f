/**
 * The two ways into the engine and who the session runs as: the engine port (mutual TLS, X-Qlik-User,
 * checked as the QRS port checks them) and WebSocket upgrades through each kind of virtual proxy
 * (authenticated as the VP authenticates HTTP); the rights of that user on the app.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import https from 'node:https'
import jwt from 'jsonwebtoken'
import type { Simulator } from '../src/index.js'
import { appId, start, testCerts } from './helpers.js'
import { connect, engineScenario, openApp, proxyWss, session, type ConnectOptions, closeAll } from './engine-helpers.js'
import { cookieFrom, ntlmCookie, proxyCall, windowsUA } from './proxy-helpers.js'

const certs = testCerts('engine')
let sim: Simulator

beforeAll(async () => {
  sim = await start(certs, { scenario: engineScenario() })
})
afterEach(closeAll)
afterAll(() => sim.close())

/** The upgrade's refusal: status, headers and body. */
async function refused(path: string, opts: ConnectOptions): Promise<{ status: number; headers: Record<string, any>; body: string }> {
  try {
    const client = await connect(sim, path, opts)
    await client.close()
  } catch (err: any) {
    if (err.status) return err
    throw err
  }
  throw new Error('the upgrade was accepted')
}

describe('the engine port (4747)', () => {
  it('the site client certificate and X-Qlik-User: the session runs as that user', async () => {
    const client = await session(sim, appId, { headers: { 'X-Qlik-User': 'UserDirectory=CORP; UserId=svc_reload' } })
    await client.call('GetProgress', -1, [0])
    expect(sim.engine.calls.at(-1)).toMatchObject({ method: 'GetProgress', handle: -1, params: [0], listener: 'engine', user: 'CORP\\svc_reload', appId })
    expect(sim.requests.at(-1)).toMatchObject({ method: 'GET', path: `/app/${appId}`, status: 101, listener: 'engine', clientCertCN: 'QlikClient' })
    await client.close()
  })

  it.each([
    ['no client certificate', { identity: 'none' }, 403, 'Forbidden: no trusted client certificate was presented'],
    ['a certificate of another CA', { identity: 'other' }, 403, 'Forbidden: no trusted client certificate was presented'],
    ['no X-Qlik-User', { headers: {} }, 403, 'Forbidden: the X-Qlik-User header is required'],
    ['a malformed X-Qlik-User', { headers: { 'X-Qlik-User': 'UserDirectory=CORP: UserId=x' } }, 403, 'The X-Qlik-User header is malformed'],
    ['an inactive user', { headers: { 'X-Qlik-User': 'UserDirectory=CORP; UserId=gone' } }, 403, 'Your account is inactive']
  ] as const)('%s: the upgrade is refused', async (_name, opts, status, text) => {
    const res = await refused(`/app/${appId}`, opts)
    expect(res.status).toBe(status)
    expect(res.body).toContain(text)
    expect(sim.requests.at(-1)).toMatchObject({ path: `/app/${appId}`, status, listener: 'engine' })
  })

  it('paths other than /app/<id>: 404; plain HTTP: 404', async () => {
    expect((await refused('/qrs/about', {})).status).toBe(404)
    const status = await new Promise<number>((resolve, reject) =>
      https
        .get(
          `${sim.engineUrl.replace('wss:', 'https:')}/app/${appId}`,
          { ca: readFileSync(certs.ca), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) },
          (res) => {
            res.resume()
            resolve(res.statusCode ?? 0)
          }
        )
        .on('error', reject)
    )
    expect(status).toBe(404)
  })
})

describe('through the proxy: as the VP authenticates HTTP', () => {
  const url = (): string => proxyWss(sim)

  it('Windows VP without a session cookie: the redirect into its login (Windows or forms by User-Agent)', async () => {
    const withUA = await refused(`/ntlm/app/${appId}`, { url: url(), identity: 'none', headers: windowsUA })
    expect(withUA.status).toBe(302)
    expect(withUA.headers.location).toMatch(/\/ntlm\/internal_windows_authentication\/\?targetId=/)
    const without = await refused(`/ntlm/app/${appId}`, { url: url(), identity: 'none', headers: {} })
    expect(without.headers.location).toMatch(/\/ntlm\/internal_forms_authentication\/\?targetId=/)
    expect(sim.requests.at(-1)).toMatchObject({ path: `/ntlm/app/${appId}`, status: 302, listener: 'proxy' })
  })

  it('Windows VP with the cookie of an earlier sign-in: opened as that user; an expired session is refused again', async () => {
    const cookie = await ntlmCookie(sim)
    const handshakes = sim.proxy.ntlmHandshakes.ntlm
    const { client } = await openApp(sim, appId, { url: `${url()}/ntlm`, identity: 'none', headers: { Cookie: cookie } })
    expect(sim.engine.sessions()).toEqual([expect.objectContaining({ listener: 'proxy', user: 'CORP\\svc_reload', openDoc: appId })])
    await client.close()
    expect(sim.proxy.ntlmHandshakes.ntlm).toBe(handshakes)
    sim.expireSessions('ntlm')
    expect((await refused(`/ntlm/app/${appId}`, { url: url(), identity: 'none', headers: { Cookie: cookie, ...windowsUA } })).status).toBe(302)
  })

  /** `name=value` of a Set-Cookie among the 101's headers. */
  const cookieOf = (headers: Record<string, any>, name: string): string | undefined =>
    ([] as string[])
      .concat(headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0])
      .find((c) => c.startsWith(`${name}=`))

  it('JWT VP: a bearer token opens it; the 101 carries the session cookie, which then works for HTTP', async () => {
    const token = jwt.sign({ userId: 'sa_api', userDirectory: 'INTERNAL' }, readFileSync(certs.jwtKey), { algorithm: 'RS256', expiresIn: 60 })
    const sessions = sim.proxy.sessionsCreated.jwt
    const client = await session(sim, appId, { url: `${url()}/jwt`, identity: 'none', headers: { Authorization: `Bearer ${token}` } })
    await client.call('GetProgress', -1, [0])
    expect(sim.engine.calls.at(-1)).toMatchObject({ listener: 'proxy', user: 'INTERNAL\\sa_api' })
    const cookie = cookieOf(client.upgradeHeaders, 'X-Qlik-Session-jwt') as string
    expect(cookie).toMatch(/^X-Qlik-Session-jwt=[\w-]+$/)
    expect(sim.proxy.sessionsCreated.jwt).toBe(sessions + 1)
    await client.close()
    expect((await proxyCall(sim, '/jwt/qrs/about', { headers: { Cookie: cookie } })).status).toBe(200)
    const bad = await refused(`/jwt/app/${appId}`, { url: url(), identity: 'none', headers: { Authorization: 'Bearer not.a.token' } })
    expect(bad).toMatchObject({ status: 401, body: 'Authentication failed: the token is malformed.' })
    expect(await refused(`/jwt/app/${appId}`, { url: url(), identity: 'none', headers: {} })).toMatchObject({ status: 401 })
  })

  it('header VP: the header opens it; its cookie alone opens the next one; neither: 401', async () => {
    const first = await session(sim, appId, { url: `${url()}/hdr`, identity: 'none', headers: { 'X-Qlik-HeaderAuth': 'CORP\\viewer' } })
    const cookie = cookieOf(first.upgradeHeaders, 'X-Qlik-Session-hdr') as string
    await first.close()
    const second = await session(sim, appId, { url: `${url()}/hdr`, identity: 'none', headers: { Cookie: cookie } })
    await second.call('GetProgress', -1, [0])
    expect(sim.engine.calls.at(-1)).toMatchObject({ listener: 'proxy', user: 'CORP\\viewer' })
    expect(second.upgradeHeaders['set-cookie']).toBeUndefined()
    await second.close()
    expect(await refused(`/hdr/app/${appId}`, { url: url(), identity: 'none', headers: {} })).toMatchObject({ status: 401 })
    // An HTTP session of the same VP opens the engine too.
    const http = await proxyCall(sim, '/hdr/qrs/about', { headers: { 'X-Qlik-HeaderAuth': 'CORP\\svc_reload' } })
    const third = await session(sim, appId, { url: `${url()}/hdr`, identity: 'none', headers: { Cookie: cookieFrom(http, 'X-Qlik-Session-hdr') as string } })
    await third.close()
  })

  it('an inactive user through a VP: 403; the forms VP: the redirect to its login', async () => {
    expect(await refused(`/hdr/app/${appId}`, { url: url(), identity: 'none', headers: { 'X-Qlik-HeaderAuth': 'CORP\\retired' } })).toMatchObject({ status: 403 })
    const forms = await refused(`/app/${appId}`, { url: url(), identity: 'none', headers: {} })
    expect(forms.status).toBe(302)
    expect(forms.headers.location).toMatch(/\/internal_forms_authentication\/\?targetId=/)
    expect((await refused(`/hdr/qrs/about`, { url: url(), identity: 'none', headers: { 'X-Qlik-HeaderAuth': 'CORP\\svc_reload' } })).status).toBe(404)
  })
})

describe("the session user's rights on the app (users[].appRights)", () => {
  const as = (userId: string): ConnectOptions => ({ headers: { 'X-Qlik-User': `UserDirectory=CORP; UserId=${userId}` } })

  it('no rights: OpenDoc answers 5 access denied', async () => {
    const client = await session(sim, appId, as('outsider'))
    expect((await client.call('OpenDoc', -1, [appId])).error).toEqual({ code: 5, parameter: appId, message: 'Access denied' })
    await client.close()
  })

  it('read only: open and read, but DoReloadEx and DoSave answer 5; the layout says read-only', async () => {
    const { client, doc } = await openApp(sim, appId, as('viewer'))
    const reloads = sim.engine.reloadCount(appId)
    expect((await client.call('DoReloadEx', doc, [{ qPartial: true }])).error).toMatchObject({ code: 5 })
    expect(sim.engine.reloadCount(appId)).toBe(reloads)
    expect((await client.call('DoSave', doc, [])).error).toMatchObject({ code: 5 })
    expect((await client.call('GetAppLayout', doc, [])).result.qLayout.qReadOnly).toBe(true)
    await client.close()
  })

  it('read and reload: the reload runs, DoSave answers 5 (saving needs update)', async () => {
    const { client, doc } = await openApp(sim, appId, as('reloader'))
    const saves = sim.engine.saveCount(appId)
    expect((await client.call('DoReloadEx', doc, [])).result.qResult.qSuccess).toBe(true)
    expect((await client.call('DoSave', doc, [])).error).toMatchObject({ code: 5 })
    expect(sim.engine.saveCount(appId)).toBe(saves)
    await client.close()
  })

  it('the rights follow the user whichever way in: the header VP as CORP\\viewer', async () => {
    const { client, doc } = await openApp(sim, appId, { url: `${proxyWss(sim)}/hdr`, identity: 'none', headers: { 'X-Qlik-HeaderAuth': 'CORP\\viewer' } })
    expect((await client.call('DoReloadEx', doc, [])).error).toMatchObject({ code: 5 })
    await client.close()
  })
})
