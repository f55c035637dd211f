import { afterEach, describe, expect, it } from '@jest/globals'
import { certificateAuth } from '../../src/auth/certificate.js'
import { headerAuth } from '../../src/auth/header.js'
import { jwtAuth } from '../../src/auth/jwt.js'
import { ntlmAuth } from '../../src/auth/ntlm.js'
import { answer, renewContext, site } from '../helpers/auth.js'

const cookie = (value: string) => answer(200, { 'set-cookie': [`X-Qlik-Session=${value}; Path=/; HttpOnly`] })
const windowsLogin = answer(302, { location: 'https://qlik.corp.example/ntlm/internal_windows_authentication/?targetId=t1' })
const formsLogin = answer(302, { location: 'https://qlik.corp.example/internal_forms_authentication/?targetId=t1' })
const failover = answer(500, {}, 'Authentication error: Restart the browser.')

describe('certificate authenticator', () => {
  const auth = certificateAuth({ cert: 'CERT', key: 'KEY', passphrase: 'pw' }, 'UserDirectory=INTERNAL; UserId=sa_api', site)

  it('puts the client certificate on the connection and X-Qlik-User on every request, with the cookie once set', async () => {
    expect(auth.clientTls).toEqual({ cert: 'CERT', key: 'KEY', passphrase: 'pw' })
    expect(auth.prepare()).toEqual({ headers: { 'X-Qlik-User': 'UserDirectory=INTERNAL; UserId=sa_api' }, session: false })
    auth.receive(cookie('c1'))
    expect(auth.prepare()).toEqual({ headers: { 'X-Qlik-User': 'UserDirectory=INTERNAL; UserId=sa_api', Cookie: 'X-Qlik-Session=c1' }, session: true })
    expect(await auth.renew(renewContext())).toBeUndefined()
    expect(auth.prepare().session).toBe(false)
  })

  it('explains an HTML page and a login redirect for port 4242', () => {
    expect(auth.htmlHint).toMatch(/port 4242/)
    expect(auth.redirectError(windowsLogin)?.message).toMatch(/auth-type is 'certificate'/)
    expect(auth.redirectError(answer(302, { location: '/elsewhere' }))).toBeUndefined()
    expect(auth.refusalHint(403, '')).toMatch(/exported from this site's QMC/)
    expect(auth.refusalHint(404, '')).toBeUndefined()
  })
})

describe('header authenticator', () => {
  it('sends the header until the proxy sets its cookie, then the cookie alone; an expired session sends the header again', async () => {
    const auth = headerAuth('X-Qlik-HeaderAuth', 'svc_reload', site)
    expect(auth.prepare()).toEqual({ headers: { 'X-Qlik-HeaderAuth': 'svc_reload' }, session: false })
    auth.receive(cookie('h1'))
    expect(auth.prepare()).toEqual({ headers: { Cookie: 'X-Qlik-Session=h1' }, session: true })
    // Without a session, a 401 is the verdict; with one, it is an expired session.
    expect(auth.expired(answer(401), false)).toBe(false)
    expect(auth.expired(answer(401), true)).toBe(true)
    expect(auth.expired(answer(302, { location: '/login' }), true)).toBe(true)
    expect(auth.expired(failover, true)).toBe(true)
    expect(auth.expired(failover, false)).toBe(false)
    expect(auth.expired(answer(403), true)).toBe(false)
    expect(await auth.renew(renewContext({ answer: answer(401) }))).toBeUndefined()
    expect(auth.prepare()).toEqual({ headers: { 'X-Qlik-HeaderAuth': 'svc_reload' }, session: false })
    expect(auth.refusalHint(401, '')).toMatch(/now 'X-Qlik-HeaderAuth'/)
  })

  it('explains a redirect to the Windows login as a missing virtual proxy prefix', () => {
    expect(headerAuth('X', 'y', site).redirectError(windowsLogin)?.message).toMatch(/auth-type is 'header'.*\/hdr\)/)
  })
})

describe('JWT authenticator', () => {
  it('sends the given token until a session exists', () => {
    const auth = jwtAuth({ kind: 'static', token: 'a.b.c', user: '' }, site)
    expect(auth.description).toBe('JWT (given token)')
    expect(auth.prepare().headers).toEqual({ Authorization: 'Bearer a.b.c' })
    auth.receive(cookie('j1'))
    expect(auth.prepare().headers).toEqual({ Cookie: 'X-Qlik-Session=j1' })
    expect(auth.redirectError(windowsLogin)?.message).toMatch(/auth-type is 'jwt'.*\/jwt\)/)
    expect(auth.htmlHint).toMatch(/virtual proxy prefix/)
  })
})

describe('NTLM authenticator', () => {
  const credentials = { user: 'svc_reload', domain: 'CORP', password: 'pw' }
  afterEach(() => {
    delete process.env.HTTPS_PROXY
    delete process.env.https_proxy
  })

  it('takes any redirect to a login module as "sign in", with or without a session', () => {
    const auth = ntlmAuth(credentials, site)
    expect(auth.prepare()).toEqual({ headers: {}, session: false })
    expect(auth.expired(windowsLogin, false)).toBe(true)
    expect(auth.expired(formsLogin, false)).toBe(true)
    expect(auth.expired(answer(401), true)).toBe(false)
    expect(auth.expired(answer(302, { location: '/elsewhere' }), true)).toBe(false)
    expect(auth.expired(failover, true)).toBe(true)
    expect(auth.refusalHint(401, '')).toMatch(/Windows sign-in of CORP\\svc_reload refused/)
  })

  it('refuses the forms login with the user agent named', async () => {
    const auth = ntlmAuth(credentials, site)
    await expect(auth.renew(renewContext({ answer: formsLogin }))).rejects.toThrow(
      /user agent 'qlik-sense-reload \(Windows\)' lacks the virtual proxy's Windows authentication pattern/
    )
  })

  it('starts the sign-in of a POST with a GET, and refuses a forward proxy before any NTLM message', async () => {
    process.env.HTTPS_PROXY = 'http://proxy.corp.example:3128'
    const auth = ntlmAuth(credentials, site)
    const gets: string[] = []
    const context = renewContext({
      method: 'POST',
      answer: windowsLogin,
      get: async path => {
        gets.push(path)
        return windowsLogin
      }
    })
    await expect(auth.renew(context)).rejects.toThrow(/NTLM cannot go through the forward proxy proxy\.corp\.example:3128.*NO_PROXY: qlik\.corp\.example/)
    expect(gets).toEqual(['/qrs/about'])
  })

  it('follows a login redirect only on the configured host', async () => {
    const auth = ntlmAuth(credentials, site)
    const elsewhere = answer(302, { location: 'https://evil.example/internal_windows_authentication/?targetId=t1' })
    await expect(auth.renew(renewContext({ answer: elsewhere }))).rejects.toThrow(/redirected to https:\/\/evil\.example, not https:\/\/qlik\.corp\.example/)
  })
})
