/**
 * The steps of an execution and their callbacks: the switches triggeredMs, queuedStepMs and
 * logReferenceLeadMs; every change of a result is one notification, in the order the site makes them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Simulator, Switches } from '../src/index.js'
import { call, ids, start, testCerts, waitFor } from './helpers.js'

const certs = testCerts('execution-steps')

interface Callback {
  time: number
  objectType: string
  objectID: string
  changeType: number
  changedProperties: string[]
  /** The result's status when the callback arrived. */
  status?: number
}

let receiver: http.Server
let receiverUrl: string
const received: Callback[] = []
let sim: Simulator | undefined

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const [change] = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<Callback, 'time' | 'status'>[]
      received.push({ ...change, time: Date.now(), status: sim?.state.results.find((r) => r.id === change.objectID)?.status })
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/steps`
})
afterAll(async () => {
  receiver.closeAllConnections()
  await new Promise<void>((resolve) => receiver.close(() => resolve()))
})
afterEach(async () => {
  await sim?.close()
  sim = undefined
  received.length = 0
})

/** Subscribes to every ExecutionResult change, starts the task, waits for its session to end and the last callback. */
async function run(switches: Partial<Switches>, taskId = ids.success): Promise<{ sessionId: string; callbacks: Callback[] }> {
  sim = await start(certs, { switches })
  const s = sim
  const subscribed = await call(s, 'POST', '/qrs/notification?name=ExecutionResult', { body: JSON.stringify(receiverUrl), headers: { 'Content-Type': 'application/json' } })
  expect(subscribed.status).toBe(201)
  const started = await call(s, 'POST', `/qrs/task/${taskId}/start/synchronous`)
  const sessionId = started.json<{ value: string }>().value
  await waitFor(async () => (s.state.sessions.find((x) => x.id === sessionId)?.active === false ? true : undefined))
  const last = s.state.results.filter((r) => r.executionID === sessionId).at(-1)!
  await waitFor(async () => (received.some((c) => c.objectID === last.id && c.changedProperties.includes('stopTime')) ? true : undefined))
  return { sessionId, callbacks: received.filter((c) => c.objectType === 'ExecutionResult') }
}

const messages = (s: Simulator, sessionId: string) =>
  s.state.results
    .find((r) => r.executionID === sessionId)!
    .details.map((d) => d.message)
    .filter((m) => m.startsWith('Changing') || m.startsWith('Reference'))

describe('execution steps', () => {
  it('by default: Triggered, Started, and the end with its log reference in one change', async () => {
    const { sessionId, callbacks } = await run({})
    expect(callbacks.map((c) => [c.changeType, ...c.changedProperties])).toEqual([
      [1],
      [2, 'status', 'startTime', 'modifiedDate'],
      [2, 'status', 'stopTime', 'duration', 'fileReferenceID', 'scriptLogAvailable', 'scriptLogLocation', 'scriptLogSize', 'modifiedDate']
    ])
    expect(messages(sim!, sessionId)).toEqual([
      'Changing task state from NeverStarted to Triggered',
      'Changing task state from Triggered to Started',
      'Changing task state from Started to FinishedSuccess',
      'Reference to scriptlog added'
    ])
  })

  it('with the site switches: every step is a callback of its own, the gaps as configured', async () => {
    const { sessionId, callbacks } = await run({ triggeredMs: 150, queuedStepMs: 250, logReferenceLeadMs: 200 })
    expect(callbacks.map((c) => [c.changeType, ...c.changedProperties])).toEqual([
      [1],
      [2, 'status', 'modifiedDate'],
      [2, 'status', 'startTime', 'modifiedDate'],
      [2, 'fileReferenceID', 'scriptLogAvailable', 'scriptLogLocation', 'scriptLogSize', 'modifiedDate'],
      [2, 'status', 'stopTime', 'duration', 'modifiedDate']
    ])
    // What a reader sees when each callback arrives: Triggered, Queued, Started, still Started, FinishedSuccess.
    expect(callbacks.map((c) => c.status)).toEqual([1, 3, 2, 2, 7])
    const gaps = callbacks.slice(1).map((c, i) => c.time - callbacks[i].time)
    // Triggered 150 ms, Queued 250 ms, Started 150 ms (the task's durationMs), then the status 200 ms after the log reference.
    for (const [gap, want] of gaps.map((g, i) => [g, [150, 250, 150, 200][i]])) {
      expect(gap).toBeGreaterThanOrEqual(want - 15)
      expect(gap).toBeLessThan(want + 150)
    }
    expect(messages(sim!, sessionId)).toEqual([
      'Changing task state from NeverStarted to Triggered',
      'Changing task state from Triggered to Queued',
      'Changing task state from Queued to Started',
      'Reference to scriptlog added',
      'Changing task state from Started to FinishedSuccess'
    ])
    const result = sim!.state.results.find((r) => r.executionID === sessionId)!
    // The log is there, and the duration runs to the final status.
    expect(result.scriptLogSize).toBeGreaterThan(0)
    expect(result.duration).toBeGreaterThanOrEqual(150 + 200 - 15)
    const reference = await call(sim!, 'GET', `/qrs/reloadtask/${ids.success}/scriptlogfile?executionResultId=${result.id}`)
    expect(reference.status).toBe(200)
  })

  it("an attempt's own queuedMs wins over queuedStepMs; every attempt of a retried run is queued", async () => {
    // Reload Flaky: three attempts, the last one with queuedMs 60.
    const { sessionId } = await run({ triggeredMs: 10, queuedStepMs: 150 }, ids.retries)
    const results = sim!.state.results.filter((r) => r.executionID === sessionId)
    expect(results).toHaveLength(3)
    const at = (r: (typeof results)[number], message: string) => Date.parse(r.details.find((d) => d.message === message)!.detailCreatedDate)
    const queuedFor = results.map((r) => at(r, 'Changing task state from Queued to Started') - at(r, 'Changing task state from Triggered to Queued'))
    expect(queuedFor[0]).toBeGreaterThanOrEqual(150 - 5)
    expect(queuedFor[1]).toBeGreaterThanOrEqual(150 - 5)
    expect(queuedFor[2]).toBeGreaterThanOrEqual(60 - 5)
    expect(queuedFor[2]).toBeLessThan(150 - 5)
  })
})
