import { describe, expect, it } from '@jest/globals'
import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { AUTH_TYPES, createAuthenticator, readAuth } from '../../src/auth/index.js'
import { loginError, loginModule, loginRedirectError, sameOrigin, throwIfBusy } from '../../src/auth/login.js'
import { credentialsAuthenticator, lostAfterFailover, ProxySession } from '../../src/auth/session.js'
import { AuthError, InputError, QrsError } from '../../src/util/errors.js'
import { answer, renewContext, site } from '../helpers/auth.js'
import { testCertificates } from '../helpers/certs.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

/** The auth inputs of one step, trimmed as the settings reader hands them over; `secrets` collects what is masked. */
function inputs(values: Record<string, string>) {
  const secrets: string[] = []
  return { secrets, get: (name: string) => (values[name] ?? '').trim(), raw: (name: string) => values[name] ?? '' }
}

describe('the auth registry: one method per auth-type', () => {
  it('lists the types in the order messages name them', () => {
    expect(AUTH_TYPES).toEqual(['ntlm', 'jwt', 'certificate', 'header'])
  })

  it('each type reads its own inputs into its own settings, collecting its secrets', () => {
    const ntlm = inputs({ username: 'CORP\\svc_reload', password: ' pw with spaces ' })
    expect(readAuth('ntlm', ntlm)).toEqual({ type: 'ntlm', credentials: { domain: 'CORP', user: 'svc_reload', password: ' pw with spaces ' } })
    expect(ntlm.secrets).toEqual([' pw with spaces '])

    const header = inputs({ 'header-name': 'X-Qlik-HeaderAuth', 'header-value': 'svc_header_user' })
    expect(readAuth('header', header)).toEqual({ type: 'header', name: 'X-Qlik-HeaderAuth', value: 'svc_header_user' })
    expect(header.secrets).toEqual(['svc_header_user'])

    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const jwt = inputs({
      'jwt-private-key': pem,
      'jwt-algorithm': 'rs512',
      'jwt-user-id': 'u',
      'jwt-user-directory': 'D',
      'jwt-user-id-claim': 'uid',
      'jwt-user-directory-claim': 'dir'
    })
    expect(readAuth('jwt', jwt)).toMatchObject({ type: 'jwt', source: { kind: 'mint', algorithm: 'RS512', userIdClaim: 'uid', userDirectoryClaim: 'dir', lifetimeSeconds: 300 } })
    expect(jwt.secrets.length).toBeGreaterThan(10)

    const certs = testCertificates()
    const certificate = inputs({ 'client-cert': certs.clientCert, 'client-key': certs.clientKey, 'qlik-user': 'UserId=sa_api; UserDirectory=INTERNAL' })
    expect(readAuth('certificate', certificate)).toMatchObject({
      type: 'certificate',
      qlikUser: 'UserId=sa_api; UserDirectory=INTERNAL',
      certificate: { cert: readFileSync(certs.clientCert, 'utf8') }
    })
  })

  it("a type's reader names the input at fault", () => {
    expect(() => readAuth('ntlm', inputs({ username: 'CORP\\svc' }))).toThrow(new InputError('password', "is required with auth-type 'ntlm'."))
    expect(() => readAuth('ntlm', inputs({ username: 'CORP\\two words', password: 'p' }))).toThrow(/^Input 'username': 'CORP\\two words' is not DOMAIN\\user/)
    expect(() => readAuth('header', inputs({ 'header-name': 'Bad Name', 'header-value': 'x' }))).toThrow("Input 'header-name': 'Bad Name' is not a valid HTTP header name.")
    expect(() => readAuth('jwt', inputs({ jwt: 'a.b.c', 'jwt-private-key': 'k' }))).toThrow("Input 'jwt': set either jwt or jwt-private-key, not both.")
    expect(() => readAuth('certificate', inputs({ 'client-cert': 'x' }))).toThrow(/^Input 'client-key': is required with auth-type 'certificate'/)
  })

  it('creates the strategy of the settings’ type', async () => {
    const header = await createAuthenticator({ type: 'header', name: 'X-H', value: 'svc' }, site)
    expect(header.description).toBe('header X-H')
    expect(header.prepare().headers).toEqual({ 'X-H': 'svc' })
    const ntlm = await createAuthenticator({ type: 'ntlm', credentials: { domain: 'CORP', user: 'svc', password: 'p' } }, site)
    expect(ntlm.description).toBe('Windows/NTLM (CORP\\svc)')
    const jwt = await createAuthenticator({ type: 'jwt', source: { kind: 'static', token: 'a.b.c', user: '' } }, site)
    expect(jwt.prepare().headers).toEqual({ Authorization: 'Bearer a.b.c' })
    const certificate = await createAuthenticator({ type: 'certificate', certificate: { cert: 'C', key: 'K' }, qlikUser: 'UserDirectory=X; UserId=y' }, site)
    expect(certificate.clientTls).toEqual({ cert: 'C', key: 'K', passphrase: undefined })
  })
})

describe('login: what a redirect to the proxy’s login means', () => {
  const windows = answer(302, { location: 'https://qlik.corp.example/ntlm/internal_windows_authentication/?targetId=1' })
  const forms = answer(302, { location: '/form/internal_forms_authentication/?targetId=1' })

  it('tells the login modules apart, and other answers from them', () => {
    expect(loginModule(windows)).toBe('windows')
    expect(loginModule(forms)).toBe('forms')
    expect(loginModule(answer(302, { location: '/elsewhere' }))).toBeUndefined()
    expect(loginModule(answer(200, { location: '/internal_windows_authentication' }))).toBeUndefined()
    expect(loginRedirectError(answer(302, { location: '/elsewhere' }), 'jwt', site)).toBeUndefined()
  })

  it('explains each: the forms page (user agent or prefix), Windows for another type, anything else with the query cut', () => {
    expect(loginError(forms, 'ntlm', site).message).toMatch(/forms login page .* user agent 'qlik-sense-reload \(Windows\)' .* \(e\.g\. https:\/\/qlik\.corp\.example\/ntlm\)/)
    expect(loginError(windows, 'jwt', site).message).toBe(
      "The proxy wants Windows authentication, but auth-type is 'jwt': url probably lacks the virtual proxy prefix of the jwt virtual proxy (e.g. https://qlik.corp.example/jwt)."
    )
    expect(loginError(windows, 'header', site).message).toMatch(/\(e\.g\. https:\/\/qlik\.corp\.example\/hdr\)/)
    const other = loginError(answer(302, { location: '/ntlm/qrs/about?qlikTicket=SECRET' }), 'ntlm', site)
    expect(other).toBeInstanceOf(AuthError)
    expect(other.message).toBe('Signing in failed: the proxy answered 302 redirecting to /ntlm/qrs/about?….')
    expect(loginError(answer(401), 'ntlm', site).message).toBe('Signing in failed: the proxy answered 401.')
  })

  it('follows redirects on the configured host only', () => {
    expect(sameOrigin('/ntlm/x', site).href).toBe('https://qlik.corp.example/ntlm/x')
    expect(() => sameOrigin('https://evil.example/x', site)).toThrow(
      'The proxy redirected to https://evil.example, not https://qlik.corp.example: set url to the host name the proxy uses (and tls-server-name if needed).'
    )
  })

  it('a sign-in leg answered "later" fails as that QRS answer, with its Retry-After, so the request is retried', () => {
    const url = new URL('https://qlik.corp.example/ntlm/internal_windows_authentication/')
    expect(() => throwIfBusy(answer(302), url)).not.toThrow()
    expect(() => throwIfBusy(answer(404), url)).not.toThrow()
    let busy: unknown
    try {
      throwIfBusy(answer(503, { 'retry-after': '7' }, 'Service Unavailable'), url)
    } catch (error) {
      busy = error
    }
    expect(busy).toBeInstanceOf(QrsError)
    expect(busy).toMatchObject({ status: 503, retryAfterMs: 7_000, path: '/ntlm/internal_windows_authentication/' })
    expect(() => throwIfBusy(answer(429), url)).toThrow(/answered 429/)
  })
})

describe('the proxy session of the credentials strategies (certificate, JWT, header)', () => {
  it('keeps every cookie the proxy sets, masks the session value, and clears on demand', () => {
    const log = new FakeToolkit()
    const session = new ProxySession(log)
    expect(session.active).toBe(false)
    session.receive(answer(200, { 'set-cookie': ['X-Qlik-Session-hdr=0123456789abcdef0123; Path=/', 'ROUTEID=.1'] }))
    expect(session.active).toBe(true)
    expect(session.names()).toEqual(['X-Qlik-Session-hdr', 'ROUTEID'])
    expect(session.header()).toEqual({ Cookie: 'X-Qlik-Session-hdr=0123456789abcdef0123; ROUTEID=.1' })
    expect(log.secrets).toEqual(['0123456789abcdef0123'])
    session.clear()
    expect(session.header()).toEqual({})
  })

  it('an expired session is a 401 or a redirect sent with the cookie, or the failover 500; without a cookie it is the verdict', async () => {
    const auth = credentialsAuthenticator(
      { type: 'header', description: 'header X', credentials: (session): Record<string, string> => (session ? {} : { X: 'svc' }), refusalHint: () => 'hint' },
      site
    )
    expect(auth.expired(answer(401), false)).toBe(false)
    expect(auth.expired(answer(401), true)).toBe(true)
    expect(auth.expired(answer(302, { location: '/x' }), true)).toBe(true)
    expect(auth.expired(answer(500, {}, 'Authentication error'), true)).toBe(true)
    expect(lostAfterFailover(answer(500, {}, 'Authentication error'), false)).toBe(false)
    auth.receive(answer(200, { 'set-cookie': ['S=1'] }))
    expect(auth.prepare()).toEqual({ headers: { Cookie: 'S=1' }, session: true })
    // Renewing drops the cookie: the next request carries the credentials again.
    expect(await auth.renew(renewContext())).toBeUndefined()
    expect(auth.prepare()).toEqual({ headers: { X: 'svc' }, session: false })
    expect(auth.refusalHint(403, '')).toBe('hint')
    expect(auth.htmlHint).toMatch(/probably a login form/)
    expect(auth.clientTls).toEqual({})
  })
})
