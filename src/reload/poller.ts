import type { ExecutionResult, ExecutionSession } from '../qrs/types.js'
import { isOutage, retryDelay } from '../qrs/retry.js'
import type { Clock } from '../util/clock.js'
import { QrsError, StillDown, WrongFieldsAnswer } from '../util/errors.js'
import { poll } from '../util/poll.js'
import { Outage } from './outage.js'
import { nextGap, type Forecast } from './schedule.js'
import { isFinal } from './status.js'
import { latestAttempt, pollInterval, type ExecutionReader, type WaitOptions, type WaitOutcome } from './watch.js'

/** What a wait on a shared poller is given: the poller's clock and jitter are everyone's. */
export type WatchOptions = Omit<WaitOptions, 'clock' | 'random'>

/**
 * A tick also takes along every execution due within this share of its own planned gap: read a little
 * early, at no extra request, so that executions of one step settle into one read per tick.
 */
const COALESCE_SHARE = 0.5
const HEARTBEAT_MS = 5 * 60_000
/**
 * How long a wait rides out the QRS's own answers with wrong fields: a glitch passes, but an answer that
 * keeps coming so is the server's, and the step says so well before a long timeout.
 */
const WRONG_FIELDS_FOR_MS = 20_000

/** One execution being waited for. */
interface Watch {
  id: string
  options: WatchOptions
  started: number
  deadline: number
  /** clock.now() of the next look, never past the deadline. */
  due: number
  /** The gap planned at the last look: how early a tick may take this one along. */
  gap: number
  forecast?: Forecast | number
  sessionEnded: boolean
  /** A wake-up came for it: the next look reads its results at once. */
  wakePending: boolean
  /** This look was a wake-up's. */
  woken: boolean
  lastStatus?: number
  latest?: ExecutionResult
  attempts: number
  node?: string
  quietSince: number
  /** Since when every look was answered with wrong fields (WrongFieldsAnswer), if the last one was. */
  wrongSince?: number
  outage: Outage
  settle: (outcome: WaitOutcome | { error: unknown }) => void
}

/**
 * Waits for any number of executions with one loop: each keeps its own schedule (schedule.ts; the safety
 * poll with push), and each tick reads every execution due then in one request (the sessions of those
 * that run, `id eq a or id eq b ...`), then the results of those that ended in one more. The next tick
 * is the earliest any of them needs. Qlik's documented wait per execution: its session until it is gone,
 * then its results, the latest attempt deciding. An outage (5xx, 429, timeouts, resets, refused
 * connections, and the surprises of isOutage: an HTML page, a wrong answer (for WRONG_FIELDS_FOR_MS), a
 * DNS failure, a 401 after signing in again) is ridden out up to each one's timeout, told in two lines per execution: the
 * executions run on without us. No read outlives the timeout of an execution it is for (reader.until).
 * With one execution it makes the requests a wait of its own made.
 */
export class ExecutionPoller {
  private readonly watches = new Set<Watch>()
  private readonly random: () => number
  private running?: Promise<void>
  /** Cuts the loop's sleep short: a new wait, a wake-up, a cancelled one. */
  private interrupt?: () => void
  /** Failed ticks in a row: the backoff of an outage. */
  private failures = 0
  /** The server refused a batched read (or answered it without ids): one read per execution from then on. */
  private batchesRefused = false

  constructor(
    private readonly reader: ExecutionReader,
    private readonly clock: Clock,
    random?: () => number
  ) {
    this.random = random ?? Math.random
  }

  /** Waits for this execution to end, up to `timeoutMs` from now. */
  wait(executionId: string, options: WatchOptions): Promise<WaitOutcome> {
    return new Promise<WaitOutcome>((resolve, reject) => {
      const { signal } = options
      // The signal's reason is what the caller aborted with: passed on as it is.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      if (signal?.aborted) return reject(signal.reason)
      const now = this.clock.now()
      const forecast = options.forecast ?? options.expectedMs
      // With a forecast the first check is the schedule's rather than one at once: the start has just
      // answered, and a check now says nothing the forecast does not (one request fewer per run).
      const first = forecast !== undefined && !options.push ? nextGap(0, forecast, options, this.random) : 0
      const aborted = (): void => {
        if (!this.watches.delete(watch)) return
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(signal!.reason)
        this.interrupt?.()
      }
      const watch: Watch = {
        id: executionId,
        options,
        started: now,
        deadline: now + options.timeoutMs,
        due: Math.min(now + first, now + options.timeoutMs),
        gap: first,
        forecast,
        sessionEnded: false,
        wakePending: false,
        woken: false,
        attempts: 0,
        quietSince: now,
        outage: new Outage(this.clock, options.log ?? (() => {}), `still waiting for execution ${executionId}`),
        settle: outcome => {
          signal?.removeEventListener('abort', aborted)
          this.watches.delete(watch)
          // What the read failed with, passed on as it is (the callers tell errors apart by class).
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          if ('error' in outcome) reject(outcome.error)
          else resolve(outcome)
        }
      }
      signal?.addEventListener('abort', aborted, { once: true })
      options.forecastLater?.then(
        later => (watch.forecast = later ?? watch.forecast),
        () => undefined
      )
      this.watches.add(watch)
      this.start()
    })
  }

  /** A push callback: every wait with push reads its results at once (the listener bounds how often). */
  wake(): void {
    let woke = false
    for (const watch of this.watches) {
      if (!watch.options.push) continue
      watch.wakePending = true
      watch.due = this.clock.now()
      woke = true
    }
    if (woke) this.interrupt?.()
  }

  private start(): void {
    if (this.running) return this.interrupt?.()
    this.running = (async () => {
      // The waits added in this same turn join the first tick.
      await Promise.resolve()
      await poll({
        clock: this.clock,
        read: () => this.tick(),
        done: () => this.watches.size === 0,
        next: () => Math.max(0, Math.min(...[...this.watches].map(w => w.due)) - this.clock.now()),
        sleep: ms => this.sleep(ms)
      })
    })().finally(() => {
      this.running = undefined
      if (this.watches.size > 0) this.start()
    })
  }

  private async sleep(ms: number): Promise<void> {
    const cut = new AbortController()
    this.interrupt = () => cut.abort()
    try {
      await this.clock.sleep(ms, cut.signal)
    } catch {
      // Cut short on purpose: the loop plans again.
    } finally {
      this.interrupt = undefined
    }
  }

  /** Reads every execution due now (or soon, see COALESCE_SHARE) and settles those that ended. */
  private async tick(): Promise<void> {
    const now = this.clock.now()
    const batch = [...this.watches].filter(w => w.due <= now + COALESCE_SHARE * w.gap || w.wakePending)
    if (batch.length === 0) return
    for (const watch of batch) {
      watch.woken = watch.wakePending
      watch.wakePending = false
    }
    const failures = new Map<Watch, unknown>()
    const cut = new Set<Watch>()
    try {
      await this.look(batch, failures, cut)
    } catch (error) {
      // Not a read's failure (those are in `failures`): it ends the waits it concerned.
      for (const watch of batch) failures.set(watch, error)
    }
    const after = this.clock.now()
    const attempt = failures.size > 0 ? this.failures++ : (this.failures = 0)
    const jitter = this.random()
    const shared = batch.length > 1 ? () => jitter : undefined
    for (const watch of batch) {
      if (!this.watches.has(watch)) continue
      if (failures.has(watch)) this.failed(watch, failures.get(watch), after, attempt)
      else if (after >= watch.deadline) watch.settle(this.timeout(watch, after))
      else if (cut.has(watch)) this.again(watch, after)
      else this.plan(watch, after, shared)
    }
  }

  /** The sessions of those that were running, then the results of those that ended (or were woken). */
  private async look(batch: Watch[], failures: Map<Watch, unknown>, cut: Set<Watch>): Promise<void> {
    const open = (watch: Watch): boolean => this.watches.has(watch) && !failures.has(watch) && !cut.has(watch)
    const running = batch.filter(w => !w.sessionEnded && !w.woken)
    const sessions = await this.read(
      running,
      (reader, ids) => reader.executionSessionsOf?.(ids),
      async (reader, id) => {
        const session = await reader.executionSession(id)
        return session ? [session] : []
      },
      session => session.id,
      { failures, cut }
    )
    for (const watch of running.filter(open)) {
      this.answered(watch)
      const session = sessions.get(watch.id.toLowerCase())?.[0]
      if (session) this.sawSession(watch, session)
      else watch.sessionEnded = true
    }
    // After a callback the result may be final while the session is still being removed: look at once.
    // The session can also vanish a moment before the last result shows its final status.
    const ended = batch.filter(w => open(w) && (w.sessionEnded || w.woken))
    const results = await this.read(
      ended,
      (reader, ids) => reader.executionResultsOf?.(ids),
      // Read one by one, a result need not name its execution: it is that id's.
      async (reader, id) => (await reader.executionResults(id)).map(result => ({ ...result, executionID: result.executionID ?? id })),
      result => result.executionID,
      { failures, cut }
    )
    for (const watch of ended.filter(open)) {
      this.answered(watch)
      const attempts = results.get(watch.id.toLowerCase()) ?? []
      watch.attempts = attempts.length
      watch.latest = latestAttempt(attempts)
      this.observe(watch, watch.latest?.status)
      watch.node = watch.latest?.executingNodeName || watch.node
      if (watch.latest && isFinal(watch.latest.status)) watch.settle({ kind: 'finished', result: watch.latest, attempts: watch.attempts })
    }
  }

  /**
   * One read for these executions: batched when there are several and the reader and the server allow
   * it, else one each. A batched read's failure is every member's; a read of one, that one's alone. A
   * server that refuses the batched filter (400, 404) or answers without the ids that tell the entries
   * apart gets one read per execution from then on. A read is cut at the earliest timeout of those it is
   * for: one that failed at that moment was cut for that one's sake, and the others are looked at again
   * (`cut`), not told of an outage.
   */
  private async read<T>(
    watches: Watch[],
    batched: (reader: ExecutionReader, ids: string[]) => Promise<T[]> | undefined,
    one: (reader: ExecutionReader, id: string) => Promise<T[]>,
    idOf: (entry: T) => string | undefined,
    { failures, cut }: { failures: Map<Watch, unknown>; cut: Set<Watch> }
  ): Promise<Map<string, T[]>> {
    if (watches.length > 1 && !this.batchesRefused) {
      const until = Math.min(...watches.map(w => w.deadline))
      try {
        const entries = await batched(
          this.until(until),
          watches.map(w => w.id)
        )
        if (entries && entries.every(entry => idOf(entry))) return byId(entries, idOf)
        if (entries) this.batchesRefused = true
      } catch (error) {
        if (!(error instanceof QrsError && (error.status === 400 || error.status === 404))) {
          const now = this.clock.now()
          for (const watch of watches) {
            if (now >= until && watch.deadline > now) cut.add(watch)
            else failures.set(watch, error)
          }
          return new Map()
        }
        this.batchesRefused = true
      }
    }
    const entries: T[] = []
    for (const watch of watches) {
      if (!this.watches.has(watch)) continue
      try {
        entries.push(...(await one(this.until(watch.deadline), watch.id)))
      } catch (error) {
        failures.set(watch, error)
      }
    }
    return byId(entries, idOf)
  }

  /** The reader whose requests end by `deadline` (the reader itself when it cannot be told). */
  private until(deadline: number): ExecutionReader {
    return this.reader.until?.(deadline) ?? this.reader
  }

  /** A look cut short for another execution's timeout: this one is looked at again at once, no outage said. */
  private again(watch: Watch, now: number): void {
    watch.wakePending ||= watch.woken
    watch.due = now
    watch.gap = 0
  }

  private sawSession(watch: Watch, session: ExecutionSession): void {
    this.observe(watch, session.executionResult?.status)
    watch.node = session.executionResult?.executingNodeName || watch.node
    const { onHeartbeat, heartbeatMs = HEARTBEAT_MS } = watch.options
    const now = this.clock.now()
    if (onHeartbeat && now - watch.quietSince >= heartbeatMs) {
      watch.quietSince = now
      onHeartbeat({ elapsedMs: now - watch.started, status: watch.lastStatus, node: watch.node })
    }
  }

  private observe(watch: Watch, status: number | undefined): void {
    if (status === undefined || status === watch.lastStatus) return
    watch.lastStatus = status
    watch.quietSince = this.clock.now()
    watch.options.onStatus?.(status)
  }

  /**
   * The next look: session gone but result not final, a moment later; push, the safety poll; else the
   * schedule. Without history, an execution read with others is looked at as if it were half as old (half
   * the gap, one jitter for the tick): a look in a shared read costs a share of a request, and the ends
   * of executions waited for together fall between the same two ticks, so their lags go together; half
   * the gap halves that shared lag for at most twice one execution's requests.
   */
  private plan(watch: Watch, now: number, shared?: () => number): void {
    const { maxPollIntervalMs, push } = watch.options
    const age = now - watch.started
    const gap = watch.sessionEnded
      ? pollInterval(0, maxPollIntervalMs, this.random) * 2
      : push
        ? push.safetyPollMs
        : shared && watch.forecast === undefined
          ? pollInterval(age / 2, maxPollIntervalMs, shared)
          : nextGap(age, watch.forecast, { maxPollIntervalMs }, this.random)
    watch.gap = gap
    // A wake-up that came during the look asks for another one now.
    watch.due = Math.min(watch.wakePending ? now : now + gap, watch.deadline)
  }

  /**
   * A look that failed: for trouble that passes (isOutage), the execution says once that the QRS is not
   * answering and is looked at again after a backoff, until its timeout; anything else ends its wait.
   */
  private failed(watch: Watch, error: unknown, now: number, attempt: number): void {
    if (!isOutage(error)) return watch.settle({ error })
    if (error instanceof WrongFieldsAnswer) {
      watch.wrongSince ??= now
      const seconds = Math.round((now - watch.wrongSince) / 1000)
      if (now - watch.wrongSince >= WRONG_FIELDS_FOR_MS) {
        const line = `It answered so for ${seconds} s while the step waited for execution ${watch.id}, which may still be running: see the task in the QMC.`
        return watch.settle({ error: error.seenFor(line) })
      }
    } else {
      watch.wrongSince = undefined
    }
    watch.wakePending ||= watch.woken
    if (now >= watch.deadline) return watch.settle(this.timeout(watch, now, new StillDown(error).message))
    watch.outage.failed(error, watch.deadline - now)
    watch.due = Math.min(now + retryDelay(error, attempt, this.random), watch.deadline)
    watch.gap = 0
  }

  private answered(watch: Watch): void {
    watch.outage.answered()
    watch.wrongSince = undefined
  }

  private timeout(watch: Watch, now: number, unanswered?: string): WaitOutcome {
    const { sessionEnded, lastStatus, latest, attempts } = watch
    return { kind: 'timeout', elapsedMs: now - watch.started, sessionEnded, lastStatus, result: latest, attempts, ...(unanswered ? { unanswered } : {}) }
  }
}

/** Entities by the execution they belong to (lower case). */
function byId<T>(items: T[], idOf: (item: T) => string | undefined): Map<string, T[]> {
  const map = new Map<string, T[]>()
  for (const item of items) {
    const id = idOf(item)?.toLowerCase()
    if (id) map.set(id, [...(map.get(id) ?? []), item])
  }
  return map
}
