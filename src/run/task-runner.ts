import { tmpdir } from 'node:os'
import type { EngineConnector } from '../engine/connector.js'
import { StepPush, type PushLease } from '../notify/subscription.js'
import type { QrsApi } from '../qrs/api.js'
import { isExternalProgram, type ReloadTask } from '../qrs/types.js'
import { readsHistory, taskForecasts } from '../reload/history.js'
import { ExecutionPoller } from '../reload/poller.js'
import type { Forecast } from '../reload/schedule.js'
import { startReload, type TaskStart } from '../reload/start.js'
import type { StartRecord } from '../reload/start-record.js'
import { authUser } from '../auth/index.js'
import { settleStart } from './pending-start.js'
import { describeStatus, statusName } from '../reload/status.js'
import { stopExecution } from '../reload/stop.js'
import { latestAttempt, type Heartbeat } from '../reload/wait.js'
import { taskNames, type StartedReload } from '../report/started.js'
import type { TargetRun } from '../report/target-run.js'
import { saveScriptLog } from '../scriptlog/fetch.js'
import { ReloadError } from '../util/errors.js'
import { formatDuration } from '../util/format.js'
import { deadlineOf, timeLeft, type StepContext } from './context.js'
import { readTables } from './engine-tables.js'
import type { TargetRunner } from './runner.js'

/** A task's run: the task, and what its recent runs took. */
export interface TaskReload extends StartedReload {
  task: ReloadTask
  forecast?: Forecast
}

/** The task's run as every step knows it. */
export function taskReload(start: TaskStart): TaskReload {
  const { task, executionId } = start
  return { ...start, key: executionId, names: taskNames(`task '${task.name}'`, executionId), mode: 'task', partial: false, saved: { taskId: task.id, executionId } }
}

/**
 * The QRS task scheduler runs the target: a reload task (or an app's manual reload task) started over the
 * QRS. The scheduler saves the app itself; the engine is only asked for the tables when expect-rows checks
 * them. The targets of the step share what can be shared: one poller for all their executions (one read
 * per tick for all of them), one read of their tasks' recent runs, one push subscription.
 */
export function taskRunner(api: QrsApi, engine: EngineConnector, runs: TargetRun[] = []): TargetRunner<TaskReload> {
  let poller: ExecutionPoller | undefined
  let push: StepPush | undefined
  let history: Later<Map<string, Forecast>> | undefined
  /** Waits under way: the history read is dropped when none is left before it went out. */
  let following = 0
  const tasks = (): ReloadTask[] => runs.flatMap(run => run.started?.task ?? run.resolved?.task ?? [])
  const shared = ({ clock, settings, toolkit }: Pick<StepContext, 'clock' | 'settings' | 'toolkit'>) => {
    // Reads that do not retry on their own: the poller rides out outages up to each timeout, telling each in
    // two lines; each read is cut at the timeout of the executions it is for (ExecutionReader.until).
    poller ??= new ExecutionPoller(api.with({ retries: 0 }), clock)
    const wake = poller.wake.bind(poller)
    if (settings.notify) push ??= new StepPush(api, { notify: settings.notify, tasks: () => tasks().map(task => task.id), onWake: wake, log: toolkit })
    return { poller, push }
  }

  return {
    start: async context => {
      const { run, settings, clock, signal, cancel, toolkit, tracker } = context
      const known = { task: run.resolved?.task, at: run.resolved?.lookedUpAt, app: run.resolved?.app }
      // Each start is recorded before it is sent: a cancellation (or the post step) finds what it started from the record.
      const onSend = (record: StartRecord): void =>
        tracker.starting(run, {
          record,
          settle: story => settleStart(api.detached(), record, { ...story, clock, log: toolkit })
        })
      const start = await startReload(
        api,
        run.target,
        { ...settings, clock, signal, cancel, log: toolkit, deadline: deadlineOf(context), user: authUser(settings.auth), onSend },
        known
      )
      return taskReload(start)
    },

    status: async started => latestAttempt(await api.executionResults(started.executionId)),

    follow: async (started, context) => {
      const { executionId, task, attached } = started
      const { settings, clock, signal, toolkit, info, group } = context
      const since = clock.now()
      return group(`Wait for execution ${executionId} (timeout ${formatDuration(settings.timeoutMs)})`, async () => {
        const { poller, push } = shared(context)
        // Someone else's run began before our wait: no forecast of ours fits it. Else the last run, and
        // for long reloads the recent runs of every task of the step, read once, a moment after the first
        // start: out of the second in which the starts land, and long before a first check (half a run).
        const initial = attached ? undefined : started.forecast
        following++
        let lease: PushLease | undefined
        let waiting = true
        try {
          const later =
            attached || !readsHistory(task)
              ? undefined
              : (history ??= readLater(context, read => taskForecasts(api.with({ signal: read }), uniqueTasks([...tasks(), task]), toolkit))).result
          lease = await push?.join(task.id)
          let previous = ''
          const tell = (forecast: Forecast | undefined): void => {
            previous = forecastLine(forecast)
            if (previous && !lease && waiting) info(`The task's ${previous}: checks gather around that.`)
          }
          const forecastLater = later?.then(map => map.get(task.id.toLowerCase()) ?? initial)
          if (forecastLater) void forecastLater.then(tell)
          else tell(initial)
          return await poller.wait(executionId, {
            signal,
            log: info,
            // The target's timeout counts from its start: a wait for a run already going (if-running) took its share.
            timeoutMs: timeLeft(context),
            maxPollIntervalMs: settings.maxPollIntervalMs,
            forecast: initial,
            forecastLater,
            push: lease && { safetyPollMs: settings.maxPollIntervalMs },
            onStatus: status => info(`+${formatDuration(clock.now() - since)} ${describeStatus(status)}`),
            onHeartbeat: beat => info(heartbeatLine(beat, previous))
          })
        } finally {
          waiting = false
          // Nobody waits for the history any more: a process that is done does not stay for it.
          if (--following === 0 && history?.drop()) history = undefined
          await lease?.release()
        }
      })
    },

    stop: ({ task, executionId }, { waitMs, afterCancel, context }) =>
      stopExecution(afterCancel ? api.detached() : api, task.id, executionId, { clock: context.clock, log: context.toolkit, waitMs }),

    // The tables only for expect-rows: opening an app costs the engine its data model.
    tablesAfter: async (started, context) => {
      if (context.settings.expectRows.length === 0) return undefined
      const app = started.app ?? started.task.app
      if (!app?.id) throw new ReloadError(`expect-rows cannot check ${started.names.what}: it reloads no app (an external program task), so it has no tables.`)
      return readTables(engine, app, context)
    },

    // The scheduler saved the app at the end of the task's reload.
    save: async () => {},

    // Within the target's timeout, like the wait: a log that never ends is cut there.
    scriptLog: ({ task }, result, context) => {
      const { clock, cancel, settings } = context
      return isExternalProgram(task)
        ? Promise.resolve(undefined)
        : saveScriptLog(api.with({ deadline: deadlineOf(context) }), task.id, result, {
            dir: process.env.RUNNER_TEMP || tmpdir(),
            clock,
            signal: cancel,
            maxBytes: settings.scriptLogMaxBytes
          })
    },

    release: async () => {}
  }
}

/** The history read waits this long (plus up to as much again, jitter) after the first wait began. */
const HISTORY_DELAY_MS = 1_000

/** A read made a moment later; `drop()` ends it unless it has come (and says whether it did). */
interface Later<T> {
  result: Promise<T>
  drop(): boolean
}

/**
 * `read` after HISTORY_DELAY_MS; nothing (the last runs stay the forecasts) when dropped or the step is
 * cancelled first. A read under way when it is dropped is cut: nothing waits for it any more, and it must
 * not keep the process past the waits (nor past their timeouts).
 */
function readLater<T>({ clock, signal }: Pick<StepContext, 'clock' | 'signal'>, read: (signal: AbortSignal) => Promise<Map<string, T>>): Later<Map<string, T>> {
  const dropped = new AbortController()
  const cut = AbortSignal.any([signal, dropped.signal])
  let came = false
  const result = (async () => {
    try {
      await clock.sleep(HISTORY_DELAY_MS * (1 + Math.random()), cut)
    } catch {
      return new Map<string, T>()
    }
    const map = await read(cut)
    came = true
    return map
  })()
  return {
    result,
    drop: () => {
      if (came) return false
      dropped.abort()
      return true
    }
  }
}

/** Each task once. */
function uniqueTasks(tasks: ReloadTask[]): ReloadTask[] {
  const seen = new Set<string>()
  return tasks.filter(task => !seen.has(task.id.toLowerCase()) && seen.add(task.id.toLowerCase()))
}

/** C0 and C1 control characters: a line break or escape in server text could start a runner command. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g

/** "+25m still Started on qliksrv02 (previous run took 1h52m)" */
export function heartbeatLine(beat: Heartbeat, previous: string): string {
  const status = beat.status === undefined ? 'running' : statusName(beat.status)
  // The node's name is the server's text: one short line, no control characters (no runner commands).
  const node = beat.node?.replace(CONTROL_CHARACTERS, ' ').trim().slice(0, 80)
  return `+${formatDuration(beat.elapsedMs)} still ${status}${node ? ` on ${node}` : ''}${previous ? ` (${previous})` : ''}`
}

/** "previous run took 1h52m", or of several runs "last 5 runs took 1h48m–1h57m, median 1h52m". */
function forecastLine(forecast: Forecast | undefined): string {
  if (!forecast) return ''
  if (forecast.runs === 1) return `previous run took ${formatDuration(forecast.expectedMs)}`
  return `last ${forecast.runs} runs took ${formatDuration(forecast.lowMs)}–${formatDuration(forecast.highMs)}, median ${formatDuration(forecast.expectedMs)}`
}
