import { randomUUID } from 'node:crypto'
import type { QlikUser } from './auth.js'
import { taskExecutionStatus } from './entities.js'
import { defaultRun, type ScenarioAttempt, type ScenarioRun, type Switches } from './scenario.js'
import { attachScriptLog, logReferenceFields, writesLog, type AttemptOwner } from './result-log.js'
import { ScriptLogStore } from './scriptlog.js'
import { emptyGuid, findById, newResult, now, resultAppId, unsetDate, windowMs, type ExecutionResult, type SessionState, type SimState, type TaskState } from './state.js'

/** Each abort step (AbortInitiated → Aborting → Aborted). */
const abortStepMs = 100

const enum Status {
  Triggered = 1,
  Started = 2,
  Queued = 3,
  AbortInitiated = 4,
  Aborting = 5,
  Aborted = 6,
  FinishedSuccess = 7,
  Reset = 12
}
const enum Detail {
  Error = 0,
  Warning = 1,
  Information = 2
}

/** The user composite events start downstream tasks as. */
export const schedulerUser: QlikUser = { userDirectory: 'INTERNAL', userId: 'sa_scheduler' }

/** Final statuses that meet a ruleState 2 (TaskFail) rule; 7 meets ruleState 1; 9 Skipped meets neither. */
const failedStatuses = new Set<number>([6, 8, 11, 12])

/** Statuses a stop can abort: Triggered, Started, Queued (and NeverStarted). */
const abortable = new Set<number>([0, 1, 2, 3])

const failureMessages: Record<number, string> = {
  6: 'The task was aborted',
  8: 'The task was not able to finish: script error',
  9: 'The task was skipped: the app is already being reloaded',
  11: 'The task was not able to finish: the engine reported an error',
  12: 'The task was reset by the scheduler'
}

/** One stop of a task (POST /qrs/task/{id}/stop or an id in stop/many) that reached the server. */
export interface StopRecord {
  taskId: string
  /** Date.now() when the stop was handled. */
  time: number
  /** Whether it aborted a running execution (false: the task was not running, or already aborting). */
  aborted: boolean
  /** The execution sessions it aborted (empty when `aborted` is false). */
  executionIds: string[]
}

/** A composite event that fired and the start of its downstream task. */
export interface ChainFiring {
  eventId: string
  downstreamTaskId: string
  /** Date.now() when the downstream start was made (chainDelayMs after the upstream result became final). */
  time: number
  /** The downstream execution session, or the empty GUID when nothing started (disabled, not startable, startWhileRunning "ignore"). */
  executionId: string
}

/** An execution waiting in 3 Queued for a free slot (maxConcurrentReloads). */
interface Waiting {
  session: SessionState
  go: () => void
  timer?: NodeJS.Timeout
}

/**
 * A change of an ExecutionResult or ExecutionSession, for the notification API. Changes made in
 * one tick are merged (one Update per entity, with every property changed) and reported in a
 * microtask, when the entity is consistent again.
 */
export interface RunnerChange {
  objectType: 'ExecutionResult' | 'ExecutionSession'
  objectID: string
  /** 1 Add, 2 Update, 3 Delete. */
  changeType: 1 | 2 | 3
  /** Update only: the changed fields, status first (details and modifiedDate, which change every time, are not listed). */
  changedProperties: string[]
}

/** Plays executions on real timers: one session per start, one result per attempt. */
export class Runner {
  /** Every stop handled, in order. */
  readonly stops: StopRecord[] = []
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly sessionTimers = new Map<string, Set<NodeJS.Timeout>>()
  /** What each result belongs to, for its script log. */
  private readonly attempts = new Map<string, { attempt: ScenarioAttempt; task: TaskState; session: SessionState }>()
  /** Script logs of ended attempts and their download references. */
  readonly logs = new ScriptLogStore()

  /** Changes not reported yet, by objectType:id, in order. */
  private readonly pending = new Map<string, { objectType: RunnerChange['objectType']; objectID: string; changeType: 1 | 2 | 3; props: Set<string> }>()
  private closed = false

  /** Sessions whose current attempt holds one of the maxConcurrentReloads slots (from Started to the end of the attempt). */
  private readonly slots = new Set<string>()
  /** Executions waiting for a slot, first in first out. */
  private readonly waiting: Waiting[] = []
  /** Executions running now / at most, by '' (all), 'id:<userId>' and 'full:<directory>\\<userId>' (lower case). */
  private readonly runningNow = new Map<string, number>()
  private readonly highWater = new Map<string, number>()
  /** Composite events: rule id → Date.now() it was met, per event id. */
  private readonly satisfied = new Map<string, Map<string, number>>()
  /** Every composite event firing whose downstream start was made, in order. */
  readonly chainFirings: ChainFiring[] = []
  private firings = 0

  constructor(
    private readonly state: SimState,
    private readonly switches: Switches,
    private readonly onChange?: (change: RunnerChange) => void,
    /** A reload task of the app ended with FinishedSuccess (the scheduler saved the app: the engine's tables change). */
    private readonly onAppReloaded?: (appId: string) => void
  ) {}

  /** Notes a change; Add or Delete in the same tick wins over Update, Updates merge their properties. */
  private touch(objectType: RunnerChange['objectType'], objectID: string, changeType: 1 | 2 | 3, props: string[] = []): void {
    if (!this.onChange) return
    const key = `${objectType}:${objectID}`
    const found = this.pending.get(key)
    if (found) {
      if (changeType === 3) found.changeType = 3
      for (const p of props) found.props.add(p)
      return
    }
    if (this.pending.size === 0) queueMicrotask(() => this.flush())
    this.pending.set(key, { objectType, objectID, changeType, props: new Set(props) })
  }

  private flush(): void {
    const changes = [...this.pending.values()]
    this.pending.clear()
    if (this.closed) return
    for (const c of changes) {
      try {
        this.onChange?.({ objectType: c.objectType, objectID: c.objectID, changeType: c.changeType, changedProperties: c.changeType === 2 ? [...c.props] : [] })
      } catch {
        // a listener never breaks an execution
      }
    }
  }

  /** Returns the execution session id, or undefined when nothing was started. */
  start(task: TaskState, user: QlikUser): string | undefined {
    if (!task.enabled || !task.startable) return undefined
    const running = this.state.sessions.find((s) => s.active && s.taskId === task.id)
    if (running && this.switches.startWhileRunning === 'ignore') return undefined
    if (running && this.switches.startWhileRunning === 'existing') return running.id
    const run: ScenarioRun = task.runs[Math.min(task.nextRun, task.runs.length - 1)] ?? defaultRun
    task.nextRun++
    task.starts++
    const t = now()
    const session: SessionState = {
      id: randomUUID(),
      taskId: task.id,
      user,
      resultId: emptyGuid,
      retries: 0,
      abortReason: 0,
      active: true,
      createdDate: t,
      modifiedDate: t
    }
    this.state.sessions.push(session)
    this.count(user, 1)
    this.touch('ExecutionSession', session.id, 1)
    this.beginAttempt(session, task, run, 0)
    return session.id
  }

  /**
   * Aborts every running execution of the task: 4 AbortInitiated, 5 Aborting, 6 Aborted, abortStepMs
   * apart; the session ends with Aborted. A task that is not running is left as it is (a finished
   * execution never turns into Aborted). Every call is recorded in `stops`.
   */
  stop(task: TaskState): void {
    const record: StopRecord = { taskId: task.id, time: Date.now(), aborted: false, executionIds: [] }
    this.stops.push(record)
    for (const session of this.state.sessions.filter((s) => s.active && s.taskId === task.id)) {
      const result = findById(this.state.results, session.resultId)
      // Already aborting, or (defensively) already final: leave it.
      if (!result || !abortable.has(result.status)) continue
      record.aborted = true
      record.executionIds.push(session.id)
      this.clearSession(session)
      this.leaveQueue(session)
      session.abortReason = 1
      session.modifiedDate = now()
      this.touch('ExecutionSession', session.id, 2, ['abortReason'])
      this.setStatus(result, Status.AbortInitiated)
      this.later(session, abortStepMs, () => {
        this.setStatus(result, Status.Aborting)
        this.later(session, abortStepMs, () => {
          this.finish(session, result, Status.Aborted, [{ type: Detail.Information, message: 'Task aborted by user' }])
        })
      })
    }
  }

  /**
   * The highest number of executions running at the same time (from the start to the end of the
   * session: Triggered, Queued, Started, aborting), all or only those whose session user is `userId`
   * (`sa_api`, or `INTERNAL\\sa_api` to also match the directory; case-insensitive).
   */
  runningHighWater(userId?: string): number {
    if (userId === undefined) return this.highWater.get('') ?? 0
    const lower = userId.toLowerCase()
    return this.highWater.get(lower.includes('\\') ? `full:${lower}` : `id:${lower}`) ?? 0
  }

  private count(user: QlikUser, delta: 1 | -1): void {
    const keys = ['', `id:${user.userId.toLowerCase()}`, `full:${user.userDirectory.toLowerCase()}\\${user.userId.toLowerCase()}`]
    for (const key of keys) {
      const n = (this.runningNow.get(key) ?? 0) + delta
      this.runningNow.set(key, n)
      if (n > (this.highWater.get(key) ?? 0)) this.highWater.set(key, n)
    }
  }

  /** Takes a free slot and runs `go`, or waits in 3 Queued (FIFO; nobody jumps the queue). */
  private acquire(session: SessionState, result: ExecutionResult, go: () => void): void {
    if (this.waiting.length === 0 && this.slots.size < this.state.maxConcurrentReloads) {
      this.slots.add(session.id)
      go()
      return
    }
    if (result.status !== Status.Queued) this.setStatus(result, Status.Queued)
    const entry: Waiting = { session, go }
    const timeout = this.switches.queueTimeoutMs
    if (timeout !== undefined && timeout > 0) {
      entry.timer = this.later(session, timeout, () => {
        this.leaveQueue(session)
        this.clearSession(session)
        this.finish(session, result, Status.Reset, [{ type: Detail.Error, message: `The task was reset by the scheduler: no free slot within the queue timeout (${timeout} ms)` }])
      })
    }
    this.waiting.push(entry)
  }

  private leaveQueue(session: SessionState): void {
    const i = this.waiting.findIndex((w) => w.session === session)
    if (i >= 0) this.waiting.splice(i, 1)
  }

  /** Frees the session's slot (if it holds one) and starts waiting executions while slots are free. */
  private releaseSlot(session: SessionState): void {
    if (!this.slots.delete(session.id)) return
    while (!this.closed && this.waiting.length > 0 && this.slots.size < this.state.maxConcurrentReloads) {
      const next = this.waiting.shift() as Waiting
      if (next.timer) this.cancel(next.session, next.timer)
      this.slots.add(next.session.id)
      next.go()
    }
  }

  /**
   * Composite events (doc section 10): the execution of `taskId` ended with `status` (its last result
   * is final now). Rules met are stamped; satisfactions older than the window are forgotten; an
   * event whose rules are all met fires (its satisfactions reset) and starts the downstream task as
   * the scheduler chainDelayMs later, up to maxChainFirings firings per simulator.
   */
  private executionEnded(taskId: string, status: number): void {
    if (this.closed) return
    const success = status === Status.FinishedSuccess
    const failed = failedStatuses.has(status)
    if (!success && !failed) return
    const t = Date.now()
    const lower = taskId.toLowerCase()
    for (const event of this.state.compositeEvents) {
      for (const r of event.rules) {
        if (r.taskId.toLowerCase() !== lower) continue
        r.currentState = success ? 1 : 2
        r.timeStamp = new Date(t).toISOString()
      }
      if (!event.enabled) continue
      const met = event.rules.filter((r) => r.taskId.toLowerCase() === lower && (r.ruleState === 1 ? success : failed))
      if (met.length === 0) continue
      const sat = this.satisfied.get(event.id) ?? new Map<string, number>()
      this.satisfied.set(event.id, sat)
      for (const r of met) sat.set(r.id, t)
      const window = windowMs(event.timeConstraint)
      if (window > 0) for (const [ruleId, time] of sat) if (t - time > window) sat.delete(ruleId)
      if (!event.rules.every((r) => sat.has(r.id))) continue
      sat.clear()
      if (this.firings >= this.switches.maxChainFirings) continue
      this.firings++
      event.timesTriggered++
      this.later(undefined, Math.max(0, this.switches.chainDelayMs), () => {
        const task = findById(this.state.tasks, event.downstreamTaskId)
        const executionId = (task && this.start(task, schedulerUser)) || emptyGuid
        this.chainFirings.push({ eventId: event.id, downstreamTaskId: event.downstreamTaskId, time: Date.now(), executionId })
      })
    }
  }

  close(): void {
    this.closed = true
    this.waiting.length = 0
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    this.sessionTimers.clear()
  }

  private later(session: SessionState | undefined, ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      if (session) this.sessionTimers.get(session.id)?.delete(timer)
      fn()
    }, ms)
    this.timers.add(timer)
    if (session) {
      const set = this.sessionTimers.get(session.id) ?? new Set<NodeJS.Timeout>()
      set.add(timer)
      this.sessionTimers.set(session.id, set)
    }
    return timer
  }

  private cancel(session: SessionState, timer: NodeJS.Timeout): void {
    clearTimeout(timer)
    this.timers.delete(timer)
    this.sessionTimers.get(session.id)?.delete(timer)
  }

  private clearSession(session: SessionState): void {
    for (const timer of this.sessionTimers.get(session.id) ?? []) {
      clearTimeout(timer)
      this.timers.delete(timer)
    }
    this.sessionTimers.delete(session.id)
  }

  private addDetail(result: ExecutionResult, detailsType: number, message: string): void {
    const t = now()
    result.details.push({ id: randomUUID(), privileges: null, detailsType, message, detailCreatedDate: t })
    result.modifiedDate = t
  }

  private setStatus(result: ExecutionResult, status: number): void {
    const from = taskExecutionStatus[result.status]
    this.addDetail(result, Detail.Information, `Changing task state from ${from} to ${taskExecutionStatus[status]}`)
    result.status = status
    this.touch('ExecutionResult', result.id, 2, ['status'])
  }

  private beginAttempt(session: SessionState, task: TaskState, run: ScenarioRun, index: number): void {
    const attempt = run.attempts[index]
    const result = newResult({ taskID: task.id, executionID: session.id, appID: resultAppId(task), state: this.state, status: Status.Triggered })
    this.attempts.set(result.id, { attempt, task, session })
    this.addDetail(result, Detail.Information, 'Changing task state from NeverStarted to Triggered')
    this.addDetail(result, Detail.Information, 'Trying to start task. Sending task to slave scheduler')
    this.state.results.push(result)
    this.touch('ExecutionResult', result.id, 1)
    session.resultId = result.id
    session.modifiedDate = now()
    if (index > 0) this.touch('ExecutionSession', session.id, 2, ['retries', 'executionResult'])
    task.lastResult = result

    const startRunning = (): void => {
      this.setStatus(result, Status.Started)
      result.startTime = now()
      this.touch('ExecutionResult', result.id, 2, ['startTime'])
      this.later(session, Math.max(0, attempt.durationMs ?? 300), () => this.endAttempt(session, task, run, index, result))
    }
    this.later(session, this.switches.triggeredMs, () => {
      const queuedMs = attempt.queuedMs ?? this.switches.queuedStepMs
      if (queuedMs > 0) {
        this.setStatus(result, Status.Queued)
        this.later(session, queuedMs, () => this.acquire(session, result, startRunning))
      } else {
        this.acquire(session, result, startRunning)
      }
    })
  }

  /**
   * The engine finished the attempt. With logReferenceLeadMs the script log reference is added now, as
   * a change of its own, and the final status that much later (live details show them in this order).
   */
  private endAttempt(session: SessionState, task: TaskState, run: ScenarioRun, index: number, result: ExecutionResult): void {
    const lead = this.switches.logReferenceLeadMs
    const owner = this.owner(result)
    if (lead <= 0 || !writesLog(owner)) return this.closeAttempt(session, task, run, index, result)
    this.addLogReference(result, owner, run.attempts[index].outcome, Date.now())
    this.later(session, lead, () => this.closeAttempt(session, task, run, index, result))
  }

  private closeAttempt(session: SessionState, task: TaskState, run: ScenarioRun, index: number, result: ExecutionResult): void {
    const attempt = run.attempts[index]
    const last = index === run.attempts.length - 1
    const failed = attempt.outcome !== Status.FinishedSuccess
    const extra: { type: number; message: string }[] = []
    if (failed) extra.push({ type: Detail.Error, message: failureMessages[attempt.outcome] ?? 'The task was not able to finish' })
    for (const message of attempt.details ?? []) extra.push({ type: failed ? Detail.Error : Detail.Information, message })

    if (!last) {
      const status = failed ? this.switches.retryResultStatus : attempt.outcome
      this.completeResult(result, status, extra, attempt.outcome)
      session.retries++
      this.releaseSlot(session)
      this.beginAttempt(session, task, run, index + 1)
      return
    }
    if (failed && (task.maxRetries > 0 || run.attempts.length > 1)) extra.push({ type: Detail.Error, message: 'Max retries reached' })
    this.finish(session, result, attempt.outcome, extra)
  }

  /** Ends the session; with resultLagMs the last result keeps its old status a while longer. */
  private finish(session: SessionState, result: ExecutionResult, status: number, extra: { type: number; message: string }[]): void {
    const lag = this.switches.resultLagMs
    const complete = (): void => {
      this.completeResult(result, status, extra)
      // Chains fire on the final status: a downstream start is always after the upstream stopTime.
      this.executionEnded(session.taskId, status)
    }
    // Without a lag the result is final before the session goes, as on a real server.
    if (lag === 0) this.completeResult(result, status, extra)
    this.clearSession(session)
    this.leaveQueue(session)
    if (status === Status.FinishedSuccess) {
      const task = findById(this.state.tasks, session.taskId)
      if (task?.taskType === 0 && task.appId) this.onAppReloaded?.(task.appId)
    }
    session.active = false
    session.endedAt = session.modifiedDate = now()
    this.touch('ExecutionSession', session.id, 3)
    this.count(session.user, -1)
    this.releaseSlot(session)
    if (lag === 0) this.executionEnded(session.taskId, status)
    else this.later(undefined, lag, complete)
  }

  /** `logOutcome`: how the script log ends (a failed attempt shown as 10 Retry still failed). */
  private completeResult(result: ExecutionResult, status: number, extra: { type: number; message: string }[], logOutcome = status): void {
    this.setStatus(result, status)
    const stop = new Date()
    result.stopTime = stop.toISOString()
    this.touch('ExecutionResult', result.id, 2, ['stopTime'])
    if (result.startTime !== unsetDate) {
      result.duration = stop.getTime() - Date.parse(result.startTime)
      this.touch('ExecutionResult', result.id, 2, ['duration'])
      const owner = this.owner(result)
      // Unless logReferenceLeadMs added it already.
      if (writesLog(owner) && result.fileReferenceID === emptyGuid) this.addLogReference(result, owner, logOutcome, stop.getTime())
    }
    for (const d of extra) this.addDetail(result, d.type, d.message)
  }

  private owner(result: ExecutionResult): AttemptOwner | undefined {
    const found = this.attempts.get(result.id)
    return found && { attempt: found.attempt, taskType: found.task.taskType, user: found.session.user }
  }

  private addLogReference(result: ExecutionResult, owner: AttemptOwner, outcome: number, stopMs: number): void {
    const { scriptLogBom: bom, scriptLogAvailableFalse: availableFalse } = this.switches
    attachScriptLog(result, owner, { outcome, stopMs, logs: this.logs, nodeName: this.state.nodeName, bom, availableFalse })
    this.touch('ExecutionResult', result.id, 2, logReferenceFields)
    this.addDetail(result, Detail.Information, 'Reference to scriptlog added')
  }
}
