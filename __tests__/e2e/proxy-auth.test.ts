import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import jwt from 'jsonwebtoken'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { sambaAvailable, sambaUnavailableReason, sambaVerifier } from '../../simulator/src/index.js'
import { runAction, type ActionRun } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { IDS, WINDOWS, testSite } from '../helpers/site.js'
import { noteSkipped } from '../../simulator/__tests__/skipped.js'

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ scenario: testSite(), certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())

function run(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  return runAction({ 'ca-cert': sim.certs.ca, 'max-poll-interval': '1s', 'task-id': IDS.ok, ...inputs }, { env })
}

const jwtRequests = (since: number) => sim.requests.filter(r => r.listener === 'proxy' && r.time >= since && r.path.startsWith('/jwt/'))
const errorLine = (run: ActionRun) => run.stdout.split('\n').find(line => line.startsWith('::error')) ?? ''
const visible = (run: ActionRun) =>
  [
    run.stdout
      .split('\n')
      .filter(l => !l.startsWith('::add-mask::'))
      .join('\n'),
    run.stderr,
    JSON.stringify(run.outputs),
    run.summary
  ].join('\n')

interface Verifier {
  name: string
  account: { domain: string; user: string; password: string }
  start: () => Promise<{ sim: Simulator; log?: string }>
}

const samba = sambaAvailable()
if (!samba && process.env.QSR_REQUIRE_SAMBA) throw new Error(`QSR_REQUIRE_SAMBA is set but Samba is not ready: ${sambaUnavailableReason()}`)

const verifiers: Verifier[] = [
  { name: 'built-in NTLMv2 verifier', account: WINDOWS, start: async () => ({ sim }) },
  ...(samba
    ? [
        {
          name: 'Samba (ntlm_auth + winbindd)',
          account: { domain: samba.domain, user: samba.user, password: samba.password },
          start: async () => ({
            sim: await startSimulator({ scenario: testSite(), certsDir: testCertificates().dir, quiet: true, ntlmVerifier: sambaVerifier({ conf: samba.conf }) }),
            log: samba.log
          })
        }
      ]
    : [])
]
if (!samba) noteSkipped('__tests__/e2e/proxy-auth.test.ts (NTLM verified by Samba)', `${sambaUnavailableReason()} (run bash simulator/samba/setup.sh as root)`)

describe.each(verifiers)('NTLM through a virtual proxy, verified by $name', verifier => {
  let target: Simulator
  let sambaLog: string | undefined
  beforeAll(async () => {
    ;({ sim: target, log: sambaLog } = await verifier.start())
  })
  afterAll(async () => {
    if (target !== sim) await target.close()
  })

  const ntlm = (prefix = 'ntlm', extra: Record<string, string> = {}) => ({
    url: `${target.proxyUrl}/${prefix}`,
    'auth-type': 'ntlm',
    username: `${verifier.account.domain}\\${verifier.account.user}`,
    password: verifier.account.password,
    ...extra
  })
  const proxyRequests = (prefix: string, since = 0) => target.requests.filter(r => r.listener === 'proxy' && r.time >= since && r.path.startsWith(`/${prefix}/`))
  it('signs in with exactly one handshake and reuses the session cookie for every call', async () => {
    const since = Date.now()
    const handshakes = target.proxy.ntlmHandshakes.ntlm ?? 0
    const sessions = target.proxy.sessionsCreated.ntlm ?? 0
    const logStart = sambaLog && existsSync(sambaLog) ? statSync(sambaLog).size : 0
    const result = await run(ntlm())
    expect(errorLine(result)).toBe('')
    expect(result.code).toBe(0)
    expect(result.outputs.status).toBe('FinishedSuccess')
    expect(target.proxy.ntlmHandshakes.ntlm).toBe(handshakes + 1)
    expect(target.proxy.sessionsCreated.ntlm).toBe(sessions + 1)
    const requests = proxyRequests('ntlm', since)
    expect(requests[0].method).toBe('GET')
    // The first GET is redirected to the login; redeeming the ticket replays it and is its answer: not asked a third time.
    expect(requests.filter(r => r.path === '/ntlm/qrs/reloadtask/full')).toHaveLength(2)
    // Every leg carries the user agent and the xrfkey header.
    for (const r of requests) {
      expect(r.headers['user-agent']).toMatch(/Windows/)
      expect(r.headers['x-qlik-xrfkey']).toMatch(/^[0-9A-Za-z]{16}$/)
    }
    const qrs = requests.filter(r => r.path.startsWith('/ntlm/qrs/') && (r.status === 200 || r.status === 201))
    const cookies = new Set(qrs.map(r => r.headers.cookie).filter(Boolean))
    expect(cookies.size).toBe(1)
    expect(requests.filter(r => r.method === 'POST').every(r => String(r.headers.cookie).includes('X-Qlik-Session-ntlm='))).toBe(true)
    expect(visible(result)).not.toContain(verifier.account.password)
    const cookieValue = String([...cookies][0]).split('=')[1]
    expect(visible(result)).not.toContain(cookieValue)
    if (sambaLog) {
      // The verdict came from Samba, and Samba says the client spoke NTLMv2.
      const written = readFileSync(sambaLog).subarray(logStart).toString('utf8')
      expect(written).toContain(`[${verifier.account.domain}]\\[${verifier.account.user}]`)
      expect(written).toMatch(/with \[NTLMv2\] status \[NT_STATUS_OK\]/)
    }
  })

  // A standalone Samba looks a UPN up as a plain account name (see simulator/samba/README.md); AD maps it.
  ;(verifier.name.startsWith('built-in') ? it : it.skip)('accepts user@domain and takes the cookie from the Type3 answer where the proxy sets it there', async () => {
    const result = await run(ntlm('win2', { username: `${WINDOWS.user}@corp.example` }))
    expect(errorLine(result)).toBe('')
    expect(result.outputs.status).toBe('FinishedSuccess')
  })

  it('fails on a wrong password, saying what the server answered and what to check, without the password', async () => {
    const result = await run(ntlm('ntlm', { password: 'Wrong-Pass-9' }))
    expect(result.code).toBe(1)
    expect(errorLine(result)).toContain(`refused the Windows sign-in of ${verifier.account.domain}\\${verifier.account.user} (401 after the NTLM handshake). Check the password`)
    expect(visible(result)).not.toContain('Wrong-Pass-9')
  })

  it('fails on an unknown user', async () => {
    const result = await run(ntlm('ntlm', { username: `${verifier.account.domain}\\nobody` }))
    expect(result.code).toBe(1)
    expect(errorLine(result)).toContain(`refused the Windows sign-in of ${verifier.account.domain}\\nobody`)
  })

  it('explains the forms login when the user agent lacks the Windows pattern', async () => {
    const result = await run(ntlm('ntlm', { 'user-agent': 'qlik-sense-reload' }))
    expect(result.code).toBe(1)
    expect(errorLine(result)).toMatch(/forms login page.*user agent 'qlik-sense-reload' lacks the virtual proxy's Windows authentication pattern/)
  })

  it('explains a url without the virtual proxy prefix', async () => {
    const before = target.startCount()
    const result = await run({ ...ntlm(), url: target.proxyUrl })
    expect(result.code).toBe(1)
    expect(errorLine(result)).toMatch(/url is missing the virtual proxy prefix/)
    expect(target.startCount()).toBe(before)
  })

  it('refuses a server that would need NTLMv1', async () => {
    const result = await run(ntlm('ntlmv1'))
    expect(result.code).toBe(1)
    expect(errorLine(result)).toMatch(/offers only NTLMv1.*refused/)
  })

  it('renews an expired session once, mid-wait, without starting the reload again', async () => {
    const handshakes = target.proxy.ntlmHandshakes.ntlm ?? 0
    const starts = target.startCount(IDS.long)
    const since = Date.now()
    const pending = run(ntlm('ntlm', { 'task-id': IDS.long }))
    // Expire the proxy session once the reload is running.
    for (let i = 0; i < 100 && !target.requests.some(r => r.time >= since && r.method === 'POST' && r.listener === 'proxy'); i++) {
      await new Promise(done => setTimeout(done, 100))
    }
    await new Promise(done => setTimeout(done, 1_000))
    target.expireSessions('ntlm')
    const result = await pending
    expect(errorLine(result)).toBe('')
    expect(result.outputs.status).toBe('FinishedSuccess')
    expect(result.stdout).toMatch(/session expired: signing in again/)
    expect(target.proxy.ntlmHandshakes.ntlm).toBe(handshakes + 2)
    expect(target.startCount(IDS.long)).toBe(starts + 1)
  })
})

describe('JWT through a virtual proxy', () => {
  const sign = (claims: object, key = readFileSync(sim.certs.jwtKey, 'utf8'), options: jwt.SignOptions = { expiresIn: 300 }) =>
    jwt.sign(claims, key, { algorithm: 'RS256', ...options })
  const jwtInputs = (extra: Record<string, string>) => ({ url: `${sim.proxyUrl}/jwt`, 'auth-type': 'jwt', ...extra })

  it('signs in with a given token and reuses the session cookie', async () => {
    const sessions = sim.proxy.sessionsCreated.jwt ?? 0
    const since = Date.now()
    const token = sign({ userId: 'svc_reload', userDirectory: 'CORP' })
    const result = await run(jwtInputs({ jwt: token }))
    expect(errorLine(result)).toBe('')
    expect(result.outputs.status).toBe('FinishedSuccess')
    expect(sim.proxy.sessionsCreated.jwt).toBe(sessions + 1)
    const requests = jwtRequests(since)
    expect(requests.filter(r => r.headers.authorization)).toHaveLength(1)
    expect(requests.slice(1).every(r => String(r.headers.cookie).includes('X-Qlik-Session-jwt='))).toBe(true)
    expect(visible(result)).not.toContain(token)
  })

  it('mints a token on the runner (RS512) from jwt-private-key', async () => {
    const result = await run(jwtInputs({ 'jwt-private-key': sim.certs.jwtKey, 'jwt-user-id': 'svc_reload', 'jwt-user-directory': 'CORP', 'jwt-algorithm': 'RS512' }))
    expect(errorLine(result)).toBe('')
    expect(result.outputs.status).toBe('FinishedSuccess')
    const keyLine = readFileSync(sim.certs.jwtKey, 'utf8').split('\n')[1]
    expect(visible(result)).not.toContain(keyLine)
  })

  it('rejects an expired token before any request', async () => {
    const since = Date.now()
    const token = sign({ userId: 'svc_reload', userDirectory: 'CORP', exp: Math.floor(Date.now() / 1000) - 60 }, undefined, {})
    const result = await run(jwtInputs({ jwt: token }))
    expect(result.code).toBe(1)
    expect(errorLine(result)).toMatch(/Input 'jwt': expired at /)
    expect(jwtRequests(since)).toHaveLength(0)
  })

  it('explains a token the proxy refuses (signed with another key)', async () => {
    const otherKey = readFileSync(sim.certs.clientKey, 'utf8')
    const result = await run(jwtInputs({ jwt: sign({ userId: 'svc_reload', userDirectory: 'CORP' }, otherKey) }))
    expect(result.code).toBe(1)
    expect(errorLine(result)).toMatch(/answered 401.*The proxy refused the JWT/)
  })

  it('explains claim names the virtual proxy does not use', async () => {
    const result = await run(
      jwtInputs({ 'jwt-private-key': sim.certs.jwtKey, 'jwt-user-id': 'svc_reload', 'jwt-user-directory': 'CORP', 'jwt-user-id-claim': 'uid', 'jwt-user-directory-claim': 'dir' })
    )
    expect(result.code).toBe(1)
    expect(errorLine(result)).toMatch(/answered 401.*claim names \(now 'uid' and 'dir'/)
  })

  it('explains a url that reaches the forms virtual proxy instead', async () => {
    const result = await run(jwtInputs({ url: sim.proxyUrl, jwt: sign({ userId: 'svc_reload', userDirectory: 'CORP' }) }))
    expect(result.code).toBe(1)
    expect(errorLine(result)).toMatch(/forms login page|prefix/)
  })
})

describe('header auth through a virtual proxy', () => {
  it('signs in with the header and reuses the session', async () => {
    const sessions = sim.proxy.sessionsCreated.hdr ?? 0
    const since = Date.now()
    const result = await run({ url: `${sim.proxyUrl}/hdr`, 'auth-type': 'header', 'header-name': 'X-Qlik-HeaderAuth', 'header-value': 'svc_reload' })
    expect(errorLine(result)).toBe('')
    expect(result.outputs.status).toBe('FinishedSuccess')
    expect(sim.proxy.sessionsCreated.hdr).toBe(sessions + 1)
    const requests = sim.requests.filter(r => r.listener === 'proxy' && r.time >= since && r.path.startsWith('/hdr/'))
    expect(requests.filter(r => r.headers['x-qlik-headerauth'])).toHaveLength(1)
  })

  it('renews an expired header session once, mid-wait, without starting the reload again', async () => {
    const sessions = sim.proxy.sessionsCreated.hdr ?? 0
    const starts = sim.startCount(IDS.long)
    sim.faults.add({ method: 'GET', path: /^\/qrs\/executionsession\//, after: 1, times: 1, action: { kind: 'drop-sessions' } })
    const result = await run({ url: `${sim.proxyUrl}/hdr`, 'auth-type': 'header', 'header-name': 'X-Qlik-HeaderAuth', 'header-value': 'svc_reload', 'task-id': IDS.long })
    sim.faults.clear()
    expect(errorLine(result)).toBe('')
    expect(result.outputs.status).toBe('FinishedSuccess')
    expect(sim.proxy.sessionsCreated.hdr).toBe(sessions + 2)
    expect(sim.startCount(IDS.long)).toBe(starts + 1)
  }, 30_000)

  it('explains a header the proxy does not use', async () => {
    const result = await run({ url: `${sim.proxyUrl}/hdr`, 'auth-type': 'header', 'header-name': 'X-Other', 'header-value': 'svc_reload' })
    expect(result.code).toBe(1)
    expect(errorLine(result)).toMatch(/answered 401.*did not accept header auth: header-name must be/)
  })
})
