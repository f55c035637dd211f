/** The /qrs routes. Everything here runs after the TLS, xrfkey and user checks passed. */
import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { QlikUser } from './auth.js'
import { aboutJson, appJson, compositeEventJson, customPropertyDefinitionJson, enumsJson, resultJson, sessionJson, tagJson, taskJson, type Json } from './entities.js'
import { FilterError, matches, parseFilter } from './filter.js'
import { getParam, type QueryParam } from './query.js'
import { NotificationError, type NotificationHub } from './notifications.js'
import type { Runner } from './runner.js'
import type { Switches } from './scenario.js'
import { streamLog } from './scriptlog.js'
import { emptyGuid, findById, newTask, type SimState, type TaskState } from './state.js'

/** `headers` and `html` are used by the proxy (redirects, WWW-Authenticate, Set-Cookie, login form). */
export type Reply = (
  | { status: number; json: unknown }
  | { status: number; text: string }
  | { status: number; html: string }
  | { status: number; empty: true }
  /** A streamed body (script log download): `stream` writes it with backpressure and ends the response. */
  | { status: number; contentType: string; stream: (res: ServerResponse) => Promise<void> }
) & { headers?: Record<string, string | string[]> }

export interface RouteContext {
  method: string
  /** Path segments after /qrs, lower-cased (QRS paths are case-insensitive). */
  segments: string[]
  params: QueryParam[]
  body: string
  user: QlikUser
  state: SimState
  switches: Switches
  runner: Runner
  notifications: NotificationHub
}

const text = (status: number, message: string): Reply => ({ status, text: message })
const json = (body: unknown, status = 200): Reply => ({ status, json: body })
const empty = (status = 204): Reply => ({ status, empty: true })
const notFound = (what: string, id: string): Reply => text(404, `Cannot find the ${what} with id ${id}`)

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms).unref()) : Promise.resolve()
}

/** A list route: the filter sees the full entity, the answer is condensed unless /full. */
function list<T>(ctx: RouteContext, items: T[], toJson: (item: T, full: boolean) => Json, shape: 'condensed' | 'full' | 'count'): Reply {
  const filterText = getParam(ctx.params, 'filter')
  let selected = items
  if (filterText !== undefined && filterText.trim() !== '') {
    try {
      const filter = parseFilter(filterText)
      selected = items.filter((item) => matches(filter, toJson(item, true)))
    } catch (err) {
      if (err instanceof FilterError) return text(400, err.message)
      throw err
    }
  }
  if (shape === 'count') return json({ value: selected.length })
  return json(selected.map((item) => withPrivileges(ctx, item, toJson(item, shape === 'full'))))
}

/**
 * `?privileges=true`: each entity's `privileges` lists the actions the user may take on it (tasks:
 * "update" = may start it). Entities without their own list get read only. The "omitted" switch
 * is a server that leaves them null anyway.
 */
function withPrivileges(ctx: RouteContext, item: unknown, body: Json): Json {
  if ((getParam(ctx.params, 'privileges') ?? '').toLowerCase() !== 'true' || ctx.switches.privileges === 'omitted') return body
  const own = (item as { privileges?: unknown }).privileges
  return { ...body, privileges: Array.isArray(own) ? [...own] : ['read'] }
}

function listShape(rest: string[]): 'condensed' | 'full' | 'count' | undefined {
  if (rest.length === 0) return 'condensed'
  if (rest.length === 1 && rest[0] === 'full') return 'full'
  if (rest.length === 1 && rest[0] === 'count') return 'count'
  return undefined
}

function taskByName(ctx: RouteContext): TaskState | Reply {
  const name = getParam(ctx.params, 'name') ?? ''
  const task = ctx.state.tasks.find((t) => t.name.toLowerCase() === name.toLowerCase())
  return task ?? text(400, `Cannot find a task with the following name: ${name}`)
}

/** Starts first, then waits startLatencyMs: a slow answer must not mean "did not start". */
async function startTask(ctx: RouteContext, task: TaskState, synchronous: boolean): Promise<Reply> {
  // Starting needs the update right on the task (security rules); without it the QRS refuses.
  if (!task.privileges.some((p) => p.toLowerCase() === 'update')) return text(403, 'Forbidden')
  const sessionId = ctx.runner.start(task, ctx.user)
  await sleep(ctx.switches.startLatencyMs)
  return synchronous ? json({ value: sessionId ?? emptyGuid }, 201) : empty()
}

function parseIdList(body: string): string[] | Reply {
  try {
    const ids: unknown = JSON.parse(body)
    if (Array.isArray(ids) && ids.every((id) => typeof id === 'string')) return ids as string[]
  } catch {
    // fall through
  }
  return text(400, 'The request body must be a JSON array of task ids')
}

async function taskRoutes(ctx: RouteContext, rest: string[]): Promise<Reply | undefined> {
  const { state, switches, method } = ctx
  const shape = listShape(rest)
  if (shape && method === 'GET') return list(ctx, state.tasks, (t, full) => taskJson(t, full, state, switches), shape)
  if (method !== 'POST') return undefined
  const path = rest.join('/')
  if (path === 'start/synchronous' || path === 'start') {
    const task = taskByName(ctx)
    return 'status' in task ? task : startTask(ctx, task, path === 'start/synchronous')
  }
  if (path === 'start/many' || path === 'stop/many') {
    const ids = parseIdList(ctx.body)
    if (!Array.isArray(ids)) return ids
    for (const id of ids) {
      const task = findById(state.tasks, id)
      if (!task) continue
      if (path === 'start/many') ctx.runner.start(task, ctx.user)
      else ctx.runner.stop(task)
    }
    if (path === 'start/many') await sleep(switches.startLatencyMs)
    return empty()
  }
  const [id, action, sub] = rest
  const task = id ? findById(state.tasks, id) : undefined
  if (action === 'start' && (sub === undefined || (sub === 'synchronous' && rest.length === 3))) {
    return task ? startTask(ctx, task, sub === 'synchronous') : notFound('task', id)
  }
  if (action === 'stop' && rest.length === 2) {
    if (!task) return notFound('task', id)
    ctx.runner.stop(task)
    return switches.stopStatus === 204 ? empty() : { status: switches.stopStatus, text: '' }
  }
  return undefined
}

async function appReload(ctx: RouteContext, id: string): Promise<Reply> {
  const { state, switches } = ctx
  const app = findById(state.apps, id)
  if (!app) return notFound('app', id)
  let task = switches.appReloadTask === 'reuse' && app.manualTaskId ? findById(state.tasks, app.manualTaskId) : undefined
  if (!task) {
    task = newTask(state, {
      id: randomUUID(),
      name: `Manually triggered reload of ${app.name}`,
      appId: app.id,
      isManuallyTriggered: true,
      runs: app.reloadRuns
    })
    state.tasks.push(task)
    app.manualTaskId = task.id
  }
  ctx.runner.start(task, ctx.user)
  await sleep(switches.startLatencyMs)
  return empty()
}

/** GET /qrs/reloadtask/{taskId}/scriptlog?fileReferenceId= and .../scriptlogfile?executionResultId= (doc section 9). */
function scriptLogReference(ctx: RouteContext, reloadTasks: TaskState[], taskId: string, kind: 'scriptlog' | 'scriptlogfile'): Reply {
  const { state, switches, runner } = ctx
  const served = switches.scriptLogRoutes === 'both' || (kind === 'scriptlog' ? switches.scriptLogRoutes === 'legacy' : switches.scriptLogRoutes === 'current')
  if (!served) return text(404, 'Not found')
  const task = findById(reloadTasks, taskId)
  if (!task) return notFound('reload task', taskId)
  const param = kind === 'scriptlog' ? 'fileReferenceId' : 'executionResultId'
  const id = (getParam(ctx.params, param) ?? '').trim()
  const lower = id.toLowerCase()
  const result = state.results.find(
    (r) => r.taskID.toLowerCase() === task.id.toLowerCase() &&
      (kind === 'scriptlog' ? r.fileReferenceID.toLowerCase() === lower && lower !== emptyGuid : r.id.toLowerCase() === lower)
  )
  if (!result) return kind === 'scriptlog' ? text(404, `Cannot find the script log with file reference id ${id}`) : notFound('execution result', id)
  const log = result.scriptLogAvailable ? runner.logs.get(result.id) : undefined
  if (!log) return text(404, `There is no script log for the execution result with id ${result.id}`)
  return json({ value: runner.logs.reference(result.id) })
}

/** GET /qrs/download/reloadtask/{ref}/{file name}: the log as CRLF text, streamed. */
function download(ctx: RouteContext, rest: string[]): Reply | undefined {
  if (ctx.method !== 'GET' || rest.length !== 3 || rest[0] !== 'reloadtask' || rest[2] === '') return undefined
  const ref = rest[1]
  const log = ctx.runner.logs.byReference(ref)
  if (!log) return text(404, `Cannot find the download reference ${ref}`)
  // Right after the run the file is not there yet (Butler issues #1499, #1503).
  if (Date.now() < log.availableAt) return text(404, 'The requested file could not be found')
  return {
    status: 200,
    contentType: 'text/plain; charset=utf-8',
    headers: { 'Content-Length': String(log.size), 'Content-Disposition': `attachment; filename="${rest[2].replace(/["\\\r\n]/g, '_')}"` },
    stream: (res) => streamLog(res, log)
  }
}

/** POST /qrs/notification?name=&id=&filter=&changeType=&propertyName= (body: the callback URL as a JSON string); DELETE ?handle=. */
function notification(ctx: RouteContext, rest: string[]): Reply | undefined {
  if (rest.length !== 0) return undefined
  const param = (name: string): string | undefined => getParam(ctx.params, name)
  if (ctx.method === 'POST') {
    try {
      const sub = ctx.notifications.subscribe({
        name: param('name'), id: param('id'), filter: param('filter'), changeType: param('changeType'),
        propertyName: param('propertyName'), body: ctx.body
      })
      return json(sub.handle, ctx.switches.notificationCreateStatus)
    } catch (err) {
      if (err instanceof NotificationError) return text(400, err.message)
      throw err
    }
  }
  if (ctx.method === 'DELETE') {
    const handle = param('handle')
    if (handle === undefined || handle.trim() === '') return text(400, 'Missing parameter: handle')
    // An unknown (or already removed) handle is answered like a known one.
    ctx.notifications.unsubscribe(handle)
    return empty()
  }
  return undefined
}

function byId<T extends { id: string }>(items: T[], id: string, what: string, toJson: (item: T) => Json, ctx?: RouteContext): Reply {
  const item = findById(items, id)
  return item ? json(ctx ? withPrivileges(ctx, item, toJson(item)) : toJson(item)) : notFound(what, id)
}

export async function route(ctx: RouteContext): Promise<Reply> {
  const { state, switches, method } = ctx
  const [entity, ...rest] = ctx.segments
  const get = method === 'GET'
  const shape = listShape(rest)
  const single = rest.length === 1 && !shape ? rest[0] : undefined
  let reply: Reply | undefined
  switch (entity) {
    case 'about':
      if (get && rest.length === 0) reply = json(aboutJson())
      else if (get && rest.join('/') === 'api/enums') reply = json(enumsJson())
      break
    case 'app':
      if (get && shape) reply = list(ctx, state.apps, (a, full) => appJson(a, full, state), shape)
      else if (get && single) reply = byId(state.apps, single, 'app', (a) => appJson(a, true, state), ctx)
      else if (method === 'POST' && rest.length === 2 && rest[1] === 'reload') reply = await appReload(ctx, rest[0])
      break
    case 'reloadtask': {
      const reloadTasks = state.tasks.filter((t) => t.taskType === 0)
      const toJson = (t: TaskState, full: boolean): Json => taskJson(t, full, state, switches)
      if (get && shape) reply = list(ctx, reloadTasks, toJson, shape)
      else if (get && single) reply = byId(reloadTasks, single, 'reload task', (t) => toJson(t, true), ctx)
      else if (get && rest.length === 2 && (rest[1] === 'scriptlog' || rest[1] === 'scriptlogfile')) {
        reply = scriptLogReference(ctx, reloadTasks, rest[0], rest[1])
      }
      break
    }
    case 'externalprogramtask': {
      const programTasks = state.tasks.filter((t) => t.taskType === 1)
      const toJson = (t: TaskState, full: boolean): Json => taskJson(t, full, state, switches)
      if (get && shape) reply = list(ctx, programTasks, toJson, shape)
      else if (get && single) reply = byId(programTasks, single, 'external program task', (t) => toJson(t, true), ctx)
      break
    }
    case 'tag':
      if (get && shape) reply = list(ctx, state.tags, tagJson, shape)
      else if (get && single) reply = byId(state.tags, single, 'tag', (t) => tagJson(t, true), ctx)
      break
    case 'custompropertydefinition':
      if (get && shape) reply = list(ctx, state.customPropertyDefinitions, customPropertyDefinitionJson, shape)
      else if (get && single) reply = byId(state.customPropertyDefinitions, single, 'custom property definition', (d) => customPropertyDefinitionJson(d, true), ctx)
      break
    case 'notification':
      reply = notification(ctx, rest)
      break
    case 'download':
      reply = download(ctx, rest)
      break
    case 'task':
      reply = await taskRoutes(ctx, rest)
      break
    case 'compositeevent': {
      const toJson = (e: (typeof state.compositeEvents)[number], full: boolean): Json => compositeEventJson(e, full, state, switches)
      if (get && shape) reply = list(ctx, state.compositeEvents, toJson, shape)
      else if (get && single) reply = byId(state.compositeEvents, single, 'composite event', (e) => toJson(e, true))
      break
    }
    case 'schemaevent': {
      // Time triggers are not simulated: always an empty list (filters still parsed).
      const none: { id: string }[] = []
      if (get && shape) reply = list(ctx, none, () => ({}), shape)
      else if (get && single) reply = notFound('schema event', single)
      break
    }
    case 'executionsession': {
      const live = state.sessions.filter((s) => s.active)
      const toJson = (s: (typeof live)[number], full: boolean): Json => sessionJson(s, full, state, switches)
      if (get && shape) reply = list(ctx, live, toJson, shape)
      else if (get && single) reply = byId(live, single, 'execution session', (s) => toJson(s, true))
      break
    }
    case 'executionresult': {
      const ordered = switches.resultsOrder === 'desc' ? [...state.results].reverse() : state.results
      const toJson = (r: (typeof ordered)[number], full: boolean): Json => resultJson(r, full, switches)
      if (get && shape) reply = list(ctx, ordered, toJson, shape)
      else if (get && single) reply = byId(ordered, single, 'execution result', (r) => toJson(r, true))
      break
    }
  }
  return reply ?? text(404, 'Not found')
}
