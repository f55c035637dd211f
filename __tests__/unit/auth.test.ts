import { describe, expect, it } from '@jest/globals'
import jwt from 'jsonwebtoken'
import { generateKeyPairSync } from 'node:crypto'
import { jwtAuth, jwtSigner, type JwtSource } from '../../src/auth/jwt.js'
import { parseWindowsUser } from '../../src/auth/ntlm.js'
import { CookieJar } from '../../src/qrs/cookies.js'
import { answer, renewContext, site } from '../helpers/auth.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

describe('parseWindowsUser', () => {
  it('splits DOMAIN\\user and keeps UPNs and bare users whole with an empty domain', () => {
    expect(parseWindowsUser('CORP\\svc_reload')).toEqual({ domain: 'CORP', user: 'svc_reload' })
    expect(parseWindowsUser('svc_reload@corp.example')).toEqual({ domain: '', user: 'svc_reload@corp.example' })
    expect(parseWindowsUser('svc_reload')).toEqual({ domain: '', user: 'svc_reload' })
  })
})

describe('CookieJar', () => {
  it('keeps whatever cookies the proxy sets and sends them back', () => {
    const jar = new CookieJar(new FakeToolkit())
    expect(jar.header()).toEqual({})
    jar.take(['QlikSessionCustom=abc123; Path=/; HttpOnly; Secure', 'Other=1'])
    expect(jar.header()).toEqual({ Cookie: 'QlikSessionCustom=abc123; Other=1' })
    jar.take(['QlikSessionCustom=def; Path=/'])
    expect(jar.header()).toEqual({ Cookie: 'QlikSessionCustom=def; Other=1' })
    jar.take(['Other=; Max-Age=0'])
    expect(jar.names()).toEqual(['QlikSessionCustom'])
    jar.clear()
    expect(jar.empty).toBe(true)
  })
})

describe('jwtAuth', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const source: JwtSource = {
    kind: 'mint',
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    algorithm: 'RS384',
    userId: 'svc_reload',
    userDirectory: 'CORP',
    userIdClaim: 'uid',
    userDirectoryClaim: 'dir',
    audience: 'qlik.corp.example',
    lifetimeSeconds: 300
  }

  it('mints a short-lived token with the configured claim names, and only until a session exists', async () => {
    let now = Date.parse('2026-11-28T10:00:00Z')
    const auth = jwtAuth(source, site, await jwtSigner(), () => now)
    const first = auth.prepare().headers.Authorization.replace('Bearer ', '')
    const claims = jwt.verify(first, publicKey, { algorithms: ['RS384'], audience: 'qlik.corp.example', clockTimestamp: now / 1000 }) as Record<string, unknown>
    expect(claims).toMatchObject({ uid: 'svc_reload', dir: 'CORP' })
    expect((claims.exp as number) - (claims.iat as number)).toBe(300)
    auth.receive(answer(200, { 'set-cookie': ['X-Qlik-Session-jwt=s1; Path=/'] }))
    expect(auth.prepare()).toEqual({ headers: { Cookie: 'X-Qlik-Session-jwt=s1' }, session: true })
    now += 60_000
    expect(await auth.renew(renewContext())).toBeUndefined()
    expect(auth.prepare().headers.Authorization).toBe(`Bearer ${first}`)
    // Less than a minute left: mint again.
    now += 200_000
    expect(auth.prepare().headers.Authorization).not.toBe(`Bearer ${first}`)
  })

  it('explains a refusal with the claim names in use', () => {
    expect(jwtAuth(source, site).refusalHint(401, '')).toMatch(/claim names \(now 'uid' and 'dir'/)
  })
})
