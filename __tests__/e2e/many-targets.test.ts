/**
 * Many targets for the price of one (issue 21): the step reads all its running executions in one request
 * per tick, the results of those that ended in one more, its named tasks in one lookup, and keeps every
 * request under the URL budget, here against a front end that refuses any request target over 2,048 bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startSimulator, type Scenario, type Simulator } from '../../simulator/src/index.js'
import { runAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { certificateInputs } from '../helpers/site.js'

const APP = 'd7000000-0000-4000-8000-000000000001'
const COUNT = 30
const task = (n: number) => `e7000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const SECONDS = 6

function site(): Scenario {
  return {
    machineName: 'qliksrv01.corp.example',
    serverNames: ['qliksrv01.corp.example', 'localhost', '127.0.0.1'],
    apps: [{ id: APP, name: 'Many' }],
    // A slot for each: no queueing for the default 4.
    maxConcurrentReloads: COUNT + 1,
    tasks: Array.from({ length: COUNT + 1 }, (_, n) => ({
      id: task(n),
      name: `Target ${n}`,
      appId: APP,
      // The ends spread over a second, as different reloads' would.
      runs: [{ attempts: [{ outcome: 7, durationMs: SECONDS * 1000 + Math.round((n / COUNT) * 1000) }] }]
    })),
    // IIS request filtering's default query string limit, stricter than HTTP.sys (docs/qrs-protocol.md section 4).
    switches: { maxUrlBytes: 2_048 }
  }
}

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ scenario: site(), certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())

/** One step on these tasks: what the simulator answered for it. */
async function step(tasks: string[]) {
  const from = sim.requests.length
  const run = await runAction(certificateInputs(sim, { 'task-id': tasks.join('\n'), 'max-parallel': String(tasks.length), 'max-targets': String(tasks.length) }), {
    timeoutMs: 120_000
  })
  const requests = sim.requests.slice(from)
  const filter = (r: (typeof requests)[number]) => new URLSearchParams(r.query).get('filter') ?? ''
  return { run, requests, filter }
}

describe('many targets for the price of one', () => {
  it(`${COUNT} targets cost at most twice one plus four each (lookup, start, result, log), within a 2 KB request target`, async () => {
    const one = await step([task(COUNT)])
    expect(one.run.code).toBe(0)

    const many = await step(Array.from({ length: COUNT }, (_, n) => task(n)))
    expect(many.run.code).toBe(0)
    expect(JSON.parse(many.run.outputs.result).map((r: { status: string }) => r.status)).toEqual(Array(COUNT).fill('FinishedSuccess'))
    // Every request passed the 2 KB front end: nothing answered 414.
    expect(many.requests.filter(r => r.status === 414)).toEqual([])
    expect(Math.max(...many.requests.map(r => Buffer.byteLength(`${r.path}?${r.query}`)))).toBeLessThanOrEqual(2_048)
    expect(many.requests.length).toBeLessThanOrEqual(2 * one.requests.length + 4 * COUNT)

    // The named tasks in one lookup, split by the budget (28 ids a request): two requests, not 30.
    const lookups = many.requests.filter(r => r.path === '/qrs/reloadtask/full')
    expect(lookups).toHaveLength(2)
    expect(lookups.map(r => many.filter(r).split(' or ').length).sort()).toEqual([2, 28])
    // The sessions of all running executions a tick: or-chains of ids, never one read per execution while several run.
    const sessionReads = many.requests.filter(r => r.path === '/qrs/executionsession/full')
    expect(sessionReads.length).toBeGreaterThan(0)
    for (const read of sessionReads) expect(many.filter(read)).toMatch(/^id eq [0-9a-f-]{36}( or id eq [0-9a-f-]{36})*$/)
    expect(Math.max(...sessionReads.map(r => many.filter(r).split(' or ').length))).toBe(28)
    // Per tick as many requests as one execution's: the session reads are about one target's polls.
    const onePolls = one.requests.filter(r => r.path.startsWith('/qrs/executionsession/')).length
    const manyPolls = many.requests.filter(r => r.path.startsWith('/qrs/executionsession/')).length
    expect(manyPolls).toBeLessThanOrEqual(3 * onePolls)
    // The results of those that ended: a few batched reads for all 30, each result read.
    const resultReads = many.requests.filter(r => r.path === '/qrs/executionresult/full')
    expect(resultReads.length).toBeLessThanOrEqual(10)
    const executions = JSON.parse(many.run.outputs.result).map((r: { 'execution-id': string }) => r['execution-id'])
    for (const id of executions) expect(resultReads.some(r => many.filter(r).includes(id))).toBe(true)
  }, 120_000)
})
