/** Fault injection (simulator/src/faults.ts) on both listeners. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import https from 'node:https'
import type { Scenario, Simulator } from '../src/index.js'
import { agent, appId, call, ids, qrsRequestOptions, sleep, start, testCerts, waitFor, waitForSessionEnd } from './helpers.js'
import { cookieFrom, ntlmCookie as signIn, proxyCall, proxyScenario, windowsUA } from './proxy-helpers.js'

const certs = testCerts('proxy')
const medium = 'a0a0a0a0-0000-4000-8000-000000000001'

function scenario(): Scenario {
  const s = proxyScenario()
  s.tasks = [...(s.tasks ?? []), { id: medium, name: 'Reload Medium', appId, runs: [{ attempts: [{ outcome: 7, durationMs: 800 }] }] }]
  return s
}

interface Raw {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A QRS call that also hands back the headers; rejects with the socket error on a reset or a timeout. */
function raw(sim: Simulator, method: string, path: string, opts: { timeoutMs?: number } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = https.request(qrsRequestOptions(sim, method, path, opts.timeoutMs), (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })))
    req.on('error', reject)
    req.end()
  })
}

const startPath = (id: string): string => `/qrs/task/${id}/start/synchronous`
const sessionsOf = (sim: Simulator, taskId: string) => sim.state.sessions.filter((s) => s.taskId === taskId)

let sim: Simulator
beforeAll(async () => {
  sim = await start(certs, { scenario: scenario() })
})
afterAll(() => sim.close())
beforeEach(() => sim.faults.clear())

describe('status faults', () => {
  it('a 503 burst of 3 on a start, then success: one real start', async () => {
    const before = sim.startCount(ids.success)
    sim.faults.add({ method: 'POST', path: startPath(ids.success), times: 3, action: { kind: 'status', status: 503 } })
    for (let i = 0; i < 3; i++) {
      const res = await call(sim, 'POST', startPath(ids.success))
      expect(res.status).toBe(503)
      expect(res.contentType).toBe('text/plain; charset=utf-8')
      expect(res.body).toBe('Service Unavailable')
    }
    expect(sim.startCount(ids.success)).toBe(before)
    const ok = await call(sim, 'POST', startPath(ids.success))
    expect(ok.status).toBe(201)
    expect(sim.startCount(ids.success)).toBe(before + 1)
    const recorded = await waitFor(async () => {
      const mine = sim.requests.filter((r) => r.path === startPath(ids.success)).slice(-4)
      return mine.at(-1)?.status === 201 ? mine : undefined
    })
    expect(recorded.map((r) => [r.status, r.fault])).toEqual([
      [503, 'status'],
      [503, 'status'],
      [503, 'status'],
      [201, undefined]
    ])
    const applied = sim.faults.applied()
    expect(applied).toHaveLength(3)
    expect(applied[0]).toMatchObject({ rule: 0, method: 'POST', path: startPath(ids.success), action: 'status', listener: 'qrs' })
    expect(applied[0].time).toBeGreaterThan(Date.now() - 10_000)
  })

  it('429 with Retry-After: 1', async () => {
    sim.faults.add({ path: '/qrs/about', action: { kind: 'status', status: 429, retryAfter: '1' } })
    const res = await raw(sim, 'GET', '/qrs/about')
    expect(res.status).toBe(429)
    expect(res.headers['retry-after']).toBe('1')
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(res.body).toBe('Too Many Requests')
    expect((await raw(sim, 'GET', '/qrs/about')).status).toBe(200)
  })

  it('a custom body, no Retry-After unless asked, other statuses', async () => {
    sim.faults.add({ path: '/qrs/about', action: { kind: 'status', status: 500, body: 'Internal server error.' } })
    sim.faults.add({ path: '/qrs/about', after: 1, action: { kind: 'status', status: 502 } })
    const first = await raw(sim, 'GET', '/qrs/about')
    expect([first.status, first.body, first.headers['retry-after']]).toEqual([500, 'Internal server error.', undefined])
    const second = await raw(sim, 'GET', '/qrs/about')
    expect([second.status, second.body]).toEqual([502, 'Bad Gateway'])
  })

  it('after / times / method / case-insensitive string paths and RegExp paths', async () => {
    sim.faults.add({ method: 'GET', path: '/QRS/ABOUT/', after: 2, times: 2, action: { kind: 'status', status: 503 } })
    sim.faults.add({ path: /^\/qrs\/app(\/|$)/, times: Infinity, action: { kind: 'status', status: 503 } })
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await call(sim, 'GET', '/qrs/about')).status)
    expect(statuses).toEqual([200, 200, 503, 503, 200])
    expect((await call(sim, 'POST', '/qrs/about')).status).toBe(404) // other method: not matched, the usual 404
    for (let i = 0; i < 3; i++) expect((await call(sim, 'GET', '/qrs/app/full')).status).toBe(503)
    expect(sim.faults.applied().map((a) => a.rule)).toEqual([0, 0, 1, 1, 1])
  })

  it('a status fault answers before any check (no client certificate needed)', async () => {
    sim.faults.add({ path: '/qrs/about', action: { kind: 'status', status: 503 } })
    const res = await call(sim, 'GET', '/qrs/about', { agent: agent(certs, 'none'), xrfkey: false })
    expect(res.status).toBe(503)
  })
})

describe('resets', () => {
  it('reset before handling on a start: the request fails, nothing started, recorded with status 0', async () => {
    const before = sim.startCount(ids.success)
    const sessions = sessionsOf(sim, ids.success).length
    sim.faults.add({ method: 'POST', path: startPath(ids.success), action: { kind: 'reset' } })
    await expect(raw(sim, 'POST', startPath(ids.success))).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect(sim.startCount(ids.success)).toBe(before)
    expect(sessionsOf(sim, ids.success)).toHaveLength(sessions)
    expect(sim.requests.at(-1)).toMatchObject({ method: 'POST', path: startPath(ids.success), status: 0, fault: 'reset' })
    // The next one goes through.
    expect((await raw(sim, 'POST', startPath(ids.success))).status).toBe(201)
    expect(sim.startCount(ids.success)).toBe(before + 1)
  })

  it('reset after handling on a start: the answer is lost but the task started and runs to the end', async () => {
    const before = sim.startCount(ids.success)
    const known = new Set(sessionsOf(sim, ids.success).map((s) => s.id))
    sim.faults.add({ method: 'POST', path: startPath(ids.success), action: { kind: 'reset-after-handling' } })
    await expect(raw(sim, 'POST', startPath(ids.success))).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect(sim.startCount(ids.success)).toBe(before + 1)
    expect(sim.requests.at(-1)).toMatchObject({ path: startPath(ids.success), status: 0, fault: 'reset-after-handling' })
    const session = sessionsOf(sim, ids.success).find((s) => !known.has(s.id))
    expect(session).toBeDefined()
    const id = session?.id as string
    // The client can find the execution it did not get an answer for.
    const listed = (await call(sim, 'GET', `/qrs/executionsession/full?filter=${encodeURIComponent(`reloadTask.id eq ${ids.success}`)}`)).json<{ id: string }[]>()
    expect(listed.map((s) => s.id)).toContain(id)
    const final = await waitFor(async () => {
      const results = (await call(sim, 'GET', `/qrs/executionresult/full?filter=${encodeURIComponent(`ExecutionId eq ${id}`)}`)).json<{ status: number }[]>()
      return results[0]?.status === 7 ? results[0] : undefined
    })
    expect(final.status).toBe(7)
  })

  it('a reset stop does not stop, a reset-after-handling stop does', async () => {
    const sessionId = (await call(sim, 'POST', startPath(medium))).json<{ value: string }>().value
    const stops = sim.stopCount(medium)
    sim.faults.add({ method: 'POST', path: `/qrs/task/${medium}/stop`, action: { kind: 'reset' } })
    sim.faults.add({ method: 'POST', path: `/qrs/task/${medium}/stop`, after: 1, action: { kind: 'reset-after-handling' } })
    await expect(raw(sim, 'POST', `/qrs/task/${medium}/stop`)).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect(sim.stopCount(medium)).toBe(stops)
    expect(sim.state.sessions.find((s) => s.id === sessionId)?.abortReason).toBe(0)
    await expect(raw(sim, 'POST', `/qrs/task/${medium}/stop`)).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect(sim.stopCount(medium)).toBe(stops + 1)
    expect(sim.state.sessions.find((s) => s.id === sessionId)?.abortReason).toBe(1)
  })
})

describe('delay', () => {
  it('handles normally and answers after ms', async () => {
    sim.faults.add({ path: '/qrs/about', action: { kind: 'delay', ms: 400 } })
    const t0 = Date.now()
    const res = await raw(sim, 'GET', '/qrs/about')
    expect(res.status).toBe(200)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380)
    // Recorded on 'finish', which can come a moment after the client has the answer.
    expect(await waitFor(async () => sim.requests.find((r) => r.fault === 'delay' && r.path === '/qrs/about'))).toMatchObject({ status: 200 })
  })

  it('a client timeout on a delayed start: the task started anyway; recorded with status 0', async () => {
    const before = sim.startCount(ids.success)
    sim.faults.add({ method: 'POST', path: startPath(ids.success), action: { kind: 'delay', ms: 600 } })
    await expect(raw(sim, 'POST', startPath(ids.success), { timeoutMs: 150 })).rejects.toMatchObject({ code: 'CLIENT_TIMEOUT' })
    expect(sim.startCount(ids.success)).toBe(before + 1)
    const recorded = await waitFor(async () => sim.requests.find((r) => r.fault === 'delay' && r.path === startPath(ids.success)))
    expect(recorded.status).toBe(0)
  })
})

describe('end-session', () => {
  it('the session answers 404 while the result is still running, the result ends later', async () => {
    const sessionId = (await call(sim, 'POST', startPath(medium))).json<{ value: string }>().value
    sim.faults.add({ method: 'GET', path: `/qrs/executionsession/${sessionId}`, times: Infinity, action: { kind: 'end-session' } })
    const gone = await call(sim, 'GET', `/qrs/executionsession/${sessionId}`)
    expect(gone.status).toBe(404)
    expect(gone.contentType).toBe('text/plain; charset=utf-8')
    expect(gone.body).toBe(`Cannot find the execution session with id ${sessionId}`)
    const resultsPath = `/qrs/executionresult/full?filter=${encodeURIComponent(`ExecutionId eq ${sessionId}`)}`
    const running = (await call(sim, 'GET', resultsPath)).json<{ status: number; stopTime: string }[]>()
    expect([1, 2]).toContain(running[0].status)
    expect(running[0].stopTime).toBe('1753-01-01T00:00:00.000Z')
    // The session is really still there (lists are not faulted) ...
    expect(sim.state.sessions.find((s) => s.id === sessionId)?.active).toBe(true)
    expect((await call(sim, 'GET', '/qrs/executionsession')).json<{ id: string }[]>().map((s) => s.id)).toContain(sessionId)
    // ... and the result gets its final status later.
    const final = await waitFor(async () => {
      const r = (await call(sim, 'GET', resultsPath)).json<{ status: number }[]>()[0]
      return r.status === 7 ? r : undefined
    })
    expect(final.status).toBe(7)
    expect(sim.faults.applied().every((a) => a.action === 'end-session')).toBe(true)
  })

  it('still goes through the usual checks (no xrfkey: 403, not 404)', async () => {
    const sessionId = (await call(sim, 'POST', startPath(ids.success))).json<{ value: string }>().value
    sim.faults.add({ path: `/qrs/executionsession/${sessionId}`, action: { kind: 'end-session' } })
    expect((await call(sim, 'GET', `/qrs/executionsession/${sessionId}`, { xrfkey: false })).status).toBe(403)
  })
})

describe('through the proxy', () => {
  const ntlmCookie = (): Promise<string> => signIn(sim)

  it('drop-sessions: the next request with the old cookie is redirected to the login', async () => {
    const cookie = await ntlmCookie()
    const headers = { Cookie: cookie, ...windowsUA }
    expect((await proxyCall(sim, '/ntlm/qrs/about', { headers })).status).toBe(200)
    // Rules see the path without the VP prefix.
    sim.faults.add({ path: `/qrs/task/${ids.success}/start/synchronous`, action: { kind: 'drop-sessions' } })
    const res = await proxyCall(sim, `/ntlm/qrs/task/${ids.success}/start/synchronous`, { method: 'POST', headers })
    expect(res.status).toBe(302)
    expect(String(res.headers.location)).toMatch(/\/ntlm\/internal_windows_authentication\/\?targetId=/)
    expect((await proxyCall(sim, '/ntlm/qrs/about', { headers })).status).toBe(302)
    expect(sim.faults.applied()).toEqual([expect.objectContaining({ path: `/qrs/task/${ids.success}/start/synchronous`, action: 'drop-sessions', listener: 'proxy' })])
    expect(sim.requests.find((r) => r.fault === 'drop-sessions')).toMatchObject({ listener: 'proxy', path: `/ntlm/qrs/task/${ids.success}/start/synchronous`, status: 302 })
  })

  it('drop-sessions on the QRS listener is a no-op (proxy sessions survive)', async () => {
    const hdr = await proxyCall(sim, '/hdr/qrs/about', { headers: { 'X-Qlik-HeaderAuth': 'svc_reload' } })
    const cookie = cookieFrom(hdr, 'X-Qlik-Session-hdr') as string
    sim.faults.add({ path: '/qrs/about', action: { kind: 'drop-sessions' } })
    expect((await call(sim, 'GET', '/qrs/about')).status).toBe(200)
    expect(sim.faults.applied()).toHaveLength(1)
    expect((await proxyCall(sim, '/hdr/qrs/about', { headers: { Cookie: cookie } })).status).toBe(200)
    // The header VP without a session: 401.
    sim.faults.add({ path: '/qrs/about', action: { kind: 'drop-sessions' } })
    expect((await proxyCall(sim, '/hdr/qrs/about', { headers: { Cookie: cookie } })).status).toBe(401)
  })

  it('status and reset faults hit the proxy too, before authentication', async () => {
    sim.faults.add({ path: '/qrs/about', action: { kind: 'status', status: 503, retryAfter: '5' } })
    const res = await proxyCall(sim, '/jwt/qrs/about')
    expect([res.status, res.body, res.headers['retry-after']]).toEqual([503, 'Service Unavailable', '5'])
    sim.faults.add({ path: '/qrs/about', action: { kind: 'reset' } })
    await expect(proxyCall(sim, '/jwt/qrs/about')).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect(sim.requests.at(-1)).toMatchObject({ listener: 'proxy', path: '/jwt/qrs/about', status: 0, fault: 'reset' })
  })
})

describe('control endpoints', () => {
  const control = (method: string, path: string, body?: string) => call(sim, method, path, { agent: agent(certs, 'none'), xrfkey: false, body })

  it('POST /__sim/faults takes one rule or an array, with {regex} paths and "Infinity"', async () => {
    const rules = [
      { method: 'POST', path: { regex: '^/qrs/task/[^/]+/start' }, times: 'Infinity', action: { kind: 'status', status: 503, retryAfter: '2' } },
      { path: '/qrs/about', action: { kind: 'delay', ms: 10 } }
    ]
    const added = await control('POST', '/__sim/faults', JSON.stringify(rules))
    expect(added.status).toBe(201)
    expect(added.json()).toEqual({ value: 2 })
    expect((await control('POST', '/__sim/faults', JSON.stringify({ path: '/qrs/app', action: { kind: 'reset' } }))).status).toBe(201)
    const before = sim.startCount()
    for (let i = 0; i < 2; i++) expect((await call(sim, 'POST', startPath(ids.success))).status).toBe(503)
    expect(sim.startCount()).toBe(before)
    const listed = (await control('GET', '/__sim/faults')).json<{ rules: { path: unknown; times: unknown; seen: number }[]; applied: unknown[] }>()
    expect(listed.rules[0]).toMatchObject({ path: { regex: new RegExp('^/qrs/task/[^/]+/start').source, flags: '' }, times: 'Infinity', seen: 2 })
    expect(listed.applied).toHaveLength(2)

    expect((await control('DELETE', '/__sim/faults')).status).toBe(204)
    expect(sim.faults.applied()).toEqual([])
    expect((await call(sim, 'POST', startPath(ids.success))).status).toBe(201)
  })

  it('bad rules: 400 text', async () => {
    for (const body of [
      '{',
      '{"path":"/qrs/about"}',
      '{"path":"/x","action":{"kind":"explode"}}',
      '{"path":{"regex":"("},"action":{"kind":"reset"}}',
      '{"path":"/x","action":{"kind":"status","status":42}}',
      '{"path":"/x","action":{"kind":"delay"}}',
      '{"path":"/x","times":-1,"action":{"kind":"reset"}}'
    ]) {
      const res = await control('POST', '/__sim/faults', body)
      expect(res.status).toBe(400)
      expect(res.contentType).toMatch(/^text\/plain/)
    }
    expect(() => sim.faults.add({ path: '/x', action: { kind: 'delay', ms: -1 } })).toThrow(/ms/)
  })

  it('control endpoints are never faulted', async () => {
    sim.faults.add({ path: /.*/, times: Infinity, action: { kind: 'status', status: 503 } })
    expect((await control('GET', '/__sim/starts')).status).toBe(200)
    expect((await call(sim, 'GET', '/qrs/about')).status).toBe(503)
    await sleep(0)
  })
})

describe('outages of a given length, refused connections, and whose execution a stop aborted', () => {
  it('forMs: a rule applies to every matching request for that long, then no more', async () => {
    sim.faults.add({ method: 'GET', path: '/qrs/about', forMs: 600, action: { kind: 'status', status: 503 } })
    expect((await call(sim, 'GET', '/qrs/about')).status).toBe(503)
    expect((await call(sim, 'GET', '/qrs/about')).status).toBe(503)
    await sleep(700)
    expect((await call(sim, 'GET', '/qrs/about')).status).toBe(200)
  })

  it('refuse: drops this request, refuses connections for ms, then accepts again on the same port', async () => {
    sim.faults.add({ method: 'GET', path: '/qrs/about', action: { kind: 'refuse', ms: 800 } })
    await expect(raw(sim, 'GET', '/qrs/about')).rejects.toThrow(/ECONNRESET|socket hang up/)
    await expect(raw(sim, 'GET', '/qrs/about')).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    await sleep(1_000)
    expect((await raw(sim, 'GET', '/qrs/about')).status).toBe(200)
  })

  it('refuseConnections(ms) from code: refused until it resolves', async () => {
    const back = sim.refuseConnections(500)
    await expect(raw(sim, 'GET', '/qrs/about')).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    await back
    expect((await raw(sim, 'GET', '/qrs/about')).status).toBe(200)
  })

  it('a stop records the execution it aborted; a stop of a task that is not running aborts none', async () => {
    const ours = sim.startTask(medium)
    await call(sim, 'POST', `/qrs/task/${medium}/stop`)
    expect(sim.stops.at(-1)).toMatchObject({ taskId: medium, aborted: true, executionIds: [ours] })
    await waitForSessionEnd(sim, ours)
    await call(sim, 'POST', `/qrs/task/${medium}/stop`)
    expect(sim.stops.at(-1)).toMatchObject({ taskId: medium, aborted: false, executionIds: [] })
  })
})
