import type { QrsApi } from '../qrs/api.js'
import type { CompositeEvent, ExecutionResult, ReloadTask } from '../qrs/types.js'
import { isUnset } from '../reload/dates.js'
import type { Clock } from '../util/clock.js'
import { isFailed, isSuccess, statusName } from '../reload/status.js'
import { waitForExecution } from '../reload/wait.js'
import { taskById } from '../reload/find-task.js'
import { printUntrusted } from '../output/untrusted.js'
import type { Log } from '../toolkit/toolkit.js'
import { poll } from '../util/poll.js'

/** One task the chain set off, and what it set off in turn. */
export interface ChainNode {
  taskId: string
  taskName: string
  /** The composite event (trigger) that started it. */
  eventName: string
  executionId?: string
  status?: string
  statusCode?: number
  durationMs?: number | null
  /** Why nothing (more) is known: did not fire, cycle, timed out. */
  note?: string
  /** This node counts as a failure of the chain (failed status, or still running at the timeout). */
  failed: boolean
  /** A trigger that will not fire now (it also needs other upstream tasks): annotated as a warning. */
  warning?: boolean
  children: ChainNode[]
}

export interface ChainContext {
  clock: Clock
  /** Where the chain's lines and warnings go. */
  log: Log
  signal?: AbortSignal
  /** The step's timeout, as a point in time: the chain never waits past it. */
  deadline: number
  maxPollIntervalMs: number
  /** Tasks already in the chain: a cycle is walked once. */
  visited: Set<string>
  /** Executions already claimed by a node, so two events never take the same run. */
  claimed: Set<string>
  events?: CompositeEvent[]
}

/** A trigger fires at once when its rules are met; if the downstream run does not appear within this, it did not fire. */
const FIRE_WINDOW_MS = 60_000
const LOOK_GAP_MS = 1_000
/** Server clocks are the reference; creation stamps may precede the upstream stop by a hair. */
const CLOCK_TOLERANCE_MS = 1_000

/** ruleState of QRS composite rules: 1 TaskSuccessful, 2 TaskFail. */
function ruleStateOf(status: number): number | undefined {
  if (isSuccess(status)) return 1
  return isFailed(status) ? 2 : undefined
}

function ruleTask(rule: CompositeEvent['compositeRules'][number]): { id: string; name?: string } | undefined {
  return rule.reloadTask ?? rule.externalProgramTask ?? undefined
}

function windowMs(event: CompositeEvent): number {
  const t = event.timeConstraint ?? {}
  return ((((t.days ?? 0) * 24 + (t.hours ?? 0)) * 60 + (t.minutes ?? 0)) * 60 + (t.seconds ?? 0)) * 1000
}

/**
 * Follows the composite events an ended execution triggers (protocol doc section 10): nothing tells
 * the caller that a chain fired, so for each event whose rules this outcome satisfies, the action
 * looks for a run of the downstream task created after the upstream stop, waits for it, and goes on
 * from there. A rule that also needs other tasks fires only if they met it within the event's window.
 */
export async function followChain(api: QrsApi, upstream: { task: ReloadTask; result: ExecutionResult }, context: ChainContext): Promise<ChainNode[]> {
  const state = ruleStateOf(upstream.result.status)
  if (state === undefined) return []
  context.events ??= await api.compositeEvents()
  context.visited.add(upstream.task.id.toLowerCase())
  const triggered = context.events.filter(
    event => event.enabled !== false && (event.compositeRules ?? []).some(rule => ruleTask(rule)?.id.toLowerCase() === upstream.task.id.toLowerCase() && rule.ruleState === state)
  )
  return Promise.all(triggered.map(event => followEvent(api, event, upstream, context)))
}

async function followEvent(api: QrsApi, event: CompositeEvent, upstream: { task: ReloadTask; result: ExecutionResult }, context: ChainContext): Promise<ChainNode> {
  const downstream = event.reloadTask ?? event.externalProgramTask
  const node: ChainNode = { taskId: downstream?.id ?? '', taskName: downstream?.name ?? '(unknown task)', eventName: event.name, failed: false, children: [] }
  if (!downstream) return { ...node, note: 'the trigger names no task' }
  if (context.visited.has(downstream.id.toLowerCase())) return { ...node, note: 'already in this chain (a cycle): not followed again' }
  context.visited.add(downstream.id.toLowerCase())
  const upstreamStop = Date.parse(upstream.result.stopTime ?? '')
  const others = (event.compositeRules ?? []).filter(rule => ruleTask(rule)?.id.toLowerCase() !== upstream.task.id.toLowerCase())
  const missing = await unmetRules(api, event, others, upstreamStop, windowMs(event))
  if (missing.length > 0) {
    const upstreamName = upstream.task.name || upstream.task.id
    context.log.warning(
      `Trigger '${event.name}' will not start '${node.taskName}' now: it fires only when ${missing.join(' and ')} too (within ${Math.round(windowMs(event) / 60_000)} min), not on '${upstreamName}' alone. The chain is not waited for past '${upstreamName}'.`,
      { title: `Qlik task chain: trigger '${event.name}' will not fire` }
    )
    return {
      ...node,
      warning: true,
      note: `fires only when ${missing.join(' and ')} too, within ${Math.round(windowMs(event) / 60_000)} min: it may never fire, so the chain is not waited for here`
    }
  }
  const executionId = await findDownstreamRun(api, downstream.id, upstreamStop, context, Math.min(FIRE_WINDOW_MS, windowMs(event) || FIRE_WINDOW_MS))
  if (!executionId) return { ...node, note: 'no run of it started after the trigger (disabled trigger or task?)' }
  printUntrusted(context.log, `Chain: '${event.name}' started '${downstream.name}' (execution ${executionId}).`)
  // The wait rides out outages itself (two lines each): reads that do not retry on their own.
  const outcome = await waitForExecution(api.with({ retries: 0 }), executionId, {
    log: line => printUntrusted(context.log, line),
    clock: context.clock,
    signal: context.signal,
    timeoutMs: Math.max(0, context.deadline - context.clock.now()),
    maxPollIntervalMs: context.maxPollIntervalMs
  })
  if (outcome.kind === 'timeout') {
    const status = outcome.lastStatus
    return { ...node, executionId, status: status === undefined ? undefined : statusName(status), statusCode: status, failed: true, note: 'still running when the timeout passed' }
  }
  const { result } = outcome
  const done: ChainNode = {
    ...node,
    executionId,
    status: statusName(result.status),
    statusCode: result.status,
    durationMs: typeof result.duration === 'number' && result.duration > 0 ? result.duration : null,
    failed: !isSuccess(result.status)
  }
  const task: ReloadTask = { id: downstream.id, name: downstream.name ?? '' }
  done.children = await followChain(api, { task, result }, context)
  return done
}

/**
 * The other rules of a multi-rule event that are not met within the window. The server's own record
 * of each rule (operational.currentState and timeStamp, read fresh) decides where it has one; a rule
 * it has not recorded (currentState 0, or an older server) is judged by its task's last run.
 */
async function unmetRules(api: QrsApi, event: CompositeEvent, rules: CompositeEvent['compositeRules'], upstreamStop: number, window: number): Promise<string[]> {
  if (rules.length === 0) return []
  const fresh = await api.compositeEvent(event.id)
  const inWindow = (stamp: string | undefined): boolean => !isUnset(stamp) && (window === 0 || Math.abs(upstreamStop - Date.parse(stamp ?? '')) <= window)
  const missing: string[] = []
  for (const rule of rules) {
    const task = ruleTask(rule)
    if (!task) continue
    const recorded = fresh?.compositeRules?.find(r => ruleTask(r)?.id.toLowerCase() === task.id.toLowerCase() && r.ruleState === rule.ruleState)?.operational
    let met: boolean
    if (recorded?.currentState === 1 || recorded?.currentState === 2) {
      met = recorded.currentState === rule.ruleState && inWindow(recorded.timeStamp)
    } else {
      const last = (await taskById(api, task.id))?.operational?.lastExecutionResult
      met = last?.status !== undefined && ruleStateOf(last.status) === rule.ruleState && inWindow(last.stopTime)
    }
    if (!met) missing.push(`'${task.name ?? task.id}' ${rule.ruleState === 1 ? 'succeeds' : 'fails'}`)
  }
  return missing
}

/** A run of the task created after the upstream stop and not claimed by another node. */
async function findDownstreamRun(api: QrsApi, taskId: string, upstreamStop: number, context: ChainContext, fireWindow: number): Promise<string | undefined> {
  const { clock, signal } = context
  const outcome = await poll({
    clock,
    signal,
    deadline: Math.min(context.deadline, clock.now() + fireWindow),
    read: async () => {
      const results = await api.taskExecutionResults(taskId)
      const [first] = results
        .filter(result => result.executionID && !context.claimed.has(result.executionID.toLowerCase()))
        .filter(result => Date.parse(result.createdDate ?? result.startTime ?? '') >= upstreamStop - CLOCK_TOLERANCE_MS)
        .sort((a, b) => Date.parse(a.createdDate ?? a.startTime ?? '') - Date.parse(b.createdDate ?? b.startTime ?? ''))
      // Claimed at once, before another event's look (they run side by side) can take the same run.
      if (first?.executionID) context.claimed.add(first.executionID.toLowerCase())
      return first?.executionID
    },
    done: executionId => executionId !== undefined,
    next: () => LOOK_GAP_MS
  })
  return outcome.done ? outcome.value : undefined
}

/** Every node, depth first. */
export function chainNodes(nodes: ChainNode[]): ChainNode[] {
  return nodes.flatMap(node => [node, ...chainNodes(node.children)])
}

/** The chain as indented lines: "└ Reload B (via 'After A'): FinishedSuccess (7), 2s". */
export function chainLines(nodes: ChainNode[], depth = 0): string[] {
  return nodes.flatMap(node => {
    const status = node.status ? `${node.status}${node.statusCode !== undefined ? ` (${node.statusCode})` : ''}` : ''
    const parts = [status, node.durationMs ? `${Math.round(node.durationMs / 100) / 10}s` : '', node.note ?? ''].filter(Boolean)
    return [`${'  '.repeat(depth)}└ ${node.taskName} (via '${node.eventName}'): ${parts.join(', ')}`, ...chainLines(node.children, depth + 1)]
  })
}
