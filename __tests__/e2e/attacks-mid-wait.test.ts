/**
 * Issue 20, item 11: mid-wait surprises do not end a running reload's step. A 200 with an HTML
 * maintenance page, a DNS failure (ENOTFOUND), a proxy session that expires (401): ridden out or
 * signed in again. The cookie jar is bounded. A subscription whose answer was lost is accounted for.
 *
 * Decisions:
 * - During the wait, an HTML page where JSON was expected (any status) and a DNS failure are
 *   transient, ridden out up to `timeout` like an outage. A 401 or a login redirect signs in again
 *   (as today, once per request), and a 401 that persists after signing in again is ridden out too,
 *   signing in again with the backoff, up to `timeout`.
 * - The cookie jar keeps at most 20 cookies of at most 4 KiB each and 8 KiB in all: a cookie already
 *   in the jar is updated, a new one past the bound is dropped (a debug line says so), so the session
 *   cookie, set first, stays.
 * - A notification subscription whose answer was lost cannot be removed: the QRS has no list to find
 *   its handle in. The step's one subscription is for the status of its tasks' runs (issue 21), so it
 *   does not fall silent: later runs of those tasks call its address, where nothing answers once the
 *   step has ended. The step says so in a warning ("... the answer to the notification subscription was
 *   lost ... If the QRS made it, it stays there ...", naming the tasks) instead of calling it refused.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startSimulator, type Simulator } from '../../simulator/src/index.js'
import { runAction, startAction, type RunningAction } from '../helpers/local-runner.js'
import { testCertificates } from '../helpers/certs.js'
import { freePort } from '../helpers/tinyproxy.js'
import { IDS, certificateInputs, jwtInputs, testSite } from '../helpers/site.js'

const SESSION = /^\/qrs\/executionsession\/[0-9a-f-]{36}$/i

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator({ scenario: testSite(), certsDir: testCertificates().dir, quiet: true })
})
afterAll(async () => sim?.close())

const sleep = (ms: number) => new Promise(done => setTimeout(done, ms))
const errors = (stdout: string): string[] => stdout.split('\n').filter(line => line.startsWith('::error'))

/** Resolves once the step is waiting on its execution (its first status line is out). */
async function waiting(step: RunningAction): Promise<void> {
  for (let i = 0; i < 300 && !/\+\d+\w* (Triggered|Started)/.test(step.stdout()); i++) await sleep(25)
  expect(step.stdout()).toMatch(/Triggered|Started/)
}

describe('item 11: mid-wait surprises do not end a running reload', () => {
  it('200 with an HTML maintenance page on three session reads: ridden out, the success reported', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'GET', path: SESSION, after: 1, times: 3, action: { kind: 'html' } })
    const run = await runAction(certificateInputs(sim, { 'task-id': IDS.long }))
    expect(errors(run.stdout)).toEqual([])
    expect([run.code, run.outputs.status]).toEqual([0, 'FinishedSuccess'])
    expect(sim.faults.applied()).toHaveLength(3)
  })

  it('DNS failure (ENOTFOUND) for 3 s in the middle of the wait: ridden out, the success reported', async () => {
    sim.faults.clear()
    const flag = join(mkdtempSync(join(tmpdir(), 'qsr-dns-')), 'down')
    const step = startAction(certificateInputs(sim, { 'task-id': IDS.long }), {
      nodeArgs: ['--import', resolve('__tests__/helpers/dns-outage.mjs')],
      env: { QSR_DNS_DOWN_FILE: flag }
    })
    await waiting(step)
    // The name stops resolving, and for as long the session reads drop their connection: every read
    // in those 3 s (a second apart at most) needs a new connection, so a name lookup.
    writeFileSync(flag, '')
    sim.faults.add({ method: 'GET', path: SESSION, forMs: 3_000, action: { kind: 'reset' } })
    await sleep(3_000)
    rmSync(flag)
    const run = await step.done
    expect(errors(run.stdout)).toEqual([])
    expect([run.code, run.outputs.status]).toEqual([0, 'FinishedSuccess'])
    expect(sim.faults.applied().length).toBeGreaterThan(0)
  })

  it.each([
    ['the proxy forgets its sessions (401 to the cookie)', { kind: 'drop-sessions' } as const, 1],
    ['the proxy answers 401 twice in a row (the sign-in again refused once)', { kind: 'status', status: 401 } as const, 2]
  ])('JWT through the proxy, %s: signed in again, the success reported', async (_name, action, times) => {
    sim.faults.clear()
    const step = startAction(jwtInputs(sim, { 'task-id': IDS.long }))
    await waiting(step)
    sim.faults.add({ method: 'GET', path: SESSION, times, action })
    const run = await step.done
    expect(errors(run.stdout)).toEqual([])
    expect([run.code, run.outputs.status]).toEqual([0, 'FinishedSuccess'])
    expect(sim.faults.applied()).toHaveLength(times)
  })

  it('a flood of cookies (20 new ones on each of 30 answers) does not grow the requests without bound', async () => {
    sim.faults.clear()
    const since = Date.now()
    sim.faults.add({ path: /^\/qrs\//, times: 30, action: { kind: 'set-cookies', count: 20, bytes: 200 } })
    const run = await runAction(certificateInputs(sim, { 'task-id': IDS.long }))
    const cookieBytes = sim.requests.filter(r => r.time >= since).map(r => String(r.headers.cookie ?? '').length)
    expect(errors(run.stdout)).toEqual([])
    expect([run.code, run.outputs.status]).toEqual([0, 'FinishedSuccess'])
    expect(Math.max(...cookieBytes)).toBeLessThanOrEqual(8 * 1024)
  })

  it('a subscription whose answer was lost: the step says it may stay, for which tasks, and that nothing answers it after the step', async () => {
    sim.faults.clear()
    sim.faults.add({ method: 'POST', path: '/qrs/notification', action: { kind: 'reset-after-handling' } })
    const before = sim.notifications.active().length
    const port = await freePort()
    const run = await runAction(certificateInputs(sim, { 'task-id': IDS.long, 'notify-listen': `127.0.0.1:${port}`, 'notify-url': `http://127.0.0.1:${port}/qlik-notify` }))
    expect([run.code, run.outputs.status]).toEqual([0, 'FinishedSuccess'])
    // The QRS made it and nobody can remove it: it is for the status of the task's runs.
    const left = sim.notifications.active().slice(before)
    expect(left).toHaveLength(1)
    expect(left[0]).toMatchObject({ filter: `TaskID eq ${IDS.long}`, changeType: 'Update', propertyName: 'status' })
    const warnings = run.stdout.split('\n').filter(line => line.startsWith('::warning'))
    expect(warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `subscription was lost .*If the QRS made it, it stays there .*a run of task ${IDS.long} changes, later runs too, and nothing answers there once this step has ended\\.$`
        )
      )
    ])
    // A later run of the task: the QRS calls that address, and nothing answers.
    sim.faults.clear()
    sim.startTask(IDS.long)
    const deliveries = () => sim.notifications.deliveries().filter(d => d.handle === left[0].handle)
    for (let i = 0; i < 100 && deliveries().length === 0; i++) await sleep(100)
    expect(deliveries()[0]).toMatchObject({ status: 'error' })
  })
})
