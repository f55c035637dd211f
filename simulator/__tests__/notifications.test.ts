/** The notification (push) API: POST/DELETE /qrs/notification, callbacks to a local receiver. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import http from 'node:http'
import https from 'node:https'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { Simulator } from '../src/index.js'
import { call, ids, sleep, start, testCerts, testScenario, waitFor, xrfkey } from './helpers.js'
import { startProxy } from './proxy-helpers.js'

const certs = testCerts('notifications')
/** Queued 300 ms, then Started 300 ms, then FinishedSuccess: time to subscribe after the start. */
const slowId = '88888888-8888-4888-8888-888888888888'
function slowScenario() {
  const scenario = testScenario()
  scenario.tasks?.push({ id: slowId, name: 'Reload Slow', appId: scenario.apps?.[0]?.id, runs: [{ attempts: [{ outcome: 7, queuedMs: 300, durationMs: 300 }] }] })
  return scenario
}

interface Callback {
  path: string
  contentType: string
  time: number
  body: {
    objectType: string
    objectID: string
    changeType: number
    changedProperties: string[]
    engineID: string
    originatorNodeID: string
    originatorHostName: string
    modifiedDate?: string
  }[]
}

/** The callback receiver: records every POST, answers `status` (200 by default). */
let receiver: http.Server
let receiverUrl: string
const received: Callback[] = []

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        contentType: String(req.headers['content-type'] ?? ''),
        time: Date.now(),
        body: JSON.parse(Buffer.concat(chunks).toString('utf8'))
      })
      res.writeHead(200)
      res.end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
})
afterAll(async () => {
  receiver.closeAllConnections()
  await new Promise<void>((resolve) => receiver.close(() => resolve()))
})

let sim: Simulator | undefined
afterEach(async () => {
  await sim?.close()
  sim = undefined
  received.length = 0
})

function at(path: string): Callback[] {
  return received.filter((c) => c.path === path)
}

async function subscribe(s: Simulator, query: string, url: string): Promise<string> {
  const res = await call(s, 'POST', `/qrs/notification?${query}`, { body: JSON.stringify(url), headers: { 'Content-Type': 'application/json' } })
  expect(res.status).toBe(201)
  expect(res.contentType).toMatch(/^application\/json/)
  // Wrapped like every primitive answer of a live server (switch notificationHandle: 'string' for the bare string).
  const handle = res.json<{ value: string }>().value
  expect(handle).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  return handle
}

async function startSync(s: Simulator, taskId: string): Promise<string> {
  const res = await call(s, 'POST', `/qrs/task/${taskId}/start/synchronous`)
  expect(res.status).toBe(201)
  return res.json<{ value: string }>().value
}

async function resultOf(s: Simulator, sessionId: string): Promise<string> {
  return waitFor(async () => {
    const list = (await call(s, 'GET', `/qrs/executionresult/full?filter=${encodeURIComponent(`ExecutionId eq ${sessionId}`)}`)).json<{ id: string }[]>()
    return list[0]?.id
  })
}

/** Waits until a FinishedSuccess-or-other final Update for `resultId` arrived on `path`. */
async function waitForFinal(s: Simulator, path: string, resultId: string): Promise<void> {
  await waitFor(async () => {
    const r = s.state.results.find((x) => x.id === resultId)
    if (!r || r.status < 6) return undefined
    return at(path).some((c) => c.body[0].objectID === resultId && c.body[0].changedProperties.includes('stopTime')) ? true : undefined
  })
}

describe('subscribe with a filter', () => {
  it('ExecutionId filter after the start: Started and FinishedSuccess, nothing of another task', async () => {
    sim = await start(certs, { scenario: slowScenario() })
    const s = sim
    const sessionId = await startSync(s, slowId)
    const handle = await subscribe(s, `name=ExecutionResult&filter=${encodeURIComponent(`ExecutionId eq ${sessionId}`)}`, `${receiverUrl}/mine`)
    const resultId = await resultOf(s, sessionId)
    const other = await startSync(s, ids.success)
    s.startTask(ids.failure)
    await waitForFinal(s, '/mine', resultId)
    await waitFor(async () => (s.state.sessions.every((x) => !x.active) ? true : undefined))
    await sleep(300)

    const bodies = at('/mine').map((c) => c.body)
    for (const body of bodies) {
      expect(body).toHaveLength(1)
      expect(body[0]).toMatchObject({ objectType: 'ExecutionResult', objectID: resultId, changeType: 2, originatorHostName: 'qliksrv01.corp.example' })
      expect(body[0].engineID).toMatch(/^[0-9a-f-]{36}$/)
      expect(body[0].originatorNodeID).toBe(s.state.nodeId)
    }
    expect(at('/mine').every((c) => c.contentType === 'application/json')).toBe(true)
    const props = bodies.map((b) => b[0].changedProperties)
    // Queued (only if the subscription beat the 20 ms Triggered phase), Started, FinishedSuccess.
    expect(props.slice(-2)).toEqual([
      ['status', 'startTime', 'modifiedDate'],
      ['status', 'stopTime', 'duration', 'fileReferenceID', 'scriptLogAvailable', 'scriptLogLocation', 'scriptLogSize', 'modifiedDate']
    ])
    expect(props.slice(0, -2).every((p) => p.join() === 'status,modifiedDate')).toBe(true)
    expect(props.length).toBeLessThanOrEqual(3)
    // The other task's result is never sent to this subscription.
    const otherResult = await resultOf(s, other)
    expect(bodies.some((b) => b[0].objectID === otherResult)).toBe(false)

    const deliveries = s.notifications.deliveries().filter((d) => d.handle === handle)
    expect(deliveries).toHaveLength(bodies.length)
    expect(deliveries.every((d) => d.status === 200 && d.url === `${receiverUrl}/mine`)).toBe(true)
    expect(s.notifications.active()).toEqual([expect.objectContaining({ handle, name: 'ExecutionResult', filter: `ExecutionId eq ${sessionId}`, url: `${receiverUrl}/mine` })])
  })

  it('a full successful run: Add, Started, FinishedSuccess (with the script log fields), session Add and Delete', async () => {
    sim = await start(certs)
    const s = sim
    await subscribe(s, 'name=executionresult', `${receiverUrl}/results`) // name in any case
    await subscribe(s, 'name=ExecutionSession', `${receiverUrl}/sessions`)
    const sessionId = await startSync(s, ids.success)
    const resultId = await resultOf(s, sessionId)
    await waitForFinal(s, '/results', resultId)
    await waitFor(async () => (at('/sessions').length >= 2 ? true : undefined))
    // Deliveries are independent POSTs (Add and Started are 20 ms apart): compare in a fixed order.
    const results = at('/results')
      .map((c) => c.body[0])
      .filter((b) => b.objectID === resultId)
      .sort((x, y) => x.changedProperties.length - y.changedProperties.length)
    expect(results.map((b) => b.changeType)).toEqual([1, 2, 2])
    expect(results[0].changedProperties).toEqual([])
    expect(results[1].changedProperties).toEqual(['status', 'startTime', 'modifiedDate'])
    expect(results[2].changedProperties).toEqual(['status', 'stopTime', 'duration', 'fileReferenceID', 'scriptLogAvailable', 'scriptLogLocation', 'scriptLogSize', 'modifiedDate'])
    const sessions = at('/sessions').map((c) => c.body[0])
    expect(sessions.map((b) => [b.objectType, b.objectID, b.changeType])).toEqual([
      ['ExecutionSession', sessionId, 1],
      ['ExecutionSession', sessionId, 3]
    ])
    // When FinishedSuccess is delivered the result already shows it (the session may be gone too).
    const full = (await call(s, 'GET', `/qrs/executionresult/${resultId}`)).json<{ status: number }>()
    expect(full.status).toBe(7)
  })

  it('retries: each attempt is an Add, the session an Update with retries', async () => {
    sim = await start(certs)
    const s = sim
    await subscribe(s, 'name=ExecutionResult&changeType=Add', `${receiverUrl}/adds`)
    await subscribe(s, `name=ExecutionSession&changeType=update`, `${receiverUrl}/session-updates`)
    const sessionId = await startSync(s, ids.retries)
    await waitFor(async () => (s.state.sessions.find((x) => x.id === sessionId)?.active === false ? true : undefined))
    await waitFor(async () => (at('/adds').length === 3 && at('/session-updates').length === 2 ? true : undefined))
    await sleep(200)
    expect(at('/adds').map((c) => c.body[0].changeType)).toEqual([1, 1, 1])
    expect(at('/session-updates').map((c) => c.body[0].changedProperties)).toEqual([
      ['retries', 'executionResult', 'modifiedDate'],
      ['retries', 'executionResult', 'modifiedDate']
    ])
  })
})

describe('callback items as live servers send them', () => {
  it('carry engineType, originatorContextID, dates and schemaPath ExternalChangeInfo', async () => {
    sim = await start(certs)
    const s = sim
    await subscribe(s, 'name=ExecutionSession', `${receiverUrl}/items`)
    const sessionId = await startSync(s, ids.success)
    await waitFor(async () => (at('/items').some((c) => c.body[0].changeType === 3) ? true : undefined))
    for (const { body } of at('/items')) {
      expect(Object.keys(body[0]).sort()).toEqual([
        'changeType',
        'changedProperties',
        'createdDate',
        'engineID',
        'engineType',
        'modifiedDate',
        'objectID',
        'objectType',
        'originatorContextID',
        'originatorHostName',
        'originatorNodeID',
        'schemaPath'
      ])
      expect(body[0]).toMatchObject({ objectID: sessionId, schemaPath: 'ExternalChangeInfo', originatorContextID: expect.stringMatching(/^[0-9a-f-]{36}$/) })
      expect(Date.parse(body[0].modifiedDate ?? '')).not.toBeNaN()
    }
  })

  it('deletions ignore the filter: every deletion of the type is sent', async () => {
    sim = await start(certs)
    const s = sim
    // A filter that no session matches: only the Delete of each session gets through.
    await subscribe(s, `name=ExecutionSession&filter=${encodeURIComponent("reloadTask.name eq 'no such task'")}`, `${receiverUrl}/deletes`)
    const first = await startSync(s, ids.success)
    const second = await startSync(s, ids.failure)
    await waitFor(async () => (at('/deletes').length >= 2 ? true : undefined))
    await sleep(200)
    expect(
      at('/deletes')
        .map((c) => [c.body[0].objectID, c.body[0].changeType])
        .sort()
    ).toEqual(
      [
        [first, 3],
        [second, 3]
      ].sort()
    )
  })

  it('notificationRepeat: every callback arrives twice', async () => {
    sim = await start(certs, { switches: { notificationRepeat: true } })
    const s = sim
    await subscribe(s, 'name=ExecutionSession&changeType=Add', `${receiverUrl}/twice`)
    const sessionId = await startSync(s, ids.success)
    await waitFor(async () => (at('/twice').length >= 2 ? true : undefined))
    await sleep(200)
    expect(at('/twice').map((c) => c.body[0].objectID)).toEqual([sessionId, sessionId])
  })
})

describe('id, changeType and propertyName', () => {
  it('id= picks one result; changeType as a number; propertyName', async () => {
    sim = await start(certs)
    const s = sim
    const sessionId = await startSync(s, ids.long)
    const resultId = await resultOf(s, sessionId)
    await subscribe(s, `name=ExecutionResult&id=${resultId.toUpperCase()}`, `${receiverUrl}/by-id`)
    await subscribe(s, `name=ExecutionResult&id=${resultId}&changeType=2&propertyName=stopTime`, `${receiverUrl}/stop-only`)
    await subscribe(s, `name=ExecutionResult&id=${resultId}&changeType=Delete`, `${receiverUrl}/deletes`)
    await subscribe(s, 'name=ExecutionResult&changeType=3', `${receiverUrl}/deletes-any`)
    await startSync(s, ids.success)
    await call(s, 'POST', `/qrs/task/${ids.long}/stop`)
    await waitForFinal(s, '/by-id', resultId)
    await waitFor(async () => (at('/stop-only').length === 1 ? true : undefined))
    await sleep(400)
    expect(at('/by-id').every((c) => c.body[0].objectID === resultId)).toBe(true)
    // AbortInitiated, Aborting, Aborted (+ Started if the subscription beat it); the last one ends the result.
    const props = at('/by-id').map((c) => c.body[0].changedProperties)
    expect(props.slice(-3)).toEqual([
      ['status', 'modifiedDate'],
      ['status', 'modifiedDate'],
      ['status', 'stopTime', 'duration', 'fileReferenceID', 'scriptLogAvailable', 'scriptLogLocation', 'scriptLogSize', 'modifiedDate']
    ])
    expect(s.state.results.find((r) => r.id === resultId)?.status).toBe(6)
    expect(at('/stop-only')).toHaveLength(1)
    expect(at('/stop-only')[0].body[0].changedProperties).toContain('stopTime')
    expect(at('/deletes')).toHaveLength(0)
    expect(at('/deletes-any')).toHaveLength(0) // results are never deleted
  })

  it("notificationPropertyName 'ignored': a subscription with propertyName gets every Update, as a server that does not filter by it", async () => {
    sim = await start(certs)
    const s = sim
    s.switches.notificationPropertyName = 'ignored'
    const sessionId = await startSync(s, ids.long)
    const resultId = await resultOf(s, sessionId)
    await subscribe(s, `name=ExecutionResult&id=${resultId}&changeType=2&propertyName=stopTime`, `${receiverUrl}/ignored`)
    await call(s, 'POST', `/qrs/task/${ids.long}/stop`)
    await waitForFinal(s, '/ignored', resultId)
    // AbortInitiated and Aborting change no stopTime: sent all the same.
    const props = at('/ignored').map((c) => c.body[0].changedProperties)
    expect(props.filter((p) => !p.includes('stopTime')).length).toBeGreaterThanOrEqual(2)
    expect(props.at(-1)).toContain('stopTime')
  })

  it('bad changeType, filter, name or body: 400 text', async () => {
    sim = await start(certs)
    const s = sim
    const post = (query: string, body: string) => call(s, 'POST', `/qrs/notification?${query}`, { body })
    const url = JSON.stringify(`${receiverUrl}/x`)
    const cases: [string, string, RegExp][] = [
      ['name=ExecutionResult', `${receiverUrl}/x`, /JSON string/], // a bare URL, not a JSON string
      ['name=ExecutionResult', '{"url":"http://x"}', /JSON string/],
      ['name=ExecutionResult', '', /JSON string/],
      ['name=ExecutionResult', JSON.stringify('ftp://host/x'), /http or https/],
      ['name=ExecutionResult', JSON.stringify('not a url'), /not a valid URL/],
      ['name=NoSuchThing', url, /Unknown entity type: NoSuchThing/],
      ['id=1', url, /Missing parameter: name/],
      ['name=ExecutionResult&changeType=Rename', url, /Invalid changeType/],
      ['name=ExecutionResult&filter=' + encodeURIComponent("name eq ''x''"), url, /Cannot parse the expression/]
    ]
    for (const [query, body, message] of cases) {
      const res = await post(query, body)
      expect([query, body, res.status]).toEqual([query, body, 400])
      expect(res.contentType).toMatch(/^text\/plain/)
      expect(res.body).toMatch(message)
    }
    expect(s.notifications.active()).toEqual([])
    // Other entity types are accepted (and never fire).
    expect((await post('name=ReloadTask', url)).status).toBe(201)
    // xrfkey and certificate checks apply as everywhere.
    expect((await call(s, 'POST', '/qrs/notification?name=ExecutionResult', { body: url, xrfkey: false })).status).toBe(403)
  })

  it('notificationCreateStatus 200', async () => {
    sim = await start(certs, { switches: { notificationCreateStatus: 200 } })
    const res = await call(sim, 'POST', '/qrs/notification?name=ExecutionResult', { body: JSON.stringify(`${receiverUrl}/x`) })
    expect(res.status).toBe(200)
    expect(res.json()).toEqual({ value: expect.stringMatching(/^[0-9a-f-]{36}$/) })
  })

  it("notificationHandle 'string': the handle as a bare JSON string (the definition's type)", async () => {
    sim = await start(certs, { switches: { notificationHandle: 'string' } })
    const res = await call(sim, 'POST', '/qrs/notification?name=ExecutionResult', { body: JSON.stringify(`${receiverUrl}/x`) })
    expect(res.status).toBe(201)
    expect(res.json()).toEqual(sim.notifications.active()[0].handle)
  })
})

describe('DELETE and failures', () => {
  it('DELETE stops deliveries; an unknown handle is 204 too', async () => {
    sim = await start(certs)
    const s = sim
    const handle = await subscribe(s, 'name=ExecutionResult', `${receiverUrl}/del`)
    const keep = await subscribe(s, 'name=ExecutionResult', `${receiverUrl}/keep`)
    const first = await startSync(s, ids.success)
    await waitForFinal(s, '/del', await resultOf(s, first))
    const del = await call(s, 'DELETE', `/qrs/notification?handle=${handle}`)
    expect(del.status).toBe(204)
    expect(del.body).toBe('')
    expect((await call(s, 'DELETE', `/qrs/notification?handle=${handle}`)).status).toBe(204)
    expect((await call(s, 'DELETE', '/qrs/notification?handle=00000000-0000-0000-0000-000000000001')).status).toBe(204)
    expect((await call(s, 'DELETE', '/qrs/notification')).status).toBe(400)
    expect(s.notifications.removed()).toEqual([handle])
    expect(s.notifications.active().map((a) => a.handle)).toEqual([keep])

    const before = at('/del').length
    const second = await startSync(s, ids.success)
    await waitForFinal(s, '/keep', await resultOf(s, second))
    await sleep(200)
    expect(at('/del')).toHaveLength(before)

    const control = await call(s, 'GET', '/__sim/notifications', { xrfkey: false })
    const snapshot = control.json<{ active: { handle: string }[]; deliveries: unknown[]; removed: string[] }>()
    expect(snapshot.active.map((a) => a.handle)).toEqual([keep])
    expect(snapshot.removed).toEqual([handle])
    expect(snapshot.deliveries.length).toBe(s.notifications.deliveries().length)
  })

  it('DELETE during notificationDelayMs: the pending delivery is not sent', async () => {
    sim = await start(certs, { switches: { notificationDelayMs: 400 } })
    const s = sim
    const handle = await subscribe(s, 'name=ExecutionSession&changeType=Add', `${receiverUrl}/delayed`)
    const t0 = Date.now()
    await startSync(s, ids.success)
    await waitFor(async () => (at('/delayed').length === 1 ? true : undefined))
    expect(at('/delayed')[0].time - t0).toBeGreaterThanOrEqual(350)
    await startSync(s, ids.success)
    expect((await call(s, 'DELETE', `/qrs/notification?handle=${handle}`)).status).toBe(204)
    await sleep(600)
    expect(at('/delayed')).toHaveLength(1)
  })

  it('a callback URL that is down, or never answers, does not disturb the simulator', async () => {
    // A port nobody listens on, and a server that accepts and never answers.
    const dead = http.createServer()
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve))
    const deadPort = (dead.address() as AddressInfo).port
    await new Promise<void>((resolve) => dead.close(() => resolve()))
    const silent = http.createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/never`
    try {
      sim = await start(certs)
      const s = sim
      const down = await subscribe(s, 'name=ExecutionResult', `http://127.0.0.1:${deadPort}/gone`)
      const hang = await subscribe(s, 'name=ExecutionSession', silentUrl)
      await subscribe(s, 'name=ExecutionResult', `${receiverUrl}/alive`)
      const t0 = Date.now()
      const sessionId = await startSync(s, ids.success)
      expect(Date.now() - t0).toBeLessThan(1000)
      const resultId = await resultOf(s, sessionId)
      await waitForFinal(s, '/alive', resultId)
      expect((await call(s, 'GET', `/qrs/executionresult/${resultId}`)).json<{ status: number }>().status).toBe(7)
      const failed = await waitFor(async () => {
        const d = s.notifications.deliveries().filter((x) => x.handle === down)
        return d.length === 3 ? d : undefined
      })
      expect(failed.every((d) => d.status === 'error' && /ECONNREFUSED/.test(d.error ?? ''))).toBe(true)
      const timedOut = await waitFor(async () => {
        const d = s.notifications.deliveries().filter((x) => x.handle === hang)
        return d.length === 2 ? d : undefined
      }, 5000)
      expect(timedOut.every((d) => d.status === 'error' && /2000 ms/.test(d.error ?? ''))).toBe(true)
      expect(JSON.parse(timedOut[0].body)).toEqual([expect.objectContaining({ objectType: 'ExecutionSession', changeType: 1 })])
    } finally {
      silent.closeAllConnections()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  })

  it('an https callback with a self-signed (untrusted) certificate is delivered', async () => {
    const tlsReceiver = https.createServer({ key: readFileSync(certs.otherClientKey), cert: readFileSync(certs.otherClientCert) }, (req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(204)
        res.end()
      })
    })
    await new Promise<void>((resolve) => tlsReceiver.listen(0, '127.0.0.1', resolve))
    try {
      sim = await start(certs)
      const s = sim
      const handle = await subscribe(s, 'name=ExecutionSession&changeType=Add', `https://127.0.0.1:${(tlsReceiver.address() as AddressInfo).port}/tls`)
      await startSync(s, ids.success)
      const d = await waitFor(async () => s.notifications.deliveries().find((x) => x.handle === handle))
      expect(d.status).toBe(204)
    } finally {
      tlsReceiver.closeAllConnections()
      await new Promise<void>((resolve) => tlsReceiver.close(() => resolve()))
    }
  })
})

describe('through the proxy (header VP)', () => {
  function proxyRequest(s: Simulator, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
    const url = new URL(path, s.proxyUrl)
    url.searchParams.set('xrfkey', xrfkey)
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          ca: readFileSync(s.certs.ca),
          headers: { 'X-Qlik-Xrfkey': xrfkey, 'X-Qlik-HeaderAuth': 'CORP\\svc_reload', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) }
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
        }
      )
      req.on('error', reject)
      req.end(body)
    })
  }

  it('subscribe, receive, unsubscribe', async () => {
    sim = await startProxy(certs)
    const s = sim
    const sub = await proxyRequest(s, 'POST', '/hdr/qrs/notification?name=ExecutionSession', JSON.stringify(`${receiverUrl}/vp`))
    expect(sub.status).toBe(201)
    const handle = (JSON.parse(sub.body) as { value: string }).value
    expect(s.notifications.active().map((a) => a.handle)).toEqual([handle])
    expect((await proxyRequest(s, 'POST', '/hdr/qrs/notification?name=ExecutionSession', '"mailto:x@y"')).status).toBe(400)
    const started = await proxyRequest(s, 'POST', `/hdr/qrs/task/${ids.success}/start/synchronous`)
    const sessionId = (JSON.parse(started.body) as { value: string }).value
    await waitFor(async () => (at('/vp').length === 2 ? true : undefined))
    expect(at('/vp').map((c) => [c.body[0].objectID, c.body[0].changeType])).toEqual([
      [sessionId, 1],
      [sessionId, 3]
    ])
    expect((await proxyRequest(s, 'DELETE', `/hdr/qrs/notification?handle=${handle}`)).status).toBe(204)
    expect(s.notifications.removed()).toEqual([handle])
    expect(s.requests.filter((r) => r.listener === 'proxy' && /notification/i.test(r.path)).map((r) => r.status)).toEqual([201, 400, 204])
  })
})
