/** JWT (doc section 4), header and forms VPs, VP routing. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import jwt from 'jsonwebtoken'
import type { Simulator } from '../src/index.js'
import { startSimulator } from '../src/index.js'
import { testCerts, testScenario } from './helpers.js'
import { cookieFrom, proxyCall, startProxy } from './proxy-helpers.js'

const certs = testCerts('proxy')
const key = readFileSync(certs.jwtKey)
const claims = { userId: 'sa_api', userDirectory: 'INTERNAL' }
let sim: Simulator

beforeAll(async () => {
  sim = await startProxy(certs)
})
afterAll(() => sim.close())

const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` })

describe('JWT VP', () => {
  it('RS256 and RS512 tokens: JSON and a session cookie', async () => {
    for (const algorithm of ['RS256', 'RS512'] as const) {
      const token = jwt.sign(claims, key, { algorithm, expiresIn: 60 })
      const res = await proxyCall(sim, '/jwt/qrs/about', { headers: bearer(token) })
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body)).toMatchObject({ schemaPath: 'About' })
      expect(String(res.headers['set-cookie'])).toMatch(/^X-Qlik-Session-jwt=[\w-]+; Path=\/; HttpOnly; Secure$/)
    }
  })

  it('the cookie is reused: no second session, even with a token next to it', async () => {
    const s = await startProxy(certs)
    try {
      const token = jwt.sign(claims, key, { algorithm: 'RS256', expiresIn: 60 })
      const first = await proxyCall(s, '/jwt/qrs/about', { headers: bearer(token) })
      const cookie = cookieFrom(first, 'X-Qlik-Session-jwt') as string
      const again = await proxyCall(s, '/jwt/qrs/about', { headers: { Cookie: cookie } })
      expect(again.status).toBe(200)
      expect(again.headers['set-cookie']).toBeUndefined()
      expect((await proxyCall(s, '/jwt/qrs/about', { headers: { Cookie: cookie, ...bearer(token) } })).status).toBe(200)
      expect(s.proxy.sessionsCreated.jwt).toBe(1)
      expect(s.proxy.activeSessions('jwt')).toBe(1)
      // An expired cookie and no token: 401 (not a redirect).
      s.expireSessions('jwt')
      expect((await proxyCall(s, '/jwt/qrs/about', { headers: { Cookie: cookie } })).status).toBe(401)
    } finally {
      await s.close()
    }
  })

  const refused: [string, () => string, RegExp][] = [
    ['expired', () => jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 }, key, { algorithm: 'RS256' }), /expired/],
    ['wrong claim names', () => jwt.sign({ user: 'sa_api', directory: 'INTERNAL' }, key, { algorithm: 'RS256', expiresIn: 60 }), /user id or user directory/],
    ['HS256', () => jwt.sign(claims, 'a-shared-secret', { algorithm: 'HS256', expiresIn: 60 }), /algorithm/],
    ['signed with another key', () => jwt.sign(claims, readFileSync(certs.otherClientKey), { algorithm: 'RS256', expiresIn: 60 }), /signature/],
    ['not a JWT', () => 'abc.def.ghi', /malformed/]
  ]
  for (const [what, token, message] of refused) {
    it(`${what}: 401 text without the token`, async () => {
      const t = token()
      const res = await proxyCall(sim, '/jwt/qrs/about', { headers: bearer(t) })
      expect(res.status).toBe(401)
      expect(res.headers['content-type']).toMatch(/^text\/plain/)
      expect(res.body).toMatch(message)
      expect(res.body).not.toContain(t)
      expect(res.headers['set-cookie']).toBeUndefined()
    })
  }

  it('no token and no cookie: 401', async () => {
    expect((await proxyCall(sim, '/jwt/qrs/about')).status).toBe(401)
  })

  it('an audience is checked only when the VP sets one', async () => {
    const scenario = testScenario()
    scenario.proxy = { virtualProxies: [{ prefix: 'jwt', auth: 'jwt', jwtAudience: 'qlik.api' }] }
    const s = await startSimulator({ scenario, certsDir: certs.dir, quiet: true })
    try {
      const wrong = jwt.sign(claims, key, { algorithm: 'RS256', expiresIn: 60, audience: 'other' })
      const right = jwt.sign(claims, key, { algorithm: 'RS256', expiresIn: 60, audience: 'qlik.api' })
      expect((await proxyCall(s, '/jwt/qrs/about', { headers: bearer(wrong) })).status).toBe(401)
      const ok = await proxyCall(s, '/jwt/qrs/about', { headers: bearer(right) })
      expect(ok.status).toBe(200)
      expect(cookieFrom(ok, 'X-Qlik-Session-jwt')).toBeDefined() // default cookie name X-Qlik-Session-<prefix>
    } finally {
      await s.close()
    }
  })
})

describe('header VP', () => {
  it('the header names the user; the cookie is honoured without it', async () => {
    const before = sim.proxy.sessionsCreated.hdr ?? 0
    const res = await proxyCall(sim, '/hdr/qrs/about', { headers: { 'X-Qlik-HeaderAuth': 'svc_reload' } })
    expect(res.status).toBe(200)
    const cookie = cookieFrom(res, 'X-Qlik-Session-hdr') as string
    expect(cookie).toBeDefined()
    expect((await proxyCall(sim, '/hdr/qrs/about', { headers: { Cookie: cookie } })).status).toBe(200)
    expect(sim.proxy.sessionsCreated.hdr).toBe(before + 1)
  })

  it('missing header and no session: 401', async () => {
    const res = await proxyCall(sim, '/hdr/qrs/about')
    expect(res.status).toBe(401)
    expect(res.headers['content-type']).toMatch(/^text\/plain/)
  })

  it('DIR\\user is split; an inactive user gets 403', async () => {
    const res = await proxyCall(sim, '/hdr/qrs/about', { headers: { 'X-Qlik-HeaderAuth': 'CORP\\retired' } })
    expect(res.status).toBe(403)
    expect(res.body).toBe('Your account is inactive. Contact your administrator to activate it.')
  })
})

describe('forms VP and routing', () => {
  it('the default VP ("") offers forms login only', async () => {
    const res = await proxyCall(sim, '/qrs/about', { headers: { 'User-Agent': 'Windows' } })
    expect(res.status).toBe(302)
    expect(String(res.headers.location)).toMatch(new RegExp(`^https://localhost:${sim.proxyPort}/internal_forms_authentication/\\?targetId=`))
    const form = await proxyCall(sim, String(res.headers.location), { xrfkey: false })
    expect(form.status).toBe(200)
    expect(form.headers['content-type']).toMatch(/^text\/html/)
  })

  it('no default VP: an unknown prefix is 404 text', async () => {
    const scenario = testScenario()
    scenario.proxy = { virtualProxies: [{ prefix: 'hdr', auth: 'header' }] }
    const s = await startSimulator({ scenario, certsDir: certs.dir, quiet: true })
    try {
      const res = await proxyCall(s, '/other/qrs/about')
      expect(res.status).toBe(404)
      expect(res.headers['content-type']).toMatch(/^text\/plain/)
      expect(s.requests.at(-1)?.listener).toBe('proxy')
    } finally {
      await s.close()
    }
  })

  it('without scenario.proxy there is no proxy listener', async () => {
    const s = await startSimulator({ scenario: testScenario(), certsDir: certs.dir, quiet: true })
    try {
      expect(s.proxyUrl).toBe('')
      expect(s.proxy.activeSessions('x')).toBe(0)
    } finally {
      await s.close()
    }
  })
})
