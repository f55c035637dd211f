/** Task chains: composite events fire downstream tasks like the scheduler (doc section 10). */
import { afterEach, describe, expect, it } from '@jest/globals'
import type { Scenario, ScenarioCompositeEvent, Simulator, Switches } from '../src/index.js'
import { appId, call, sleep, start, testCerts, testScenario, waitFor } from './helpers.js'

const certs = testCerts('chains')
const unset = '1753-01-01T00:00:00.000Z'

const t = {
  a: 'c0000000-0000-4000-8000-00000000000a',
  b: 'c0000000-0000-4000-8000-00000000000b',
  c: 'c0000000-0000-4000-8000-00000000000c',
  d: 'c0000000-0000-4000-8000-00000000000d',
  x: 'c0000000-0000-4000-8000-0000000000e1',
  fail: 'c0000000-0000-4000-8000-0000000000f1',
  skip: 'c0000000-0000-4000-8000-0000000000f2',
  prog: 'c0000000-0000-4000-8000-0000000000f3'
}
const ev = (n: number): string => `e0000000-0000-4000-8000-${String(n).padStart(12, '0')}`

function scenario(events: ScenarioCompositeEvent[]): Scenario {
  const s = testScenario()
  const ok = [{ attempts: [{ outcome: 7, durationMs: 80 }] }]
  s.tasks = [
    ...(s.tasks ?? []),
    { id: t.a, name: 'Chain A', appId, runs: ok },
    { id: t.b, name: 'Chain B', appId, runs: ok },
    { id: t.c, name: 'Chain C', appId, runs: ok },
    { id: t.d, name: 'Chain D', appId, runs: ok },
    { id: t.x, name: 'Chain X', appId, runs: ok },
    { id: t.fail, name: 'Chain Fails', appId, runs: [{ attempts: [{ outcome: 8, durationMs: 80 }] }] },
    { id: t.skip, name: 'Chain Skipped', appId, runs: [{ attempts: [{ outcome: 9, durationMs: 50 }] }] },
    { id: t.prog, name: 'Chain Program', taskType: 1, runs: ok }
  ]
  s.compositeEvents = events
  return s
}

interface Result {
  id: string
  taskID: string
  executionID: string
  status: number
  startTime: string
  stopTime: string
}

let sim: Simulator | undefined
afterEach(async () => {
  await sim?.close()
  sim = undefined
})

async function open(events: ScenarioCompositeEvent[], switches: Partial<Switches> = {}): Promise<Simulator> {
  sim = await start(certs, { scenario: scenario(events), switches: { chainDelayMs: 60, ...switches } })
  return sim
}

async function startSync(s: Simulator, taskId: string): Promise<string> {
  const res = await call(s, 'POST', `/qrs/task/${taskId}/start/synchronous`, { headers: { 'X-Qlik-User': 'UserDirectory=INTERNAL; UserId=sa_api' } })
  expect(res.status).toBe(201)
  return res.json<{ value: string }>().value
}

/** The results of a task, oldest first. */
function results(s: Simulator, taskId: string): Result[] {
  return s.state.results.filter((r) => r.taskID === taskId)
}

const idle = (s: Simulator): boolean => s.state.sessions.every((x) => !x.active)
const waitIdle = (s: Simulator, firings: number): Promise<true> =>
  waitFor(async () => (s.chainFirings.length >= firings && idle(s) && s.state.results.every((r) => r.stopTime !== unset) ? true : undefined))

describe('composite events', () => {
  it('A → B → C: each downstream starts (as the scheduler) after the upstream stopTime; the routes show the events', async () => {
    const s = await open([
      { id: ev(1), name: 'After A', rules: [{ taskId: t.a, ruleState: 1 }], downstreamTaskId: t.b },
      { id: ev(2), name: 'After B', rules: [{ taskId: t.b, ruleState: 1 }], downstreamTaskId: t.c, timeConstraint: { minutes: 5 } }
    ])
    const events = (await call(s, 'GET', '/qrs/compositeevent/full')).json<any[]>()
    expect(events).toHaveLength(2)
    expect(events[0]).toMatchObject({
      id: ev(1),
      name: 'After A',
      enabled: true,
      eventType: 1,
      privileges: null,
      schemaPath: 'CompositeEvent',
      timeConstraint: { days: 0, hours: 0, minutes: 360, seconds: 0 },
      compositeRules: [{ ruleState: 1, reloadTask: { id: t.a, name: 'Chain A' }, externalProgramTask: null, userSyncTask: null }],
      reloadTask: { id: t.b, name: 'Chain B' },
      externalProgramTask: null
    })
    expect(typeof events[0].timeConstraint.id).toBe('string')
    expect(events[1].timeConstraint).toMatchObject({ days: 0, hours: 0, minutes: 5, seconds: 0 })
    expect((await call(s, 'GET', '/qrs/compositeevent')).json()).toEqual([
      { id: ev(1), privileges: null, name: 'After A', enabled: true, eventType: 1, operational: { id: expect.any(String), privileges: null, timesTriggered: 0 } },
      { id: ev(2), privileges: null, name: 'After B', enabled: true, eventType: 1, operational: { id: expect.any(String), privileges: null, timesTriggered: 0 } }
    ])
    const q = (f: string): string => `?filter=${encodeURIComponent(f)}`
    expect((await call(s, 'GET', `/qrs/compositeevent/full${q(`reloadTask.id eq ${t.c}`)}`)).json<any[]>().map((e) => e.id)).toEqual([ev(2)])
    expect((await call(s, 'GET', `/qrs/compositeevent/full${q(`compositeRules.reloadTask.id eq ${t.a}`)}`)).json<any[]>().map((e) => e.id)).toEqual([ev(1)])
    expect((await call(s, 'GET', `/qrs/compositeevent/count${q('enabled eq true')}`)).json()).toEqual({ value: 2 })
    expect((await call(s, 'GET', `/qrs/compositeevent/${ev(2)}`)).json()).toMatchObject({ id: ev(2), reloadTask: { id: t.c } })
    expect((await call(s, 'GET', `/qrs/compositeevent/${ev(9)}`)).status).toBe(404)
    expect((await call(s, 'GET', '/qrs/schemaevent/full')).json()).toEqual([])
    expect((await call(s, 'GET', `/qrs/schemaevent${q(`reloadTask.id eq ${t.a}`)}`)).json()).toEqual([])
    expect((await call(s, 'GET', `/qrs/schemaevent/full${q('name eq ')}`)).status).toBe(400)

    await startSync(s, t.a)
    await waitIdle(s, 2)
    await sleep(200)
    const [a] = results(s, t.a)
    const [b] = results(s, t.b)
    const [c] = results(s, t.c)
    expect([a.status, b.status, c.status]).toEqual([7, 7, 7])
    expect(Date.parse(b.startTime)).toBeGreaterThan(Date.parse(a.stopTime))
    expect(Date.parse(c.startTime)).toBeGreaterThan(Date.parse(b.stopTime))
    // The result's own created date too: the downstream execution did not exist before the upstream ended.
    const created = (id: string): number => Date.parse(s.state.results.find((r) => r.id === id)?.createdDate ?? '')
    expect(created(b.id)).toBeGreaterThanOrEqual(Date.parse(a.stopTime) + 50)
    expect(s.chainFirings.map((f) => [f.eventId, f.downstreamTaskId, f.executionId])).toEqual([
      [ev(1), t.b, b.executionID],
      [ev(2), t.c, c.executionID]
    ])
    expect(s.chainFirings[0].time).toBeGreaterThanOrEqual(Date.parse(a.stopTime))
    const session = s.state.sessions.find((x) => x.id === b.executionID)
    expect(session?.user).toEqual({ userDirectory: 'INTERNAL', userId: 'sa_scheduler' })
    expect(s.startCount(t.b)).toBe(1)
    expect(s.startCount(t.c)).toBe(1)
    expect(s.runningHighWater('sa_scheduler')).toBe(1)
    expect(s.runningHighWater('sa_api')).toBe(1)
  })

  it('B fails: a TaskFail (2) event fires, a TaskSuccessful (1) event does not; Skipped meets neither', async () => {
    const s = await open([
      { id: ev(1), name: 'On failure', rules: [{ taskId: t.fail, ruleState: 2 }], downstreamTaskId: t.d },
      { id: ev(2), name: 'On success', rules: [{ taskId: t.fail, ruleState: 1 }], downstreamTaskId: t.c },
      { id: ev(3), name: 'Skipped ok', rules: [{ taskId: t.skip, ruleState: 1 }], downstreamTaskId: t.c },
      { id: ev(4), name: 'Skipped failed', rules: [{ taskId: t.skip, ruleState: 2 }], downstreamTaskId: t.c },
      { id: ev(5), name: 'Disabled', enabled: false, rules: [{ taskId: t.fail, ruleState: 2 }], downstreamTaskId: t.x },
      { id: ev(6), name: 'Program after failure', rules: [{ taskId: t.fail, ruleState: 2 }], downstreamTaskId: t.prog }
    ])
    const full = (await call(s, 'GET', `/qrs/compositeevent/${ev(6)}`)).json<any>()
    expect(full).toMatchObject({ reloadTask: null, externalProgramTask: { id: t.prog, name: 'Chain Program', taskType: 1 }, userSyncTask: null })
    expect((await call(s, 'GET', `/qrs/compositeevent`)).json<any[]>().find((e) => e.id === ev(5)).enabled).toBe(false)

    await startSync(s, t.fail)
    await startSync(s, t.skip)
    await waitIdle(s, 2)
    await sleep(300)
    expect(idle(s)).toBe(true)
    expect(results(s, t.fail).map((r) => r.status)).toEqual([8])
    expect(results(s, t.skip).map((r) => r.status)).toEqual([9])
    expect(s.chainFirings.map((f) => f.eventId).sort()).toEqual([ev(1), ev(6)])
    expect(results(s, t.d).map((r) => r.status)).toEqual([7])
    expect(Date.parse(results(s, t.d)[0].startTime)).toBeGreaterThan(Date.parse(results(s, t.fail)[0].stopTime))
    expect(s.startCount(t.c)).toBe(0)
    expect(s.startCount(t.x)).toBe(0)
    expect(s.startCount(t.prog)).toBe(1)
  })

  it('an aborted upstream meets TaskFail', async () => {
    const s = await open([{ id: ev(1), name: 'On abort', rules: [{ taskId: t.b, ruleState: 2 }], downstreamTaskId: t.d }])
    s.state.tasks.find((x) => x.id === t.b)!.runs = [{ attempts: [{ outcome: 7, durationMs: 2000 }] }]
    await startSync(s, t.b)
    await waitFor(async () => (results(s, t.b)[0]?.status === 2 ? true : undefined))
    expect((await call(s, 'POST', `/qrs/task/${t.b}/stop`)).status).toBe(204)
    await waitIdle(s, 1)
    expect(results(s, t.b)[0].status).toBe(6)
    expect(results(s, t.d).map((r) => r.status)).toEqual([7])
  })

  it('a two-rule event fires only when both upstream tasks succeeded within the window, never while one never ran', async () => {
    const s = await open([
      {
        id: ev(1),
        name: 'A and X',
        rules: [
          { taskId: t.a, ruleState: 1 },
          { taskId: t.x, ruleState: 1 }
        ],
        downstreamTaskId: t.d,
        timeConstraint: { seconds: 30 }
      }
    ])
    await startSync(s, t.a)
    await sleep(500)
    await startSync(s, t.a)
    await sleep(500)
    expect(idle(s)).toBe(true)
    expect(s.chainFirings).toEqual([])
    expect(s.startCount(t.d)).toBe(0)

    await startSync(s, t.x)
    await waitIdle(s, 1)
    expect(s.chainFirings.map((f) => f.eventId)).toEqual([ev(1)])
    const d = results(s, t.d)
    expect(d).toHaveLength(1)
    const xStop = Date.parse(results(s, t.x)[0].stopTime)
    const aStop = Math.max(...results(s, t.a).map((r) => Date.parse(r.stopTime)))
    expect(Date.parse(d[0].startTime)).toBeGreaterThan(Math.max(xStop, aStop))

    // Satisfactions were reset by the firing: X alone again does not fire.
    await startSync(s, t.x)
    await sleep(500)
    expect(s.chainFirings).toHaveLength(1)
    expect(s.startCount(t.d)).toBe(1)
  })

  it('satisfactions further apart than the time constraint do not fire; close ones do', async () => {
    const s = await open([
      // Fractions of a second are a simulator extension (Qlik's fields are integers): 0.4 s.
      {
        id: ev(1),
        name: 'A and X quickly',
        rules: [
          { taskId: t.a, ruleState: 1 },
          { taskId: t.x, ruleState: 1 }
        ],
        downstreamTaskId: t.d,
        timeConstraint: { seconds: 0.4 }
      }
    ])
    expect((await call(s, 'GET', `/qrs/compositeevent/${ev(1)}`)).json<any>().timeConstraint).toMatchObject({ days: 0, hours: 0, minutes: 0, seconds: 0.4 })
    await startSync(s, t.a)
    await sleep(800)
    await startSync(s, t.x)
    await sleep(500)
    expect(idle(s)).toBe(true)
    const gap = Date.parse(results(s, t.x)[0].stopTime) - Date.parse(results(s, t.a)[0].stopTime)
    expect(gap).toBeGreaterThan(400)
    expect(s.chainFirings).toEqual([])
    expect(s.startCount(t.d)).toBe(0)

    // Both again, back to back: they end well within 0.4 s of each other and the event fires.
    await startSync(s, t.x)
    await startSync(s, t.a)
    await waitIdle(s, 1)
    expect(Math.abs(Date.parse(results(s, t.a)[1].stopTime) - Date.parse(results(s, t.x)[1].stopTime))).toBeLessThanOrEqual(400)
    expect(s.chainFirings.map((f) => f.eventId)).toEqual([ev(1)])
    expect(s.startCount(t.d)).toBe(1)
  })

  it('a circular chain fires for real and stops after maxChainFirings', async () => {
    const s = await open(
      [
        { id: ev(1), name: 'A then B', rules: [{ taskId: t.a, ruleState: 1 }], downstreamTaskId: t.b },
        { id: ev(2), name: 'B then A', rules: [{ taskId: t.b, ruleState: 1 }], downstreamTaskId: t.a }
      ],
      { maxChainFirings: 3, chainDelayMs: 30 }
    )
    await startSync(s, t.a)
    await waitIdle(s, 3)
    await sleep(400)
    expect(idle(s)).toBe(true)
    expect(s.chainFirings.map((f) => f.downstreamTaskId)).toEqual([t.b, t.a, t.b])
    expect(s.startCount(t.a)).toBe(2)
    expect(s.startCount(t.b)).toBe(2)
    // Each execution starts after the previous one ended.
    const all = [...results(s, t.a), ...results(s, t.b)].sort((x, y) => Date.parse(x.startTime) - Date.parse(y.startTime))
    for (let i = 1; i < all.length; i++) expect(Date.parse(all[i].startTime)).toBeGreaterThan(Date.parse(all[i - 1].stopTime))
    const times = s.chainFirings.map((f) => f.time)
    expect(times).toEqual([...times].sort((x, y) => x - y))
  })

  it('the default maxChainFirings (20) ends a cycle', async () => {
    const s = await open([{ id: ev(1), name: 'A then A', rules: [{ taskId: t.a, ruleState: 1 }], downstreamTaskId: t.a }], { chainDelayMs: 0 })
    s.state.tasks.find((x) => x.id === t.a)!.runs = [{ attempts: [{ outcome: 7, durationMs: 5 }] }]
    await startSync(s, t.a)
    await waitIdle(s, 20)
    await sleep(300)
    expect(s.chainFirings).toHaveLength(20)
    expect(s.startCount(t.a)).toBe(21)
  })

  it('rejects composite events with unknown tasks or bad rules', async () => {
    const bad = (e: Partial<ScenarioCompositeEvent>): Promise<unknown> =>
      start(certs, { scenario: scenario([{ id: ev(1), name: 'E', rules: [{ taskId: t.a, ruleState: 1 }], downstreamTaskId: t.b, ...e }]) })
    await expect(bad({ downstreamTaskId: ev(7) })).rejects.toThrow(/downstreamTaskId refers to unknown task/)
    await expect(bad({ rules: [{ taskId: ev(7), ruleState: 1 }] })).rejects.toThrow(/rule refers to unknown task/)
    await expect(bad({ rules: [{ taskId: t.a, ruleState: 3 as 1 }] })).rejects.toThrow(/ruleState must be 1/)
    await expect(bad({ rules: [] })).rejects.toThrow(/at least one rule/)
    await expect(bad({ id: '' })).rejects.toThrow(/needs id and name/)
    await expect(bad({ timeConstraint: { minutes: -1 } })).rejects.toThrow(/timeConstraint.minutes/)
  })
})
