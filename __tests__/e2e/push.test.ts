import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { request } from 'node:http'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { runAction, startAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { IDS, certificateInputs, testSite } from '../helpers/site.js'
import { freePort } from '../helpers/tinyproxy.js'

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ scenario: testSite(), certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())

async function pushInputs(extra: Record<string, string> = {}) {
  const port = await freePort()
  return certificateInputs(sim, {
    // A slow safety poll: without the callbacks the step would notice the end up to 30 s late.
    'max-poll-interval': '30s',
    'notify-listen': `127.0.0.1:${port}`,
    'notify-url': `http://127.0.0.1:${port}/qlik-notify`,
    'task-id': IDS.long,
    ...extra
  })
}

/** Someone posts to the step's listener: a callback with a body that lies. */
function forge(url: string, body: string): Promise<number> {
  return new Promise(resolve => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, res => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', () => resolve(0))
    req.end(body)
  })
}

const sessionPolls = (executionId: string) => sim.requests.filter(r => r.path === `/qrs/executionsession/${executionId}`).length

describe('push wake-ups (notify-listen, notify-url)', () => {
  it('subscribes to its own execution, wakes up on the callbacks instead of polling, and removes the subscription', async () => {
    const inputs = await pushInputs()
    const run = await runAction(inputs)
    expect(run.stdout).not.toMatch(/::error|::warning/)
    expect(run.outputs.status).toBe('FinishedSuccess')
    expect(run.stdout).toMatch(/Push wake-ups on: the QRS calls http:\/\/127\.0\.0\.1:\d+\/qlik-notify/)
    const deliveries = sim.notifications.deliveries().filter(d => d.url.startsWith(`${inputs['notify-url']}/`))
    expect(deliveries.length).toBeGreaterThan(0)
    expect(deliveries.every(d => d.status === 200)).toBe(true)
    // A 4 s reload, adaptive polling alone would poll about eight times; the safety poll is 30 s.
    expect(sessionPolls(run.outputs['execution-id'])).toBeLessThanOrEqual(3)
    expect(sim.notifications.active().filter(a => a.url.startsWith(`${inputs['notify-url']}/`))).toHaveLength(0)
    expect(run.stdout).toMatch(/Removed the notification subscription \(\d+ wake-ups? received\)/)
  })

  it('removes the subscription when the reload fails', async () => {
    const inputs = await pushInputs({ 'task-id': IDS.fail })
    const run = await runAction(inputs)
    expect(run.code).toBe(1)
    expect(run.outputs.status).toBe('FinishedFail')
    expect(sim.notifications.active().filter(a => a.url.startsWith(`${inputs['notify-url']}/`))).toHaveLength(0)
    expect(sim.notifications.removed().length).toBeGreaterThan(0)
  })

  it('removes the subscription when the job is cancelled', async () => {
    const inputs = await pushInputs({ 'task-id': IDS.slow })
    const step = startAction(inputs)
    for (let i = 0; i < 200 && !/Push wake-ups on/.test(step.stdout()); i++) await new Promise(done => setTimeout(done, 50))
    expect(sim.notifications.active().filter(a => a.url.startsWith(`${inputs['notify-url']}/`))).toHaveLength(1)
    step.child.kill('SIGINT')
    const run = await step.done
    expect(run.stdout).toMatch(/The job was cancelled: stopped task/)
    expect(sim.notifications.active().filter(a => a.url.startsWith(`${inputs['notify-url']}/`))).toHaveLength(0)
  })

  it('never takes a callback body as the truth: forged callbacks cannot change the result', async () => {
    const inputs = await pushInputs({ 'task-id': IDS.fail })
    const step = startAction(inputs)
    const lie = JSON.stringify([{ objectType: 'ExecutionResult', objectID: '00000000-0000-0000-0000-000000000001', changeType: 2, status: 7, statusName: 'FinishedSuccess' }])
    let accepted = 0
    for (let i = 0; i < 100 && step.child.exitCode === null; i++) {
      const registered = sim.notifications.active().find(n => n.url.startsWith(`${inputs['notify-url']}/`))?.url
      if (registered) accepted += (await forge(registered, lie)) === 200 ? 1 : 0
      await new Promise(done => setTimeout(done, 20))
    }
    const run = await step.done
    expect(accepted).toBeGreaterThan(0)
    expect(run.code).toBe(1)
    expect(run.outputs.status).toBe('FinishedFail')
    const truth = sim.state.results.filter(r => r.executionID === run.outputs['execution-id']).at(-1)
    expect(truth?.status).toBe(8)
    expect(run.outputs['execution-result-id']).toBe(truth?.id)
  })

  it('falls back to polling, with a warning, when the QRS refuses the subscription', async () => {
    sim.faults.add({ method: 'POST', path: '/qrs/notification', times: 1, action: { kind: 'status', status: 403, body: 'Forbidden' } })
    const run = await runAction(await pushInputs({ 'task-id': IDS.ok, 'max-poll-interval': '2s' }))
    expect(run.stdout).toMatch(/::warning::Push wake-ups off: the QRS refused the notification subscription \(POST \/qrs\/notification answered 403/)
    expect(run.outputs.status).toBe('FinishedSuccess')
  })

  /** QRS requests (certificate listener) recorded in [from, to). */
  const qrsRequests = (from: number, to: number) => sim.requests.filter(r => r.time >= from && r.time < to && r.listener === 'qrs').length

  it('a flood of 1,000 callbacks, to the registered URL and to others, costs only a handful of QRS reads', async () => {
    const quietFrom = Date.now()
    const quiet = await runAction(await pushInputs())
    const quietRequests = qrsRequests(quietFrom, Date.now())
    expect(quiet.outputs.status).toBe('FinishedSuccess')

    const inputs = await pushInputs()
    const floodFrom = Date.now()
    const step = startAction(inputs)
    let registered: string | undefined
    for (let i = 0; i < 200 && !registered; i++) {
      registered = sim.notifications.active().find(n => n.url.startsWith(`${inputs['notify-url']}/`))?.url
      if (!registered) await new Promise(done => setTimeout(done, 25))
    }
    expect(registered).toMatch(/\/qlik-notify\/[A-Za-z0-9_-]{20,}$/)
    const others = [inputs['notify-url'], `${inputs['notify-url']}/guessed-token`, `${inputs['notify-url'].replace(/\/qlik-notify$/, '')}/`]
    const statuses = new Map<number, number>()
    // 1,000 callbacks over the reload, 20 at a time.
    for (let sent = 0; sent < 1_000 && step.child.exitCode === null; sent += 20) {
      const batch = Array.from({ length: 20 }, (_, i) => forge(i % 2 === 0 ? registered! : others[i % others.length], '[]'))
      for (const status of await Promise.all(batch)) statuses.set(status, (statuses.get(status) ?? 0) + 1)
      await new Promise(done => setTimeout(done, 60))
    }
    const run = await step.done
    const floodRequests = qrsRequests(floodFrom, Date.now())
    expect(run.code).toBe(0)
    expect(run.outputs.status).toBe('FinishedSuccess')
    expect(statuses.get(404)).toBeGreaterThan(100)
    expect(statuses.get(200)).toBeGreaterThan(100)
    // The unregistered paths woke nothing; wake-ups are 1 s apart: about one pair of reads a second.
    expect(floodRequests - quietRequests).toBeLessThanOrEqual(10)
    // The token is masked: only its ::add-mask:: line holds it.
    const token = registered!.split('/').at(-1)!
    expect(run.stdout.split('\n').filter(line => line.includes(token))).toEqual([`::add-mask::${token}`])
  }, 60_000)

  it('refuses notify-url with https:// before any request, naming the input', async () => {
    const from = Date.now()
    const inputs = await pushInputs()
    const run = await runAction({ ...inputs, 'notify-url': inputs['notify-url'].replace('http:', 'https:') })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::.*notify-url.*http:\/\//)
    expect(sim.requests.filter(r => r.time >= from)).toHaveLength(0)
  })

  it('several targets share one subscription and one path: one wake-up reads all of them, none falls back to polling', async () => {
    const inputs = await pushInputs({ 'task-id': `${IDS.ok}\n${IDS.quote}` })
    const from = sim.requests.length
    const run = await runAction(inputs)
    expect(run.code).toBe(0)
    expect(run.stdout).not.toMatch(/Push wake-ups off/)
    expect(run.stdout.match(/Push wake-ups on/g)).toHaveLength(1)
    expect(run.stdout).toMatch(/when the status of a run of any of 2 tasks changes/)
    const subscribes = sim.requests.slice(from).filter(r => r.method === 'POST' && r.path === '/qrs/notification')
    expect(subscribes).toHaveLength(1)
    expect(new URLSearchParams(subscribes[0].query).get('filter')).toBe(`TaskID eq ${IDS.ok} or TaskID eq ${IDS.quote}`)
    const deliveries = sim.notifications.deliveries().filter(d => d.url.startsWith(`${inputs['notify-url']}/`))
    expect(new Set(deliveries.map(d => d.url)).size).toBe(1)
    // Callbacks for both executions' results, on the one path.
    const results = new Set(deliveries.map(d => (JSON.parse(d.body) as { objectID: string }[])[0].objectID))
    expect(results.size).toBeGreaterThanOrEqual(2)
    expect(sim.requests.slice(from).filter(r => r.method === 'DELETE' && r.path === '/qrs/notification')).toHaveLength(1)
    expect(sim.notifications.active().filter(a => a.url.startsWith(`${inputs['notify-url']}/`))).toHaveLength(0)
  })
})
