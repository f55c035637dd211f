import type { QrsApi } from '../qrs/api.js'
import type { ReloadTask } from '../qrs/types.js'
import type { Log } from '../toolkit/toolkit.js'
import { forecastFrom, forecastOf, type Forecast } from './schedule.js'

/**
 * Below this previous duration the lookup's last run is the whole forecast: a short reload's window is a
 * poll or two, and the read of the recent runs would cost more requests than its median saves.
 */
const HISTORY_MIN_MS = 10_000
/**
 * The recent runs are those that started within this many of the last run's durations before it. A task
 * runs one execution at a time, so the span holds at most this many runs (plus retries): the answer stays
 * small (about 100 KB at most) however often the task runs (QRS lists have no `take`). A 20-minute reload
 * finds 33 hours of runs, a 2-hour one 8 days; a 12 s reload that runs hourly finds its last run only.
 */
const HISTORY_SPAN_RUNS = 100

/**
 * The forecast for a task's next run: the lookup's last result (no request), and when that took
 * HISTORY_MIN_MS or more, the median and spread of its recent successful runs (one request).
 * A failed read keeps the last run's forecast: history only tunes the schedule.
 */
export async function taskForecast(api: QrsApi, task: ReloadTask, log: Pick<Log, 'debug'>): Promise<Forecast | undefined> {
  const last = task.operational?.lastExecutionResult
  const single = forecastOf(last)
  const lastStart = Date.parse(last?.startTime ?? '')
  if (!single || single.expectedMs < HISTORY_MIN_MS || !Number.isFinite(lastStart)) return single
  const since = new Date(lastStart - HISTORY_SPAN_RUNS * single.expectedMs).toISOString()
  try {
    return forecastFrom(await api.recentRuns(task.id, since)) ?? single
  } catch (error) {
    log.debug(`The task's recent runs could not be read (${(error as Error).message}): the last run is the forecast.`)
    return single
  }
}
