import type { QrsApi } from '../qrs/api.js'
import { stopExecution } from '../reload/stop.js'
import { taskNames } from '../report/started.js'
import { lookForStarted, startedWhat, userName, type StartRecord } from '../reload/start-record.js'
import type { Log } from '../toolkit/toolkit.js'
import type { Clock } from '../util/clock.js'
import { errorMessage } from '../util/errors.js'
import { formatDuration } from '../util/format.js'
import { firstLine } from '../util/text.js'
import { stopAndExplain } from './stop.js'

/** A start this step sent whose answer it does not have (yet): a cancellation must find what it started. */
export interface PendingStart {
  record: StartRecord
  /** Finds what it started and stops it, on calls a cancellation does not cut. */
  settle(story: SettleStory): Promise<Settled>
}

/** How a start in flight was settled, and the sentence that says it. */
export interface Settled {
  /** `none`: nothing of ours ran yet (looked for `lookMs`); `several`: not told apart, none stopped. */
  kind: 'stopped' | 'already-ended' | 'failed' | 'none' | 'several'
  executionId?: string
  message: string
}

export interface SettleStory {
  /** Why, the sentence's start: "The job was cancelled", "The main step did not finish (cancelled or killed)". */
  why: string
  /** How long to look for what it started (a start just sent can take a moment to show). */
  lookMs: number
  /** How long to wait for Aborted once a stop is sent. */
  waitMs: number
  /** What happens when nothing was found, or the stop failed: "The post step looks again." */
  afterward: string
}

/**
 * What a start in flight started: the running execution of its task (or app) that was not running
 * before it and runs as our user. One: stopped, after reading that it still runs (as every stop).
 * None within `lookMs`: said, and left to `afterward`. Several: not told apart, so none is stopped.
 */
export async function settleStart(api: QrsApi, record: StartRecord, story: SettleStory & { clock: Clock; log: Log }): Promise<Settled> {
  const { why, lookMs, waitMs, afterward, clock, log } = story
  const what = `${startedWhat(record)} (sent at ${record.at})`
  let found
  try {
    found = await lookForStarted(api, record, { clock, lookMs })
  } catch (error) {
    return { kind: 'failed', message: `${why} during the start of ${what}, and looking for what it started failed: ${firstLine(errorMessage(error))}. ${afterward}` }
  }
  if (found.length === 0) {
    return {
      kind: 'none',
      message: `${why} during the start of ${what}; no running execution of it by ${userName(record)} had appeared ${formatDuration(lookMs)} later. ${afterward}`
    }
  }
  if (found.length > 1) {
    const ids = found.map(f => f.executionId).join(', ')
    return {
      kind: 'several',
      message: `${why} during the start of ${what}; ${found.length} executions of it by ${userName(record)} started since (${ids}) and the server does not tell which one this start made: none is stopped. Stop the right one in the QMC.`
    }
  }
  const [{ executionId, taskId }] = found
  const stop = await stopAndExplain(() => stopExecution(api, taskId, executionId, { clock, log, waitMs }), {
    why: `${why} during the start of ${what}`,
    names: taskNames(record.appId ? `the reload task ${taskId} of ${startedWhat(record)}` : startedWhat(record), executionId),
    afterFailure: afterward
  })
  return { kind: stop.kind, executionId, message: stop.message }
}
