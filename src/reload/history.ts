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
 * small (about 100 KB a task at most) however often the task runs (QRS lists have no `take`). A 20-minute
 * reload finds 33 hours of runs, a 2-hour one 8 days; a 12 s reload that runs hourly finds its last run only.
 */
const HISTORY_SPAN_RUNS = 100

/**
 * The forecast for the next run of each task (by lower-case id): the lookup's last result (no request),
 * and for those whose last run took HISTORY_MIN_MS or more, the median and spread of their recent
 * successful runs, all read at once (one request for every task of the step, split by the URL budget).
 * A failed read keeps the last runs' forecasts: history only tunes the schedule.
 */
/** Whether the forecast of this task's next run comes from its recent runs (a read), not its last run alone. */
export function readsHistory(task: ReloadTask): boolean {
  const last = task.operational?.lastExecutionResult
  const single = forecastOf(last)
  return single !== undefined && single.expectedMs >= HISTORY_MIN_MS && Number.isFinite(Date.parse(last?.startTime ?? ''))
}

export async function taskForecasts(api: QrsApi, tasks: ReloadTask[], log: Pick<Log, 'debug'>): Promise<Map<string, Forecast>> {
  const forecasts = new Map<string, Forecast>()
  const spans: { taskId: string; sinceIso: string }[] = []
  for (const task of tasks) {
    const last = task.operational?.lastExecutionResult
    const single = forecastOf(last)
    if (!single) continue
    forecasts.set(task.id.toLowerCase(), single)
    if (readsHistory(task)) {
      spans.push({ taskId: task.id, sinceIso: new Date(Date.parse(last!.startTime!) - HISTORY_SPAN_RUNS * single.expectedMs).toISOString() })
    }
  }
  if (spans.length === 0) return forecasts
  let runs
  try {
    runs = await api.recentRunsOf(spans)
  } catch (error) {
    log.debug(`The tasks' recent runs could not be read (${(error as Error).message}): the last runs are the forecasts.`)
    return forecasts
  }
  for (const { taskId } of spans) {
    const id = taskId.toLowerCase()
    // A read for one task answers for it alone.
    const recent = forecastFrom(spans.length === 1 ? runs : runs.filter(run => run.taskID?.toLowerCase() === id))
    if (recent) forecasts.set(id, recent)
  }
  return forecasts
}

/** One task's forecast: taskForecasts of it alone. */
export async function taskForecast(api: QrsApi, task: ReloadTask, log: Pick<Log, 'debug'>): Promise<Forecast | undefined> {
  return (await taskForecasts(api, [task], log)).get(task.id.toLowerCase())
}
