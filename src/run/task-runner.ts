import { tmpdir } from 'node:os'
import type { EngineConnector } from '../engine/connector.js'
import { subscribe } from '../notify/subscription.js'
import type { QrsApi } from '../qrs/api.js'
import { isExternalProgram, type ReloadTask } from '../qrs/types.js'
import type { Forecast } from '../reload/schedule.js'
import { startReload, type TaskStart } from '../reload/start.js'
import type { StartRecord } from '../reload/start-record.js'
import { authUser } from '../auth/index.js'
import { settleStart } from './pending-start.js'
import { describeStatus, statusName } from '../reload/status.js'
import { stopExecution } from '../reload/stop.js'
import { latestAttempt, waitForExecution, type Heartbeat } from '../reload/wait.js'
import { taskNames, type StartedReload } from '../report/started.js'
import { saveScriptLog } from '../scriptlog/fetch.js'
import { ReloadError } from '../util/errors.js'
import { formatDuration } from '../util/format.js'
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
 * QRS. The scheduler saves the app itself; the engine is only asked for the tables when expect-rows checks them.
 */
export function taskRunner(api: QrsApi, engine: EngineConnector): TargetRunner<TaskReload> {
  return {
    start: async ({ run, settings, clock, signal, cancel, toolkit, tracker, startedAt }) => {
      const known = run.resolved?.task && run.resolved.lookedUpAt !== undefined ? { task: run.resolved.task, at: run.resolved.lookedUpAt } : undefined
      // Each start is recorded before it is sent: a cancellation (or the post step) finds what it started from the record.
      const onSend = (record: StartRecord): void =>
        tracker.starting(run, {
          record,
          settle: story => settleStart(api.detached(), record, { ...story, clock, log: toolkit })
        })
      const deadline = startedAt + settings.timeoutMs
      const start = await startReload(api, run.target, { ...settings, clock, signal, cancel, log: toolkit, deadline, user: authUser(settings.auth), onSend }, known)
      return taskReload(start)
    },

    status: async started => latestAttempt(await api.executionResults(started.executionId)),

    follow: async ({ executionId, forecast }, { settings, clock, signal, toolkit, info, group }) => {
      const since = clock.now()
      const previous = forecastLine(forecast)
      return group(`Wait for execution ${executionId} (timeout ${formatDuration(settings.timeoutMs)})`, async () => {
        const push = settings.notify ? await subscribe(api, settings.notify, executionId, toolkit) : undefined
        if (previous && !push) info(`The task's ${previous}: checks gather around that.`)
        try {
          // Reads that do not retry on their own (the wait rides out outages, telling each in two lines), none outliving the timeout.
          const reader = api.with({ retries: 0, deadline: clock.now() + settings.timeoutMs })
          return await waitForExecution(reader, executionId, {
            clock,
            signal,
            log: info,
            timeoutMs: settings.timeoutMs,
            maxPollIntervalMs: settings.maxPollIntervalMs,
            forecast,
            wakeUps: push && { sleep: (ms, abort) => push.listener.sleep(ms, abort), safetyPollMs: settings.maxPollIntervalMs },
            onStatus: status => info(`+${formatDuration(clock.now() - since)} ${describeStatus(status)}`),
            onHeartbeat: beat => info(heartbeatLine(beat, previous))
          })
        } finally {
          await push?.close()
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
    scriptLog: ({ task }, result, { clock, cancel, startedAt, settings }) =>
      isExternalProgram(task)
        ? Promise.resolve(undefined)
        : saveScriptLog(api.with({ deadline: startedAt + settings.timeoutMs }), task.id, result, {
            dir: process.env.RUNNER_TEMP || tmpdir(),
            clock,
            signal: cancel,
            maxBytes: settings.scriptLogMaxBytes
          }),

    release: async () => {}
  }
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
