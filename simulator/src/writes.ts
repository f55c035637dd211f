/** The write routes foreign clients use: POST /qrs/reloadtask/create, PUT /qrs/app/{id}; and the route list of /qrs/about/api/description. */
import { randomUUID } from 'node:crypto'
import { appJson } from './entities.js'
import { findById, newTask, now, unsetDate, type CompositeEventState, type SimState, type TaskState } from './state.js'

/** A subset of routes.ts's Reply (no import: routes.ts imports this file). */
type Reply = { status: number; text: string } | { status: number; json: unknown }

const bad = (message: string): Reply => ({ status: 400, text: message })

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback)

function parse(body: string): Obj | Reply {
  try {
    const value: unknown = JSON.parse(body)
    if (isObj(value)) return value
  } catch {
    // fall through
  }
  return bad('The request body must be a JSON object')
}

const refId = (ref: unknown): string | undefined => (isObj(ref) && typeof ref.id === 'string' ? ref.id : undefined)

/**
 * POST /qrs/reloadtask/create: a ReloadTaskBundle {task, compositeEvents, schemaEvents}. The task
 * (name, app.id required) runs the default run; composite events start it when their rules are met;
 * schema events are listed and never fire. Answers 201 with the full ReloadTask.
 */
export function createReloadTask(state: SimState, body: string, answer: (task: TaskState) => Reply): Reply {
  const bundle = parse(body)
  if (!isObj(bundle) || 'status' in bundle) return bundle as Reply
  const t = bundle.task
  if (!isObj(t) || typeof t.name !== 'string' || t.name.trim() === '') return bad('task.name is required')
  const appId = refId(t.app)
  if (!appId || !findById(state.apps, appId)) return bad(`task.app.id must name an existing app (got ${appId ?? 'none'})`)
  const events = Array.isArray(bundle.compositeEvents) ? bundle.compositeEvents : []
  const schemas = Array.isArray(bundle.schemaEvents) ? bundle.schemaEvents : []
  const id = randomUUID()
  const made: CompositeEventState[] = []
  const created = now()
  for (const e of events) {
    if (!isObj(e) || !Array.isArray(e.compositeRules) || e.compositeRules.length === 0) return bad('every composite event needs compositeRules')
    const rules: CompositeEventState['rules'] = []
    for (const r of e.compositeRules) {
      const upstream = isObj(r) ? (refId(r.reloadTask) ?? refId(r.externalProgramTask)) : undefined
      if (!upstream || !findById(state.tasks, upstream)) return bad(`a composite rule names an unknown task ${upstream ?? '(none)'}`)
      const ruleState = isObj(r) && r.ruleState === 2 ? 2 : 1
      rules.push({ id: randomUUID(), taskId: upstream, ruleState, operationalId: randomUUID(), currentState: 0, timeStamp: unsetDate })
    }
    const tc = isObj(e.timeConstraint) ? e.timeConstraint : {}
    made.push({
      id: randomUUID(),
      name: typeof e.name === 'string' && e.name ? e.name : `Trigger for ${t.name}`,
      enabled: e.enabled !== false,
      timeConstraint: { id: randomUUID(), days: num(tc.days, 0), hours: num(tc.hours, 0), minutes: num(tc.minutes, 360), seconds: num(tc.seconds, 0) },
      rules,
      downstreamTaskId: id,
      createdDate: created,
      modifiedDate: created,
      operationalId: randomUUID(),
      timesTriggered: 0
    })
  }
  const task = newTask(state, {
    id,
    name: t.name,
    appId,
    enabled: t.enabled !== false,
    maxRetries: Math.min(20, num(t.maxRetries, 0)),
    taskSessionTimeout: Math.max(1, num(t.taskSessionTimeout, 1440))
  })
  state.tasks.push(task)
  state.compositeEvents.push(...made)
  for (const e of schemas) {
    if (!isObj(e)) continue
    state.schemaEvents.push({
      id: randomUUID(),
      name: typeof e.name === 'string' && e.name ? e.name : `Schedule for ${t.name}`,
      enabled: e.enabled !== false,
      taskId: id,
      timeZone: typeof e.timeZone === 'string' && e.timeZone ? e.timeZone : 'UTC',
      startDate: typeof e.startDate === 'string' && !Number.isNaN(Date.parse(e.startDate)) ? new Date(e.startDate).toISOString() : created,
      schemaFilterDescription: Array.isArray(e.schemaFilterDescription) ? e.schemaFilterDescription.filter((x): x is string => typeof x === 'string') : ['* * - * * * * *'],
      incrementDescription: typeof e.incrementDescription === 'string' ? e.incrementDescription : '0 0 1 0',
      incrementOption: typeof e.incrementOption === 'number' && [0, 1, 2, 3, 4, 5].includes(e.incrementOption) ? e.incrementOption : 2,
      createdDate: created,
      operationalId: randomUUID()
    })
  }
  return answer(task)
}

/**
 * PUT /qrs/app/{id}: the App as read, changed. The QRS checks modifiedDate for concurrent edits:
 * an older one is 409 Conflict. Name and description are taken; the answer is the updated App.
 */
export function updateApp(state: SimState, id: string, body: string): Reply {
  const app = findById(state.apps, id)
  if (!app) return { status: 404, text: `Cannot find the app with id ${id}` }
  const item = parse(body)
  if (!isObj(item) || 'status' in item) return item as Reply
  if (typeof item.modifiedDate === 'string' && Date.parse(item.modifiedDate) < Date.parse(app.modifiedDate)) {
    return { status: 409, text: `Conflict: the app ${id} was modified at ${app.modifiedDate}, after ${item.modifiedDate}` }
  }
  if (item.name !== undefined && (typeof item.name !== 'string' || item.name.trim() === '')) return bad('name must be a non-empty string')
  if (typeof item.name === 'string') app.name = item.name
  if (typeof item.description === 'string') app.description = item.description
  app.modifiedDate = now()
  return { status: 200, json: appJson(app, true) }
}

/** The routes the simulator serves, as `METHOD /qrs/path` lines (GET /qrs/about/api/description?method=). */
const served = [
  'GET /qrs/about',
  'GET /qrs/about/api/enums',
  'GET /qrs/about/api/description',
  'GET /qrs/app',
  'GET /qrs/app/full',
  'GET /qrs/app/count',
  'GET /qrs/app/{id}',
  'PUT /qrs/app/{id}',
  'POST /qrs/app/{id}/reload',
  'GET /qrs/reloadtask',
  'GET /qrs/reloadtask/full',
  'GET /qrs/reloadtask/count',
  'GET /qrs/reloadtask/{id}',
  'POST /qrs/reloadtask/create',
  'GET /qrs/reloadtask/{reloadtaskid}/scriptlog',
  'GET /qrs/reloadtask/{reloadtaskid}/scriptlogfile',
  'GET /qrs/externalprogramtask',
  'GET /qrs/externalprogramtask/full',
  'GET /qrs/externalprogramtask/count',
  'GET /qrs/externalprogramtask/{id}',
  'GET /qrs/task',
  'GET /qrs/task/full',
  'GET /qrs/task/count',
  'POST /qrs/task/{id}/start',
  'POST /qrs/task/{id}/start/synchronous',
  'POST /qrs/task/start',
  'POST /qrs/task/start/synchronous',
  'POST /qrs/task/start/many',
  'POST /qrs/task/{id}/stop',
  'POST /qrs/task/stop/many',
  'GET /qrs/executionsession',
  'GET /qrs/executionsession/full',
  'GET /qrs/executionsession/count',
  'GET /qrs/executionsession/{id}',
  'GET /qrs/executionresult',
  'GET /qrs/executionresult/full',
  'GET /qrs/executionresult/count',
  'GET /qrs/executionresult/{id}',
  'GET /qrs/compositeevent',
  'GET /qrs/compositeevent/full',
  'GET /qrs/compositeevent/count',
  'GET /qrs/compositeevent/{id}',
  'GET /qrs/schemaevent',
  'GET /qrs/schemaevent/full',
  'GET /qrs/schemaevent/count',
  'GET /qrs/schemaevent/{id}',
  'GET /qrs/user',
  'GET /qrs/user/full',
  'GET /qrs/user/count',
  'GET /qrs/user/{id}',
  'POST /qrs/notification',
  'DELETE /qrs/notification',
  'GET /qrs/download/reloadtask/{downloadticketid}/{localfilename}'
]

export function apiDescription(method: string | undefined): string[] {
  const m = method?.trim().toUpperCase()
  return m ? served.filter((line) => line.startsWith(`${m} `)) : served
}
