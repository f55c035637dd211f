import { randomUUID } from 'node:crypto'
import { tmpdir } from 'node:os'
import type { EngineConnector } from '../engine/connector.js'
import type { EngineSession, RunningReload } from '../engine/session.js'
import type { Progress, ScriptError } from '../engine/types.js'
import type { QrsApi } from '../qrs/api.js'
import type { AppRef, ExecutionResult } from '../qrs/types.js'
import { authUser } from '../auth/index.js'
import { untilAppIdle } from '../reload/app-busy.js'
import { startedWhat, type StartRecord } from '../reload/start-record.js'
import { engineNames, type StartedReload } from '../report/started.js'
import { ProgressFile } from '../scriptlog/progress-file.js'
import type { Clock } from '../util/clock.js'
import { EngineError, errorMessage, UnexpectedEngineAnswer } from '../util/errors.js'
import { formatDuration } from '../util/format.js'
import { poll } from '../util/poll.js'
import { deadlineOf, type TargetContext } from './context.js'
import { openBudget } from './engine-tables.js'
import type { TargetRunner } from './runner.js'
import type { Settled } from './pending-start.js'
import { isGuid } from '../util/ids.js'

/** An engine reload under way: its session, its DoReloadEx, the progress log it writes. */
export interface EngineReload extends StartedReload {
  app: AppRef
  session: EngineSession
  reload: RunningReload
  log: ProgressFile
  /** Date.now() when DoReloadEx was sent. */
  sentAt: number
  /** This step cancelled it (timeout, fail-fast, the job cancelled): qSuccess false is Aborted, not FinishedFail. */
  cancelled: boolean
  /** The script's errors, as the last GetProgress gave them. */
  errors: ScriptError[]
}

/** GetProgress once a second: the lines arrive within a second, at a rate that does not load the engine (corectl#256). */
const PROGRESS_POLL_MS = 1_000
/** The transient line ("Orders << Orders 40,000 Lines fetched") at most this often. */
const TRANSIENT_EVERY_MS = 5_000
/** A line at least this often while nothing else is printed. */
const HEARTBEAT_MS = 5 * 60_000

/** enigma.js's code for a call whose socket closed before the answer (NOT_CONNECTED). */
const LOST = -1

/**
 * The action reloads each app itself in the engine: after the QRS says no task of the app runs, it
 * opens the app (one session per app), reads its tables, runs DoReloadEx (partial with qPartial), prints
 * the progress while it runs, and, once target.ts has checked the tables, saves the app (DoSave).
 */
export function engineRunner(api: QrsApi, engine: EngineConnector): TargetRunner<EngineReload> {
  return {
    start: async context => {
      const { run, settings, clock, signal, toolkit } = context
      const resolved = run.resolved?.app
      const app: AppRef = resolved ? { id: resolved.id, name: resolved.name } : { id: run.target.kind === 'app-id' ? run.target.appId : '' }
      // The input check refuses if-running: attach in engine mode.
      const ifRunning = settings.ifRunning === 'fail' ? 'fail' : 'wait'
      await untilAppIdle(api, app, { ifRunning, deadline: deadlineOf(context), maxPollIntervalMs: settings.maxPollIntervalMs, clock, signal, log: toolkit })
      const session = await engine.open(app, { noData: false, openTimeoutMs: openBudget(context), signal })
      try {
        const before = await session.tables()
        signal.throwIfAborted()
        const key = randomUUID()
        const name = `qlik-engine-log-${isGuid(app.id) ? app.id.toLowerCase() : 'app'}-${key.slice(0, 8)}.log`
        // Capped as a downloaded script log is: the same input, the same head and tail.
        const log = new ProgressFile(process.env.RUNNER_TEMP || tmpdir(), name, settings.scriptLogMaxBytes)
        // Recorded before DoReloadEx goes out, as a task's start is: a main killed from here on leaves the post
        // step a record of it (nothing to find over the QRS: it can only say what became of the reload).
        const record: StartRecord = { engine: true, appId: app.id, name: app.name ?? app.id, at: new Date().toISOString(), user: authUser(settings.auth), before: [] }
        context.tracker.starting(run, { record, settle: story => cancelSent(session, record, story.why) })
        const reload = session.reload(settings.partial)
        return {
          key,
          names: engineNames(app),
          mode: 'engine',
          partial: settings.partial,
          app,
          executionId: '',
          attached: false,
          saved: { engine: true, appId: app.id, appName: app.name ?? '' },
          tablesBefore: before,
          logPath: log.path,
          session,
          reload,
          log,
          sentAt: Date.now(),
          cancelled: false,
          errors: []
        }
      } catch (error) {
        await session.close()
        throw error
      }
    },

    status: async started => (started.reload.answer ? resultOf(started) : undefined),

    follow: async (started, context) => {
      const { settings, clock, signal, group } = context
      const title = `Reload app '${started.app.name ?? started.app.id}' in the engine${started.partial ? ' (partial)' : ''} (timeout ${formatDuration(settings.timeoutMs)})`
      return group(title, async () => {
        const since = clock.now()
        const show = printer(started, context, since)
        const surprise = surprises(context.info)
        const ended = (): boolean => started.reload.answer !== undefined || started.reload.failure !== undefined
        /** The last read began after DoReloadEx answered: it has every line. */
        let complete = false
        const outcome = await poll({
          clock,
          signal,
          // The target's timeout counts from its start: a wait for a running task of the app took its share.
          deadline: deadlineOf(context),
          // A gap ends early when DoReloadEx answers: the last lines are read at once.
          sleep: (ms, abort) => sleepUntil(clock, ms, abort, started.reload.done),
          read: async () => {
            complete = started.reload.answer !== undefined
            const progress = await readProgress(started).catch((error: unknown) => (surprise.ridden(error) ? undefined : lostOr(started, error)))
            if (!progress) return
            surprise.over()
            show(progress)
          },
          done: ended,
          next: () => PROGRESS_POLL_MS
        })
        if (!outcome.done) return { kind: 'timeout', elapsedMs: clock.now() - since, sessionEnded: false, lastStatus: 2, attempts: 0 }
        // The answer came while the last read was under way: what came between (else that read came after it).
        // Best effort: the outcome is known, a session that broke just now does not change it.
        const last = started.reload.answer && !complete ? await readProgress(started).catch(() => undefined) : undefined
        if (last) show(last)
        if (started.reload.failure instanceof UnexpectedEngineAnswer) {
          throw new EngineError(`${started.reload.failure.message} Whether the reload succeeded is not known; the app was not saved.`)
        }
        if (started.reload.failure) lostOr(started, started.reload.failure)
        return { kind: 'finished', result: resultOf(started), attempts: 1 }
      })
    },

    stop: async (started, { waitMs, context }) => {
      if (started.reload.answer || started.reload.failure) return { alreadyEnded: true, result: started.reload.answer && resultOf(started) }
      started.cancelled = true
      await started.session.cancel()
      await sleepUntil(context.clock, waitMs, undefined, started.reload.done)
      const result = started.reload.answer ? resultOf(started) : undefined
      // Best effort: the lines up to the cancel ("Abort requested by user") into the log, then the session ends.
      if (started.session.open) await readProgress(started).catch(() => undefined)
      await closeAll(started)
      return { alreadyEnded: false, result }
    },

    tablesAfter: started => started.session.tables(),

    save: async (started, context) => {
      await started.session.save(openBudget(context))
      context.info(`App '${started.app.name ?? started.app.id}' saved (DoSave).`)
    },

    scriptLog: async started => {
      const { log } = started
      await log.close()
      return { kind: 'saved', path: log.path, bytes: log.bytes, received: log.received, cut: log.cut, cutShort: false, errorLines: started.errors.map(errorLine), printed: true }
    },

    // A reload still running is left to stop() (the job cancelled): closing its session first would be no cancel.
    // One whose session is gone (an engine that stopped answering) has nothing left to stop: its log is closed too.
    release: async started => {
      if (started.reload.answer || started.reload.failure || !started.session.open) await closeAll(started)
    }
  }
}

/**
 * A cancellation between the record and the end of the start (target.ts tracks the reload as soon as
 * start() returns, in the same turn as DoReloadEx goes out): CancelReload on its session, which cancels
 * the reload if it was sent and does nothing if not. Nothing was saved either way.
 */
async function cancelSent(session: EngineSession, record: StartRecord, why: string): Promise<Settled> {
  const what = startedWhat(record)
  try {
    await session.cancel()
  } catch (error) {
    return { kind: 'failed', message: `${why} during the start of ${what}, and cancelling it failed: ${errorMessage(error)} Its session ends with this step; nothing saves it.` }
  }
  return { kind: 'stopped', message: `${why} during the start of ${what}: cancelled it (CancelReload); nothing was saved.` }
}

/** GetProgress of our reload; its lines go to the progress log as they come, its errors are kept. */
async function readProgress(started: EngineReload): Promise<Progress> {
  const progress = await started.session.progress(started.reload.requestId)
  started.log.write(progress.lines)
  if (progress.errors.length > 0) started.errors = progress.errors
  return progress
}

/**
 * Prints the progress as it comes: every persistent line, the transient one at most every few seconds
 * when it changed, a heartbeat when all is quiet. Server text: through the gate (context.info). With
 * script-log: never, no line of the script's reaches the step log, only that it runs.
 */
function printer(started: EngineReload, { settings, clock, info }: TargetContext, since: number): (progress: Progress) => void {
  const quiet = settings.scriptLog === 'never'
  let lastPrint = since
  let lastTransient = ''
  let transientAt = -Infinity
  return progress => {
    const now = clock.now()
    const elapsed = `+${formatDuration(now - since)}`
    if (!quiet) for (const line of progress.lines) info(line)
    if (!quiet && progress.lines.length > 0) lastPrint = now
    if (progress.transient && progress.transient !== lastTransient && now - transientAt >= TRANSIENT_EVERY_MS) {
      info(`${elapsed} ${quiet ? 'reloading' : progress.transient}`)
      lastTransient = progress.transient
      transientAt = lastPrint = now
    } else if (now - lastPrint >= HEARTBEAT_MS) {
      info(`${elapsed} still reloading ${started.names.what.replace(/^the engine reload of /, '')}`)
      lastPrint = now
    }
  }
}

/**
 * A GetProgress answer the action cannot read (a field of the wrong type) is ridden out, as the task
 * mode's wait rides out a surprise: the reload's outcome is DoReloadEx's answer, not its progress. One
 * line when such answers start, one when the progress reads again.
 */
function surprises(info: (line: string) => void): { ridden: (error: unknown) => boolean; over: () => void } {
  let ongoing = false
  return {
    ridden: error => {
      if (!(error instanceof UnexpectedEngineAnswer)) return false
      if (!ongoing) info(`${error.message} Its progress is not shown while it answers so; still waiting for the reload.`)
      ongoing = true
      return true
    },
    over: () => {
      if (ongoing) info('The engine answers GetProgress as expected again.')
      ongoing = false
    }
  }
}

/** The outcome in the QRS's terms, as the outputs report it: FinishedSuccess (7), FinishedFail (8), or Aborted (6) when cancelled. */
function resultOf(started: EngineReload): ExecutionResult {
  const { answer, answeredAt = Date.now() } = started.reload
  const status = answer?.success ? 7 : started.cancelled ? 6 : 8
  return {
    id: '',
    status,
    startTime: new Date(started.sentAt).toISOString(),
    stopTime: new Date(answeredAt).toISOString(),
    duration: answeredAt - started.sentAt,
    appID: started.app.id
  }
}

function errorLine(error: ScriptError): string {
  return error.statement ? `${error.message} (in: ${error.statement})` : error.message
}

/**
 * A call failed during the reload. Refused by the engine (no reload right, a parameter): its answer,
 * as it is. The session broke (the socket closed, an engine that stopped answering): the reload is lost,
 * its end is not ours to see.
 */
function lostOr(started: EngineReload, error: unknown): never {
  const code = error instanceof EngineError ? error.code : undefined
  if (code !== undefined && code !== LOST) throw error
  throw new EngineError(
    `${started.names.what[0].toUpperCase()}${started.names.what.slice(1)} was lost: ${errorMessage(error)} Without its session Qlik stops the reload or runs it to its end unsaved (not confirmed which); nothing was saved.`,
    code
  )
}

async function closeAll(started: EngineReload): Promise<void> {
  await started.log.close().catch(() => undefined)
  await started.session.close()
}

/** Sleeps `ms` on the clock, or less when `until` settles first (never longer: the timer is dropped). */
async function sleepUntil(clock: Clock, ms: number, abort: AbortSignal | undefined, until: Promise<unknown>): Promise<void> {
  const done = new AbortController()
  const signal = abort ? AbortSignal.any([abort, done.signal]) : done.signal
  const settled = until.then(
    () => done.abort(),
    () => done.abort()
  )
  try {
    await clock.sleep(ms, signal)
  } catch (error) {
    if (abort?.aborted) throw error
  } finally {
    done.abort()
    void settled
  }
}
