import { describe, expect, it } from '@jest/globals'
import type { ExecutionResult, ExecutionSession } from '../../src/qrs/types.js'
import { ExecutionPoller } from '../../src/reload/poller.js'
import { waitForExecution, type ExecutionReader, type WaitOutcome } from '../../src/reload/wait.js'
import { ConnectionError, QrsError, UnexpectedAnswer, WrongFieldsAnswer } from '../../src/util/errors.js'
import { fakeClock } from '../helpers/fake-clock.js'

const START = 1_000_000
const EXEC = (i: number) => `e0000000-0000-4000-8000-${String(i).padStart(12, '0')}`

/**
 * A site on the fake clock: execution i runs until `ends[i]` ms after START (session there, result
 * Started), then its session is gone and its result final (7). Every read is recorded with the time and the
 * ids it named; `fail(at)` makes the reads answer with an error while it says so.
 */
function site(clock: { now(): number }, ends: number[], options: { batched?: boolean; fail?: (at: number, ids: string[]) => Error | undefined; noIds?: boolean } = {}) {
  const reads: { at: number; what: 'session' | 'sessions' | 'results'; ids: string[] }[] = []
  const endOf = (id: string) => START + ends[Number(id.slice(-12))]
  const session = (id: string): ExecutionSession | undefined => (clock.now() < endOf(id) ? { id, executionResult: { id: `r-${id}`, status: 2 } } : undefined)
  const result = (id: string): ExecutionResult =>
    clock.now() < endOf(id)
      ? { id: `r-${id}`, executionID: options.noIds ? undefined : id, status: 2, startTime: '2026-01-01T10:00:00.000Z' }
      : { id: `r-${id}`, executionID: options.noIds ? undefined : id, status: 7, startTime: '2026-01-01T10:00:00.000Z', stopTime: '2026-01-01T10:00:05.000Z' }
  const record = (what: 'session' | 'sessions' | 'results', ids: string[]): void => {
    reads.push({ at: clock.now() - START, what, ids })
    const error = options.fail?.(clock.now() - START, ids)
    if (error) throw error
  }
  const reader: ExecutionReader = {
    executionSession: async id => (record('session', [id]), session(id)),
    executionResults: async id => (record('results', [id]), [result(id)]),
    ...(options.batched === false
      ? {}
      : {
          executionSessionsOf: async (ids: string[]) => (record('sessions', ids), ids.flatMap(id => session(id) ?? [])),
          executionResultsOf: async (ids: string[]) => (record('results', ids), ids.map(result))
        })
  }
  return { reader, reads }
}

const options = { timeoutMs: 120_000, maxPollIntervalMs: 15_000 }

/** A repeatable jitter source: each execution's gaps differ, as with Math.random. */
function seeded(seed = 7): () => number {
  let state = seed
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state / 2_147_483_648
  }
}
const unavailable = () => new QrsError('GET', '/qrs/executionsession/full', 503, 'Service Unavailable')

describe('ExecutionPoller: one loop for the executions of a step', () => {
  it('reads every execution due in one request per tick, and the results of those that ended in one more', async () => {
    const clock = fakeClock(START)
    const ends = Array.from({ length: 25 }, (_, i) => 20_000 + i * 40)
    const { reader, reads } = site(clock, ends)
    // Jittered gaps: each execution's own schedule differs; the ticks take along those nearly due.
    const poller = new ExecutionPoller(reader, clock, seeded())
    const outcomes = await Promise.all(ends.map((_, i) => poller.wait(EXEC(i), options)))
    expect(outcomes.every(o => o.kind === 'finished' && o.result.status === 7)).toBe(true)
    // The waits began together: each tick read all those still running at once, never one by one.
    expect(reads.filter(r => r.what === 'session')).toHaveLength(0)
    const sessions = reads.filter(r => r.what === 'sessions')
    sessions.forEach((read, k) => expect(read.ids).toHaveLength(k === 0 ? 25 : ends.filter(end => end > sessions[k - 1].at).length))
    // The results: read with the tick that saw the sessions gone, each execution once.
    const results = reads.filter(r => r.what === 'results')
    expect(results.flatMap(r => r.ids).sort()).toEqual(ends.map((_, i) => EXEC(i)).sort())
    expect(results.length).toBeLessThanOrEqual(3)
    // At most twice the reads one execution of 20 s costs alone: read together, they are looked at as if half as old...
    const oneClock = fakeClock(START)
    const one = site(oneClock, [20_000])
    await new ExecutionPoller(one.reader, oneClock, seeded()).wait(EXEC(0), options)
    expect(reads.length).toBeLessThanOrEqual(one.reads.length * 2)
    // ...so that each end is read within half the gap of its age (1 s at 20 s, +20 % jitter), where one alone may wait 2.4 s.
    const lags = ends.map((end, i) => reads.find(r => r.at >= end && r.ids.includes(EXEC(i)))!.at - end)
    expect(Math.max(...lags)).toBeLessThanOrEqual(1_200)
  })

  it('each keeps its own schedule; the next tick is the earliest any needs, taking along those nearly due', async () => {
    const clock = fakeClock(START)
    // A 2 s reload with a forecast, and a 60 s one without: the short one's checks are not held back.
    const { reader, reads } = site(clock, [2_000, 60_000])
    const poller = new ExecutionPoller(reader, clock, () => 0.5)
    const short = poller.wait(EXEC(0), { ...options, forecast: { expectedMs: 2_000, lowMs: 2_000, highMs: 2_000, runs: 1 } })
    const long = poller.wait(EXEC(1), options)
    const first = await short
    expect(first.kind).toBe('finished')
    // Noticed within the dense window's gap (300 ms) of its end, though the long one's gaps are longer.
    const noticed = reads.find(r => r.what === 'results' && r.ids.includes(EXEC(0)))!
    expect(noticed.at - 2_000).toBeGreaterThanOrEqual(0)
    expect(noticed.at - 2_000).toBeLessThanOrEqual(300)
    await long
    // The long one's reads after the short one ended follow its own schedule (a tenth of its age, up to 6 s).
    const later = reads.filter(r => r.what === 'session' && r.at > 10_000).map(r => r.at)
    const gaps = later.slice(1).map((at, i) => at - later[i])
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(800)
    expect(reads.filter(r => r.what !== 'results').every(r => r.ids.length <= 2)).toBe(true)
  })

  it('joins a wait that begins later into the next tick, and plans from it', async () => {
    const clock = fakeClock(START)
    const { reader, reads } = site(clock, [10_000, 12_000])
    const poller = new ExecutionPoller(reader, clock, () => 0.5)
    const first = poller.wait(EXEC(0), options)
    // The second begins once the first has been read a few times.
    while (reads.length < 3) await Promise.resolve()
    const second = poller.wait(EXEC(1), options)
    expect((await first).kind).toBe('finished')
    expect((await second).kind).toBe('finished')
    expect(reads.some(r => r.what === 'sessions' && r.ids.length === 2)).toBe(true)
  })

  it('rides out an outage for each execution up to its own timeout: the one with time left finishes, the other times out', async () => {
    const clock = fakeClock(START)
    const lines: string[] = []
    const { reader } = site(clock, [40_000, 40_000], { fail: at => (at >= 5_000 && at < 35_000 ? unavailable() : undefined) })
    const poller = new ExecutionPoller(reader, clock, () => 0.5)
    const [patient, hasty] = await Promise.all([
      poller.wait(EXEC(0), { ...options, log: line => lines.push(`0: ${line}`) }),
      poller.wait(EXEC(1), { ...options, timeoutMs: 20_000, log: line => lines.push(`1: ${line}`) })
    ])
    expect(patient).toMatchObject({ kind: 'finished', result: { status: 7 } })
    expect(hasty).toMatchObject({ kind: 'timeout', unanswered: expect.stringMatching(/not answering at the timeout.*503/) })
    if (hasty.kind === 'timeout') expect(hasty.elapsedMs).toBe(20_000)
    // Two lines for the one that rode it out (gone, back), one for the one that timed out in it.
    expect(lines.filter(l => l.startsWith('0:'))).toEqual([expect.stringMatching(/^0: QRS is not answering/), expect.stringMatching(/^0: QRS did not answer for 3\d s/)])
    expect(lines.filter(l => l.startsWith('1:'))).toEqual([expect.stringMatching(/^1: QRS is not answering/)])
  })

  it('rides out the surprises of a wait in a batched read too (an HTML page, a DNS failure, a 401 after signing in again), per execution', async () => {
    const clock = fakeClock(START)
    const lines: string[] = []
    const surprises = [
      new UnexpectedAnswer('GET', '/qrs/executionsession/full', 200, 'an HTML page (<html>Maintenance</html>)'),
      new ConnectionError('getaddrinfo ENOTFOUND qliksrv01.corp.example', false, 'ENOTFOUND'),
      new QrsError('GET', '/qrs/executionsession/full', 401, 'Unauthorized')
    ]
    let failed = 0
    const { reader, reads } = site(clock, [30_000, 30_000], { fail: (at, ids) => (at >= 3_000 && at < 20_000 && ids.length > 1 ? surprises[failed++ % 3] : undefined) })
    const poller = new ExecutionPoller(reader, clock, () => 0.5)
    const outcomes = await Promise.all([0, 1].map(i => poller.wait(EXEC(i), { ...options, log: line => lines.push(`${i}: ${line}`) })))
    expect(outcomes.map(o => o.kind)).toEqual(['finished', 'finished'])
    expect(failed).toBeGreaterThanOrEqual(3)
    // Still one read for both, and each execution told the outage in its two lines.
    expect(reads.filter(r => r.what === 'session')).toEqual([])
    for (const i of [0, 1]) {
      expect(lines.filter(l => l.startsWith(`${i}:`))).toEqual([
        expect.stringMatching(new RegExp(`^${i}: QRS is not answering \\(.*HTML page`)),
        expect.stringMatching(/QRS did not answer for \d+ s/)
      ])
    }
  })

  it('answers with wrong fields: a glitch is ridden out; answers that keep coming so end the wait after 20 s, saying so, long before the timeout', async () => {
    const clock = fakeClock(START)
    const wrong = () => new WrongFieldsAnswer('GET', '/qrs/executionresult/full', 200, '[0].status is a string, not a whole number')
    // A glitch of 10 s (wrong, then right, then wrong again): each run of them counts from its own start.
    const glitch = site(clock, [40_000], { fail: at => ((at >= 2_000 && at < 12_000) || (at >= 14_000 && at < 32_000) ? wrong() : undefined) })
    expect(await new ExecutionPoller(glitch.reader, clock, () => 0.5).wait(EXEC(0), options)).toMatchObject({ kind: 'finished' })
    const since = clock.now()
    const stuck = site(clock, [0], { fail: () => wrong() })
    const error = (await new ExecutionPoller(stuck.reader, clock, () => 0.5).wait(EXEC(0), options).catch((e: unknown) => e)) as Error
    expect(error).toBeInstanceOf(WrongFieldsAnswer)
    expect(error.message).toMatch(
      /^The server answered something unexpected to GET \/qrs\/executionresult\/full: \[0\]\.status is a string, not a whole number\nIt answered so for 2\d s while the step waited for execution e0+-0000-4000-8000-0+, which may still be running/
    )
    expect(clock.now() - since).toBeGreaterThanOrEqual(20_000)
    expect(clock.now() - since).toBeLessThan(40_000)
  })

  it('no read outlives the timeout of an execution it is for: a batched read ends by the earliest, a read of one by its own', async () => {
    const clock = fakeClock(START)
    const cuts: { ids: string[]; until: number }[] = []
    const { reader } = site(clock, [6_000, 6_000, 6_000])
    let until = Infinity
    const bounded: ExecutionReader = {
      executionSession: id => (cuts.push({ ids: [id], until: until - START }), reader.executionSession(id)),
      executionResults: id => (cuts.push({ ids: [id], until: until - START }), reader.executionResults(id)),
      executionSessionsOf: ids => (cuts.push({ ids, until: until - START }), reader.executionSessionsOf!(ids)),
      executionResultsOf: ids => (cuts.push({ ids, until: until - START }), reader.executionResultsOf!(ids)),
      until: deadline => ((until = deadline), bounded)
    }
    const poller = new ExecutionPoller(bounded, clock, () => 0.5)
    await Promise.all([4_000, 9_000, 20_000].map((timeoutMs, i) => poller.wait(EXEC(i), { ...options, timeoutMs })))
    expect(cuts[0]).toEqual({ ids: [EXEC(0), EXEC(1), EXEC(2)], until: 4_000 })
    // Once the first has timed out, the others' reads end by the second's timeout.
    expect(cuts.filter(c => c.ids.length > 1 && !c.ids.includes(EXEC(0))).every(c => c.until === 9_000)).toBe(true)
    expect(cuts.every(c => c.until <= Math.min(...c.ids.map(id => [4_000, 9_000, 20_000][Number(id.slice(-1))])))).toBe(true)
  })

  it('a read cut at one execution’s timeout: that one times out there, the others are read again at once, no outage told', async () => {
    const clock = fakeClock(START)
    const lines: string[] = []
    const { reader } = site(clock, [8_000, 8_000])
    let until = Infinity
    let hung = false
    const bounded: ExecutionReader = {
      ...reader,
      // The first batched read hangs: the transport cuts it at its deadline.
      executionSessionsOf: async ids => {
        if (!hung) {
          hung = true
          await clock.sleep(until - clock.now())
          throw new ConnectionError('qliksrv01:4242 did not answer in time', true)
        }
        return reader.executionSessionsOf!(ids)
      },
      until: deadline => ((until = deadline), bounded)
    }
    const poller = new ExecutionPoller(bounded, clock, () => 0.5)
    const [short, long] = await Promise.all([
      poller.wait(EXEC(0), { ...options, timeoutMs: 2_000, log: line => lines.push(`0: ${line}`) }),
      poller.wait(EXEC(1), { ...options, log: line => lines.push(`1: ${line}`) })
    ])
    expect(short).toMatchObject({ kind: 'timeout', elapsedMs: 2_000, unanswered: expect.stringMatching(/did not answer in time/) })
    expect(long).toMatchObject({ kind: 'finished' })
    expect(lines.filter(l => l.startsWith('1:'))).toEqual([])
  })

  it('a failure that does not pass ends the waits of that read, and only those', async () => {
    const clock = fakeClock(START)
    const forbidden = new QrsError('GET', '/qrs/executionsession/full', 403, 'Forbidden')
    const { reader } = site(clock, [5_000, 5_000], { fail: (_, ids) => (ids.length > 1 ? forbidden : undefined) })
    const poller = new ExecutionPoller(reader, clock, () => 0.5)
    const both = await Promise.allSettled([poller.wait(EXEC(0), options), poller.wait(EXEC(1), options)])
    expect(both.map(b => b.status)).toEqual(['rejected', 'rejected'])
    // The poller goes on for a wait that comes after.
    expect(await poller.wait(EXEC(0), options)).toMatchObject({ kind: 'finished' })
  })

  it('a server that refuses the batched list reads each execution on its own, and one failing does not hold back the others', async () => {
    const clock = fakeClock(START)
    const reads: string[] = []
    const { reader } = site(clock, [30_000, 4_000], {
      fail: (at, ids) => {
        reads.push(`${ids.length}@${at}`)
        if (ids.length > 1) return new QrsError('GET', '/qrs/executionsession/full', 400, 'Cannot parse the expression')
        if (ids[0] === EXEC(0) && at < 20_000) return new ConnectionError('reset', true)
        return undefined
      }
    })
    const poller = new ExecutionPoller(reader, clock, () => 0.5)
    const second = await Promise.race([poller.wait(EXEC(0), options).then(() => 'first'), poller.wait(EXEC(1), options).then(o => o)])
    // The second ended at 4 s and was noticed while the first's reads were failing.
    expect(second).toMatchObject({ kind: 'finished' })
    expect(clock.now() - START).toBeLessThan(6_000)
    // One batched read was tried, then none.
    expect(reads.filter(r => !r.startsWith('1@'))).toHaveLength(1)
  })

  it('a batched answer without the ids that tell its entries apart: one read per execution from then on', async () => {
    const clock = fakeClock(START)
    const { reader, reads } = site(clock, [3_000, 3_000], { noIds: true })
    const poller = new ExecutionPoller(reader, clock, () => 0.5)
    const outcomes = await Promise.all([poller.wait(EXEC(0), options), poller.wait(EXEC(1), options)])
    expect(outcomes.map(o => o.kind)).toEqual(['finished', 'finished'])
    const firstResults = reads.findIndex(r => r.what === 'results')
    expect(reads[firstResults].ids).toHaveLength(2)
    expect(reads.slice(firstResults + 1).every(r => r.ids.length === 1)).toBe(true)
  })

  it('a cancelled wait leaves at once; the others go on', async () => {
    const clock = fakeClock(START)
    const { reader } = site(clock, [10_000, 10_000])
    const poller = new ExecutionPoller(reader, clock, () => 0.5)
    const cancel = new AbortController()
    const cancelled = poller.wait(EXEC(0), { ...options, signal: cancel.signal })
    const other = poller.wait(EXEC(1), options)
    cancel.abort(new Error('cancelled'))
    await expect(cancelled).rejects.toThrow('cancelled')
    expect(await other).toMatchObject({ kind: 'finished' })
    await expect(poller.wait(EXEC(0), { ...options, signal: cancel.signal })).rejects.toThrow('cancelled')
  })

  it('push: a wake-up reads the results of the waits with push at once, and only theirs', async () => {
    const clock = fakeClock(START)
    const { reader, reads } = site(clock, [1_000_000, 1_000_000])
    const poller = new ExecutionPoller(reader, clock, () => 0.5)
    const done: WaitOutcome[] = []
    void poller.wait(EXEC(0), { ...options, timeoutMs: 30_000, push: { safetyPollMs: 15_000 } }).then(o => done.push(o))
    void poller.wait(EXEC(1), { ...options, timeoutMs: 30_000 }).then(o => done.push(o))
    while (reads.length < 1) await Promise.resolve()
    const before = reads.length
    poller.wake()
    while (reads.length === before) await Promise.resolve()
    expect(reads.at(-1)).toMatchObject({ what: 'results', ids: [EXEC(0)] })
    while (done.length < 2) await new Promise(resolve => setImmediate(resolve))
    expect(done.map(o => o.kind)).toEqual(['timeout', 'timeout'])
    // Besides the wake-up, the one with push was read at the safety poll only, or taken along by the other's ticks: never a read of its own.
    const own = reads.filter(r => r.ids.includes(EXEC(0)) && r.what !== 'results' && !r.ids.includes(EXEC(1)))
    expect(own).toHaveLength(0)
  })

  it('takes a forecast that comes later for the gaps after it', async () => {
    const clock = fakeClock(START)
    const { reader, reads } = site(clock, [60_000])
    let arrive: (forecast: { expectedMs: number; lowMs: number; highMs: number; runs: number }) => void = () => undefined
    const later = new Promise<{ expectedMs: number; lowMs: number; highMs: number; runs: number }>(resolve => (arrive = resolve))
    const poller = new ExecutionPoller(reader, clock, () => 0.5)
    const outcome = poller.wait(EXEC(0), { ...options, forecast: { expectedMs: 20_000, lowMs: 20_000, highMs: 20_000, runs: 1 }, forecastLater: later })
    arrive({ expectedMs: 60_000, lowMs: 59_000, highMs: 61_000, runs: 5 })
    expect(await outcome).toMatchObject({ kind: 'finished' })
    // First check at half the first forecast (10 s), then the later one's: few checks before its window near 60 s.
    expect(reads[0].at).toBe(10_000)
    expect(reads.filter(r => r.at > 10_000 && r.at < 55_000).length).toBeLessThanOrEqual(3)
  })

  it('waitForExecution is a poller of one: the documented recipe, one request per look', async () => {
    const clock = fakeClock(START)
    const { reader, reads } = site(clock, [3_000], { batched: false })
    expect(await waitForExecution(reader, EXEC(0), { ...options, clock, random: () => 0.5 })).toMatchObject({ kind: 'finished' })
    expect(reads.map(r => r.what)).toEqual([...reads.slice(0, -1).map(() => 'session'), 'results'])
  })
})
