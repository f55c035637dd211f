import { describe, expect, it } from '@jest/globals'
import { chainLines, chainNodes, followChain, type ChainContext } from '../../src/chain/follow.js'
import type { QrsApi } from '../../src/qrs/api.js'
import type { CompositeEvent, ExecutionResult, ReloadTask } from '../../src/qrs/types.js'
import { fakeClock } from '../helpers/fake-clock.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

const id = (n: number): string => `a1000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const UP = id(1)
const STOP = '2026-03-01T10:00:00.000Z'
const at = (seconds: number): string => new Date(Date.parse(STOP) + seconds * 1000).toISOString()

type Rule = CompositeEvent['compositeRules'][number]
const rule = (taskId: string, ruleState: 1 | 2, operational?: Rule['operational']): Rule => ({ ruleState, reloadTask: { id: taskId }, operational })
const event = (n: number, name: string, downstream: { id: string; name?: string } | undefined, rules: Rule[], extra: Partial<CompositeEvent> = {}): CompositeEvent => ({
  id: `f1000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  name,
  reloadTask: downstream,
  compositeRules: rules,
  ...extra
})

/**
 * A site after the upstream task ended: `runs` are the downstream runs (by task: created at, final
 * status; undefined status: still running), `last` the last result of other tasks.
 */
function site(
  events: CompositeEvent[],
  runs: Record<string, { created: string; status?: number; duration?: number }>,
  last: Record<string, { status: number; stopTime: string }> = {}
) {
  const reads: string[] = []
  // A run stops 3 s after it was created.
  const result = (taskId: string): ExecutionResult => ({
    id: `r-${taskId}`,
    executionID: `e-${taskId}`,
    taskID: taskId,
    createdDate: runs[taskId].created,
    stopTime: new Date(Date.parse(runs[taskId].created) + 3_000).toISOString(),
    status: runs[taskId].status ?? 2,
    duration: runs[taskId].duration
  })
  const api = {
    compositeEvents: async () => (reads.push('events'), events),
    compositeEvent: async (eventId: string) => events.find(e => e.id === eventId),
    reloadTasks: async (filter: string) => {
      const taskId = /id eq (\S+)/.exec(filter)?.[1] ?? ''
      return last[taskId] ? [{ id: taskId, name: taskId, operational: { lastExecutionResult: last[taskId] } }] : []
    },
    taskExecutionResults: async (taskId: string) => (runs[taskId] ? [{ ...result(taskId), executionID: `other-${taskId}`, createdDate: at(-600) }, result(taskId)] : []),
    executionSession: async (executionId: string) => {
      const taskId = executionId.replace(/^e-/, '')
      return runs[taskId]?.status === undefined ? { id: executionId, executionResult: { status: 2 } } : undefined
    },
    executionResults: async (executionId: string) => [result(executionId.replace(/^e-/, ''))],
    with: () => api
  }
  return { api: api as unknown as QrsApi, reads }
}

function context(extra: Partial<ChainContext> = {}): ChainContext & { log: FakeToolkit } {
  const clock = fakeClock()
  return { clock, log: new FakeToolkit(), deadline: clock.now() + 300_000, maxPollIntervalMs: 5_000, visited: new Set(), claimed: new Set(), ...extra } as ChainContext & {
    log: FakeToolkit
  }
}

const upstream = (status: number): { task: ReloadTask; result: ExecutionResult } => ({ task: { id: UP, name: 'Upstream' }, result: { id: 'r-up', status, stopTime: STOP } })

describe('followChain: the task chain an execution sets off', () => {
  it('follows each trigger the outcome fires, waits for its run, and goes on from there', async () => {
    const [next, fails, later] = [id(2), id(3), id(4)]
    const events = [
      event(1, 'After upstream', { id: next, name: 'Next' }, [rule(UP, 1)]),
      event(2, 'Also after upstream', { id: fails, name: 'Fails' }, [rule(UP, 1)]),
      event(3, 'After next', { id: later, name: 'Later' }, [rule(next, 1)]),
      event(4, 'On failure only', { id: id(9), name: 'Alert' }, [rule(UP, 2)]),
      event(5, 'Disabled', { id: id(8), name: 'Off' }, [rule(UP, 1)], { enabled: false })
    ]
    const { api, reads } = site(events, { [next]: { created: at(1), status: 7, duration: 2_000 }, [fails]: { created: at(2), status: 8 }, [later]: { created: at(5), status: 7 } })
    const ctx = context()
    const nodes = await followChain(api, upstream(7), ctx)
    expect(reads).toEqual(['events'])
    expect(nodes).toEqual([
      expect.objectContaining({
        taskName: 'Next',
        eventName: 'After upstream',
        executionId: `e-${next}`,
        status: 'FinishedSuccess',
        durationMs: 2_000,
        failed: false,
        children: [expect.objectContaining({ taskName: 'Later', status: 'FinishedSuccess', durationMs: null, failed: false, children: [] })]
      }),
      expect.objectContaining({ taskName: 'Fails', status: 'FinishedFail', statusCode: 8, failed: true })
    ])
    expect(chainNodes(nodes).map(node => node.taskName)).toEqual(['Next', 'Later', 'Fails'])
    expect(chainLines(nodes)).toEqual([
      "└ Next (via 'After upstream'): FinishedSuccess (7), 2s",
      "  └ Later (via 'After next'): FinishedSuccess (7)",
      "└ Fails (via 'Also after upstream'): FinishedFail (8)"
    ])
    expect(ctx.log.log).toContain(`Chain: 'After upstream' started 'Next' (execution e-${next}).`)
    // Each run claimed once: the older run of the same task (before the upstream stop) was never taken.
    expect([...ctx.claimed].sort()).toEqual([`e-${next}`, `e-${fails}`, `e-${later}`])
  })

  it('an outcome no rule knows (Skipped) fires nothing', async () => {
    const { api, reads } = site([event(1, 'E', { id: id(2) }, [rule(UP, 1)])], {})
    expect(await followChain(api, upstream(9), context())).toEqual([])
    expect(reads).toEqual([])
  })

  it('says why a trigger was not followed: no task, a cycle, no run within the fire window, still running at the timeout', async () => {
    const events = [
      event(1, 'Nameless', undefined, [rule(UP, 1)]),
      event(2, 'Back to upstream', { id: UP, name: 'Upstream' }, [rule(UP, 1)]),
      event(3, 'Never ran', { id: id(5), name: 'Idle' }, [rule(UP, 1)]),
      event(4, 'Slow', { id: id(6), name: 'Slow' }, [rule(UP, 1)])
    ]
    const { api } = site(events, { [id(6)]: { created: at(1) } })
    const clock = fakeClock()
    const nodes = await followChain(api, upstream(7), context({ clock, deadline: clock.now() + 90_000 }))
    expect(nodes.map(node => [node.taskName, node.note, node.failed])).toEqual([
      ['(unknown task)', 'the trigger names no task', false],
      ['Upstream', 'already in this chain (a cycle): not followed again', false],
      ['Idle', 'no run of it started after the trigger (disabled trigger or task?)', false],
      ['Slow', 'still running when the timeout passed', true]
    ])
    expect(nodes[3]).toMatchObject({ status: 'Started', statusCode: 2 })
  })

  it('a trigger that also needs other tasks: followed when they met it within its window, else a warning', async () => {
    const [met, unmet, unknown] = [id(11), id(12), id(13)]
    const window = { minutes: 10 }
    const events = [
      // The server recorded the other rule as met two minutes before the upstream stop.
      event(1, 'Both done', { id: id(21), name: 'Report' }, [rule(UP, 1), rule(met, 1, { currentState: 1, timeStamp: at(-120) })], { timeConstraint: window }),
      // Recorded, but too long ago.
      event(2, 'Stale partner', { id: id(22), name: 'Stale' }, [rule(UP, 1), rule(unmet, 1, { currentState: 1, timeStamp: at(-3_600) })], { timeConstraint: window }),
      // Not recorded (currentState 0): the partner's last run decides; it failed.
      event(3, 'Partner failed', { id: id(23), name: 'Blocked' }, [rule(UP, 1), rule(unknown, 1, { currentState: 0 })], { timeConstraint: window })
    ]
    const { api } = site(events, { [id(21)]: { created: at(3), status: 7 } }, { [unknown]: { status: 8, stopTime: at(-30) } })
    const ctx = context()
    const nodes = await followChain(api, upstream(7), ctx)
    expect(nodes.map(node => [node.taskName, node.status, node.warning ?? false])).toEqual([
      ['Report', 'FinishedSuccess', false],
      ['Stale', undefined, true],
      ['Blocked', undefined, true]
    ])
    expect(nodes[1].note).toBe(`fires only when '${unmet}' succeeds too, within 10 min: it may never fire, so the chain is not waited for here`)
    expect(ctx.log.annotations).toEqual([
      {
        level: 'warning',
        title: "Qlik task chain: trigger 'Stale partner' will not fire",
        message: `Trigger 'Stale partner' will not start 'Stale' now: it fires only when '${unmet}' succeeds too (within 10 min), not on 'Upstream' alone. The chain is not waited for past 'Upstream'.`
      },
      expect.objectContaining({ title: "Qlik task chain: trigger 'Partner failed' will not fire" })
    ])
  })
})
