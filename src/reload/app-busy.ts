import type { QrsApi } from '../qrs/api.js'
import type { AppRef } from '../qrs/types.js'
import { printUntrusted } from '../output/untrusted.js'
import type { IfRunning } from '../settings/settings.js'
import type { Log } from '../toolkit/toolkit.js'
import type { Clock } from '../util/clock.js'
import { ReloadError } from '../util/errors.js'
import { describeStatus } from './status.js'
import { waitForExecution } from './wait.js'

export interface AppBusyOptions {
  ifRunning: Exclude<IfRunning, 'attach'>
  timeoutMs: number
  maxPollIntervalMs: number
  clock: Clock
  signal?: AbortSignal
  log: Log
}

/** A chain can start another task of the app the moment one ends: the check is made again, this many times at most. */
const MAX_ROUNDS = 10

/**
 * Before the action reloads an app in the engine itself: is a task of that app running on the scheduler
 * (the QRS's execution sessions)? `wait` waits for it to end (then looks again), `fail` refuses. Whether
 * one runs is not known when the server does not serve the list: `fail` refuses then too, `wait` warns.
 * Engine reloads of others are not in that list: the engine runs those one after the other itself.
 */
export async function untilAppIdle(api: QrsApi, app: AppRef, options: AppBusyOptions): Promise<void> {
  const name = `'${app.name ?? app.id}'`
  const deadline = options.clock.now() + options.timeoutMs
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const sessions = await api.appRunningSessions(app.id)
    if ('notKnown' in sessions) {
      const why = `Could not check whether a task of app ${name} is running (${sessions.notKnown})`
      if (options.ifRunning === 'fail')
        throw new ReloadError(`${why}, and if-running is 'fail': not reloading it. Allow the user to read execution sessions, or use if-running: wait.`)
      options.log.warning(`${why}: reloading it without that check.`)
      return
    }
    const [running] = sessions
    if (!running) return
    const task = running.reloadTask?.name ? `task '${running.reloadTask.name}'` : 'a task'
    if (options.ifRunning === 'fail') {
      throw new ReloadError(`App ${name} is being reloaded by ${task} (execution ${running.id}) and if-running is 'fail': not reloading it in the engine beside that run.`)
    }
    printUntrusted(options.log, `App ${name} is being reloaded by ${task} (execution ${running.id}): waiting for it to end before the engine reload (if-running: wait).`)
    const outcome = await waitForExecution(api.with({ retries: 0 }), running.id, {
      log: line => printUntrusted(options.log, line),
      clock: options.clock,
      timeoutMs: Math.max(0, deadline - options.clock.now()),
      maxPollIntervalMs: options.maxPollIntervalMs,
      signal: options.signal
    })
    if (outcome.kind === 'timeout') {
      throw new ReloadError(`App ${name} was being reloaded by ${task} (execution ${running.id}), which did not end within the timeout; this step reloaded nothing.`)
    }
    options.log.info(`That run ended with ${describeStatus(outcome.result.status)}.`)
  }
  throw new ReloadError(`Tasks of app ${name} kept running for ${MAX_ROUNDS} runs in a row; this step reloaded nothing.`)
}
