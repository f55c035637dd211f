/**
 * The fault kinds that shape answers on the wire (simulator/src/fault-wire.ts): cut, drip, endless,
 * late-start, rewrite, drop-query, html, set-cookies, and Retry-After values that invite a storm.
 * Raw requests, so each test sees exactly what a client gets.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import https from 'node:https'
import type { Scenario, Simulator } from '../src/index.js'
import { agent, appId, call, ids, qrsRequestOptions, sleep, start, testCerts, testScenario, waitFor } from './helpers.js'

const certs = testCerts('faults-wire')
const logTask = 'f0f0f0f0-0000-4000-8000-000000000001'

function scenario(): Scenario {
  const s = testScenario()
  s.tasks = [...(s.tasks ?? []), { id: logTask, name: 'Reload Big Log', appId, runs: [{ attempts: [{ outcome: 8, durationMs: 40, scriptLogBytes: 2_000_000 }] }] }]
  return s
}

interface Captured {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  /** When the head arrived, ms after the request went out. */
  headAtMs: number
  /** When the body ended or failed. */
  endAtMs: number
  chunks: number
  /** Set when the answer did not complete (the connection dropped in the middle). */
  error?: NodeJS.ErrnoException
}

/**
 * A QRS call that keeps what arrived even when the answer breaks off. Rejects only when no head came
 * (a reset, a timeout); `maxBytes` hangs up after that many body bytes (a client that goes).
 */
function capture(sim: Simulator, method: string, path: string, opts: { timeoutMs?: number; maxBytes?: number } = {}): Promise<Captured> {
  const sent = Date.now()
  return new Promise((resolve, reject) => {
    const req = https.request(qrsRequestOptions(sim, method, path, opts.timeoutMs), (res) => {
      const chunks: Buffer[] = []
      let size = 0
      const answer = (error?: NodeJS.ErrnoException): void =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          headAtMs,
          endAtMs: Date.now() - sent,
          chunks: chunks.length,
          error
        })
      const headAtMs = Date.now() - sent
      res.on('data', (c: Buffer) => {
        chunks.push(c)
        size += c.length
        if (opts.maxBytes !== undefined && size >= opts.maxBytes) {
          req.destroy()
          answer()
        }
      })
      res.on('end', () => answer())
      res.on('error', (error: NodeJS.ErrnoException) => answer(error))
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })))
    req.on('error', reject)
    req.end()
  })
}

const startPath = (id: string): string => `/qrs/task/${id}/start/synchronous`
const sessionsOf = (sim: Simulator, taskId: string) => sim.state.sessions.filter((s) => s.taskId === taskId)
/** The last request recorded with this fault on this path (recorded when its answer ended). */
const recorded = (sim: Simulator, fault: string, path: string) => waitFor(async () => sim.requests.findLast((r) => r.fault === fault && r.path === path))

/** A download path for the script log of a fresh run of logTask. */
async function logDownloadPath(sim: Simulator): Promise<string> {
  const sessionId = (await call(sim, 'POST', startPath(logTask))).json<{ value: string }>().value
  const result = await waitFor(async () => sim.state.results.find((r) => r.executionID === sessionId && r.status === 8))
  const ref = (await call(sim, 'GET', `/qrs/reloadtask/${logTask}/scriptlogfile?executionResultId=${result.id}`)).json<{ value: string }>().value
  return `/qrs/download/reloadtask/${ref}/scriptlog.txt`
}

let sim: Simulator
beforeAll(async () => {
  sim = await start(certs, { scenario: scenario() })
})
afterAll(() => sim.close())
beforeEach(() => sim.faults.clear())

describe('cut: an answer cut in the middle of its body', () => {
  it('after handling: a start starts, the client gets the head and half the body, then the connection drops', async () => {
    const before = sessionsOf(sim, ids.success).length
    sim.faults.add({ method: 'POST', path: startPath(ids.success), action: { kind: 'cut' } })
    const answer = await capture(sim, 'POST', startPath(ids.success))
    expect(answer.status).toBe(201)
    expect(answer.error?.message).toMatch(/aborted/)
    const created = sessionsOf(sim, ids.success)
    expect(created).toHaveLength(before + 1)
    // The head announced the whole answer, `{"value":"<id>"}`; half of it came.
    const whole = JSON.stringify({ value: created.at(-1)!.id })
    expect(answer.headers['content-length']).toBe(String(whole.length))
    expect(answer.body.toString()).toBe(whole.slice(0, Math.floor(whole.length / 2)))
    expect(await recorded(sim, 'cut', startPath(ids.success))).toMatchObject({ status: 0 })
  })

  it('without handling: nothing starts, the answer is a JSON list cut short', async () => {
    const before = sim.startCount(ids.success)
    sim.faults.add({ method: 'POST', path: startPath(ids.success), action: { kind: 'cut', handle: false } })
    const answer = await capture(sim, 'POST', startPath(ids.success))
    expect([answer.status, answer.headers['content-type']]).toEqual([200, 'application/json; charset=utf-8'])
    expect(answer.error?.message).toMatch(/aborted/)
    expect(answer.body.toString()).toMatch(/^\[\{"id":"/)
    expect(() => JSON.parse(answer.body.toString())).toThrow()
    expect(sim.startCount(ids.success)).toBe(before)
  })

  it('`bytes`, `status` and `body`: exactly that much of the given answer', async () => {
    sim.faults.add({ path: '/qrs/about', action: { kind: 'cut', handle: false, status: 503, body: 'Service Unavailable', bytes: 7 } })
    const answer = await capture(sim, 'GET', '/qrs/about')
    expect([answer.status, answer.body.toString(), answer.headers['content-length']]).toEqual([503, 'Service', '19'])
    expect(answer.error).toBeDefined()
  })

  it('a streamed script log: half of its Content-Length, then the connection drops', async () => {
    const path = await logDownloadPath(sim)
    sim.faults.add({ path: /^\/qrs\/download\//, action: { kind: 'cut' } })
    const answer = await capture(sim, 'GET', path)
    const length = Number(answer.headers['content-length'])
    expect(length).toBeGreaterThan(2_000_000)
    expect(answer.body.length).toBe(Math.floor(length / 2))
    expect(answer.error?.message).toMatch(/aborted/)
    // The same reference works again without the fault.
    expect((await capture(sim, 'GET', path)).body.length).toBe(length)
  })

  it('an empty body: the head goes out chunked and the body never ends', async () => {
    sim.faults.add({ path: '/qrs/about', action: { kind: 'cut', handle: false, body: '' } })
    const answer = await capture(sim, 'GET', '/qrs/about')
    expect(answer.headers['transfer-encoding']).toBe('chunked')
    expect(answer.body.length).toBe(0)
    expect(answer.error?.message).toMatch(/aborted/)
  })
})

describe('drip: a body that drips', () => {
  it('the head at once, then `bytes` every `ms`: the whole answer, slowly', async () => {
    const normal = (await capture(sim, 'GET', '/qrs/about')).body.toString()
    sim.faults.add({ path: '/qrs/about', action: { kind: 'drip', ms: 40, bytes: Math.ceil(normal.length / 10) } })
    const answer = await capture(sim, 'GET', '/qrs/about')
    expect(answer.error).toBeUndefined()
    expect(answer.body.toString()).toBe(normal)
    expect(answer.headAtMs).toBeLessThan(300)
    expect(answer.endAtMs).toBeGreaterThanOrEqual(9 * 40)
    expect(answer.chunks).toBeGreaterThanOrEqual(8)
  })

  it('one byte at a time by default; a start has started before its first byte', async () => {
    const before = sim.startCount(ids.success)
    sim.faults.add({ method: 'POST', path: startPath(ids.success), action: { kind: 'drip', ms: 30 } })
    const answer = await capture(sim, 'POST', startPath(ids.success), { maxBytes: 5 })
    expect(answer.status).toBe(201)
    expect(answer.body.toString()).toBe('{"val')
    expect(answer.chunks).toBe(5)
    expect(sim.startCount(ids.success)).toBe(before + 1)
    // The client went before the end: recorded without an answer.
    expect(await recorded(sim, 'drip', startPath(ids.success))).toMatchObject({ status: 0 })
  })
})

describe('endless: a body without end', () => {
  it('as fast as the client reads, until it goes; then the simulator stops writing', async () => {
    sim.faults.add({ path: /^\/qrs\/download\//, action: { kind: 'endless' } })
    const path = '/qrs/download/reloadtask/any/scriptlog.txt'
    const answer = await capture(sim, 'GET', path, { maxBytes: 8 * 1024 * 1024 })
    expect(answer.status).toBe(200)
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(answer.headers['content-length']).toBeUndefined()
    expect(answer.body.length).toBeGreaterThanOrEqual(8 * 1024 * 1024)
    expect(answer.body.subarray(3, 60).toString()).toMatch(/TRACE endless log line/)
    expect(await recorded(sim, 'endless', path)).toMatchObject({ status: 0 })
  })

  it('bytesPerSecond: about that rate', async () => {
    sim.faults.add({ path: /^\/qrs\/download\//, action: { kind: 'endless', bytesPerSecond: 20_000 } })
    const slow = await capture(sim, 'GET', '/qrs/download/reloadtask/any/x.txt', { maxBytes: 20_000 })
    expect(slow.endAtMs).toBeGreaterThan(700)
    expect(slow.endAtMs).toBeLessThan(2_500)
  })
})

describe('late-start: the execution appears late', () => {
  it('stall: the start is handled `ms` after it came, the answer follows with the id', async () => {
    const before = sessionsOf(sim, ids.success).length
    sim.faults.add({ method: 'POST', path: startPath(ids.success), action: { kind: 'late-start', ms: 800 } })
    const answering = capture(sim, 'POST', startPath(ids.success))
    await sleep(400)
    expect(sessionsOf(sim, ids.success)).toHaveLength(before)
    const answer = await answering
    expect(answer.endAtMs).toBeGreaterThanOrEqual(780)
    expect(answer.status).toBe(201)
    expect(JSON.parse(answer.body.toString()).value).toBe(sessionsOf(sim, ids.success).at(-1)!.id)
  })

  it('stall: a client that gives up gets nothing, and the execution appears anyway', async () => {
    const before = sim.startCount(ids.success)
    sim.faults.add({ method: 'POST', path: startPath(ids.success), action: { kind: 'late-start', ms: 600 } })
    await expect(capture(sim, 'POST', startPath(ids.success), { timeoutMs: 200 })).rejects.toMatchObject({ code: 'CLIENT_TIMEOUT' })
    expect(sim.startCount(ids.success)).toBe(before)
    await waitFor(async () => (sim.startCount(ids.success) === before + 1 ? true : undefined))
    expect(await recorded(sim, 'late-start', startPath(ids.success))).toMatchObject({ status: 0 })
  })

  it('early: 204 at once, the execution `ms` later', async () => {
    const before = sim.startCount(ids.success)
    sim.faults.add({ method: 'POST', path: `/qrs/task/${ids.success}/start`, action: { kind: 'late-start', ms: 500, answer: 'early' } })
    const answer = await capture(sim, 'POST', `/qrs/task/${ids.success}/start`)
    expect(answer.status).toBe(204)
    expect(answer.endAtMs).toBeLessThan(300)
    expect(sim.startCount(ids.success)).toBe(before)
    await sleep(700)
    expect(sim.startCount(ids.success)).toBe(before + 1)
  })

  it('early on an app reload: 204, the app task runs later', async () => {
    const before = sim.state.sessions.length
    sim.faults.add({ method: 'POST', path: `/qrs/app/${appId}/reload`, action: { kind: 'late-start', ms: 400, answer: 'early' } })
    expect((await capture(sim, 'POST', `/qrs/app/${appId}/reload`)).status).toBe(204)
    expect(sim.state.sessions).toHaveLength(before)
    await waitFor(async () => (sim.state.sessions.length === before + 1 ? true : undefined))
  })
})

describe('Retry-After values that invite a storm', () => {
  it('503 with Retry-After: 0', async () => {
    sim.faults.add({ path: '/qrs/about', action: { kind: 'status', status: 503, retryAfter: '0' } })
    const answer = await capture(sim, 'GET', '/qrs/about')
    expect([answer.status, answer.headers['retry-after']]).toEqual([503, '0'])
  })

  it('503 with Retry-After: a date in the past', async () => {
    const past = new Date(Date.now() - 3_600_000).toUTCString()
    sim.faults.add({ path: '/qrs/about', forMs: 2_000, action: { kind: 'status', status: 503, retryAfter: past } })
    for (let i = 0; i < 3; i++) {
      const answer = await capture(sim, 'GET', '/qrs/about')
      expect([answer.status, answer.headers['retry-after']]).toEqual([503, past])
      expect(Date.parse(String(answer.headers['retry-after']))).toBeLessThan(Date.now())
    }
  })
})

describe('rewrite: fields of the wrong type', () => {
  it('a status that is a string holding HTML, in every element of a list', async () => {
    const html = '<img src=x onerror=alert(1)><a href="https://evil.example/">x</a>'
    sim.faults.add({ path: '/qrs/executionresult/full', action: { kind: 'rewrite', set: { status: html } } })
    const list = JSON.parse((await capture(sim, 'GET', '/qrs/executionresult/full')).body.toString()) as { status: unknown }[]
    expect(list.length).toBeGreaterThan(0)
    expect(list.every((r) => r.status === html)).toBe(true)
  })

  it('details[].message that is not a string; a nested path; a path whose parent is missing', async () => {
    const sessionId = (await call(sim, 'POST', startPath(ids.failure))).json<{ value: string }>().value
    await waitFor(async () => sim.state.results.find((r) => r.executionID === sessionId && r.status === 8))
    sim.faults.add({ path: '/qrs/executionresult/full', action: { kind: 'rewrite', set: { 'details.message': { text: 42 }, 'no.such.field': 1 } } })
    const [result] = JSON.parse((await capture(sim, 'GET', `/qrs/executionresult/full?filter=${encodeURIComponent(`ExecutionId eq ${sessionId}`)}`)).body.toString())
    expect(result.details.length).toBeGreaterThan(0)
    for (const detail of result.details) expect(detail.message).toEqual({ text: 42 })
    expect(result.no).toBeUndefined()
  })

  it('a name nested thousands deep, written as JSON text', async () => {
    sim.faults.add({ path: '/qrs/reloadtask/full', action: { kind: 'rewrite', set: { name: { $nested: 5_000 } } } })
    const text = (await capture(sim, 'GET', `/qrs/reloadtask/full?filter=${encodeURIComponent(`id eq ${ids.success}`)}`)).body.toString()
    const [task] = JSON.parse(text)
    let depth = 0
    for (let node = task.name; typeof node === 'object'; node = node.a) depth++
    expect(depth).toBe(5_000)
  })

  it('`$` replaces the whole answer; text answers pass unchanged', async () => {
    sim.faults.add({ path: startPath(ids.success), action: { kind: 'rewrite', set: { $: 42 } } })
    expect((await capture(sim, 'POST', startPath(ids.success))).body.toString()).toBe('42')
    sim.faults.add({ path: '/qrs/reloadtask/nope', action: { kind: 'rewrite', set: { $: 42 } } })
    expect((await capture(sim, 'GET', '/qrs/reloadtask/nope')).body.toString()).toMatch(/^Cannot find the reload task/)
  })
})

describe('drop-query: a proxy that drops filter', () => {
  it('a lookup by id answers every task, another one first', async () => {
    sim.faults.add({ path: '/qrs/reloadtask/full', action: { kind: 'drop-query', params: ['FILTER'] } })
    const path = `/qrs/reloadtask/full?filter=${encodeURIComponent(`id eq ${ids.failure}`)}`
    const tasks = JSON.parse((await capture(sim, 'GET', path)).body.toString()) as { id: string }[]
    expect(tasks.length).toBeGreaterThan(3)
    expect(tasks[0].id).not.toBe(ids.failure)
    // The request is recorded as the client sent it.
    expect((await recorded(sim, 'drop-query', '/qrs/reloadtask/full')).query).toContain('filter=')
    expect(JSON.parse((await capture(sim, 'GET', path)).body.toString())).toHaveLength(1)
  })
})

describe('html and set-cookies', () => {
  it('html: 200 with a maintenance page, nothing handled', async () => {
    const before = sim.startCount(ids.success)
    sim.faults.add({ method: 'POST', path: startPath(ids.success), action: { kind: 'html' } })
    const answer = await capture(sim, 'POST', startPath(ids.success))
    expect([answer.status, answer.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8'])
    expect(answer.body.toString()).toMatch(/maintenance/)
    expect(sim.startCount(ids.success)).toBe(before)
  })

  it('set-cookies: the answer as usual plus `count` new cookies of `bytes` each', async () => {
    sim.faults.add({ path: '/qrs/about', times: 2, action: { kind: 'set-cookies', count: 3, bytes: 10 } })
    const first = await capture(sim, 'GET', '/qrs/about')
    const second = await capture(sim, 'GET', '/qrs/about')
    expect(first.status).toBe(200)
    const names = (answer: Captured) => [answer.headers['set-cookie'] ?? []].flat().map((c) => /^([^=]+)=([^;]*)/.exec(c)!.slice(1))
    expect(names(first)).toHaveLength(3)
    for (const [, value] of names(first)) expect(value).toHaveLength(10)
    // Fresh names every time: a jar that keeps them all grows.
    expect(new Set([...names(first), ...names(second)].map(([name]) => name)).size).toBe(6)
  })
})

describe('rules from JSON', () => {
  const control = (body: unknown) => call(sim, 'POST', '/__sim/faults', { agent: agent(certs, 'none'), xrfkey: false, body: JSON.stringify(body) })

  it('takes the new kinds, refuses bad fields', async () => {
    const good = [
      { path: '/qrs/about', action: { kind: 'cut', bytes: 3, handle: false } },
      { path: '/qrs/about', action: { kind: 'drip', ms: 10, bytes: 2 } },
      { path: '/qrs/about', action: { kind: 'endless', bytesPerSecond: 100 } },
      { path: '/qrs/about', action: { kind: 'late-start', ms: 10, answer: 'early' } },
      { path: '/qrs/about', action: { kind: 'rewrite', set: { name: { $nested: 10 } } } },
      { path: '/qrs/about', action: { kind: 'drop-query', params: ['filter'] } },
      { path: '/qrs/about', action: { kind: 'html', status: 503 } },
      { path: '/qrs/about', action: { kind: 'set-cookies', count: 2 } }
    ]
    expect((await control(good)).status).toBe(201)
    sim.faults.clear()
    const bad = [
      { kind: 'cut', bytes: -1 },
      { kind: 'cut', handle: 'yes' },
      { kind: 'drip' },
      { kind: 'drip', ms: 10, bytes: 0 },
      { kind: 'endless', bytesPerSecond: 0 },
      { kind: 'late-start', ms: 10, answer: 'later' },
      { kind: 'rewrite', set: [] },
      { kind: 'drop-query', params: 'filter' },
      { kind: 'html', status: 99 },
      { kind: 'set-cookies', count: 0 }
    ]
    for (const action of bad) {
      const res = await control({ path: '/qrs/about', action })
      expect([JSON.stringify(action), res.status]).toEqual([JSON.stringify(action), 400])
    }
  })
})
