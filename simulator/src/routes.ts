/** The /qrs routes. Everything here runs after the TLS, xrfkey and user checks passed. */
import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { findUser, type QlikUser } from './auth.js'
import {
  aboutJson,
  appJson,
  compositeEventJson,
  customPropertyDefinitionJson,
  enumsJson,
  genericTaskJson,
  resultJson,
  schemaEventJson,
  sessionJson,
  tagJson,
  taskJson,
  userGuid,
  userJson,
  type Json
} from './entities.js'
import { FilterError, matches, parseFilter } from './filter.js'
import { OrderByError, parseOrderBy, sortBy } from './orderby.js'
import { getParam, type QueryParam } from './query.js'
import { apiDescription, createReloadTask, updateApp } from './writes.js'
import { NotificationError, type NotificationHub } from './notifications.js'
import type { Runner } from './runner.js'
import type { ScenarioUser, Switches } from './scenario.js'
import { streamLog } from './scriptlog.js'
import { emptyGuid, findById, findResult, newTask, type SimState, type TaskState } from './state.js'

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
  /** The scenario's users: security rules (hiddenTasks, deniedTasks) and /qrs/user. */
  users: ScenarioUser[]
}

const text = (status: number, message: string): Reply => ({ status, text: message })
const json = (body: unknown, status = 200): Reply => ({ status, json: body })
const empty = (status = 204): Reply => ({ status, empty: true })
const notFound = (what: string, id: string): Reply => text(404, `Cannot find the ${what} with id ${id}`)

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms).unref()) : Promise.resolve()
}

/** A list route: filter and orderby see the full entity, the answer is condensed unless /full. */
function list<T>(ctx: RouteContext, items: T[], toJson: (item: T, full: boolean) => Json, shape: 'condensed' | 'full' | 'count'): Reply {
  const filterText = getParam(ctx.params, 'filter')
  let selected = items
  try {
    if (filterText !== undefined && filterText.trim() !== '') {
      const filter = parseFilter(filterText)
      selected = items.filter((item) => matches(filter, toJson(item, true)))
    }
    if (shape === 'count') return json({ value: selected.length })
    const orderby = getParam(ctx.params, 'orderby')
    if (orderby !== undefined && orderby.trim() !== '') selected = sortBy(selected, parseOrderBy(orderby), (item) => toJson(item, true))
  } catch (err) {
    if (err instanceof FilterError || err instanceof OrderByError) return text(400, err.message)
    throw err
  }
  return json(selected.map((item) => withPrivileges(ctx, item, toJson(item, shape === 'full'))))
}

/**
 * `?privileges=true`: each entity's `privileges` lists the actions the user may take on it (tasks:
 * "update" = may start it; a task the user's security rules deny has no "update"). Entities without
 * their own list get read only. The "omitted" switch is a server that leaves them null anyway.
 */
function withPrivileges(ctx: RouteContext, item: unknown, body: Json): Json {
  if ((getParam(ctx.params, 'privileges') ?? '').toLowerCase() !== 'true' || ctx.switches.privileges === 'omitted') return body
  const own = (item as { privileges?: unknown }).privileges
  let privileges = Array.isArray(own) ? [...(own as string[])] : ['read']
  const id = (item as { id?: unknown }).id
  if (typeof id === 'string' && access(ctx).denied.has(id.toLowerCase())) privileges = privileges.filter((p) => p.toLowerCase() !== 'update')
  return { ...body, privileges }
}

/** Security rules of the calling user (scenario users' hiddenTasks, deniedTasks); ids lower-cased. */
function access(ctx: RouteContext): { hidden: Set<string>; denied: Set<string> } {
  const user = findUser(ctx.users, ctx.user)
  const lower = (ids?: string[]): Set<string> => new Set((ids ?? []).map((id) => id.toLowerCase()))
  return { hidden: lower(user?.hiddenTasks), denied: lower(user?.deniedTasks) }
}

/** The tasks this user may read: lists are filtered by the security rules, not refused. */
function visibleTasks(ctx: RouteContext): TaskState[] {
  const { hidden } = access(ctx)
  return hidden.size === 0 ? ctx.state.tasks : ctx.state.tasks.filter((t) => !hidden.has(t.id.toLowerCase()))
}

/** [unconfirmed] body: live servers answer 403 to actions the security rules deny; the text is a guess. */
const denied = (task: TaskState): Reply => text(403, `Access denied: the security rules do not allow this user to execute the task ${task.id}`)

function listShape(rest: string[]): 'condensed' | 'full' | 'count' | undefined {
  if (rest.length === 0) return 'condensed'
  if (rest.length === 1 && rest[0] === 'full') return 'full'
  if (rest.length === 1 && rest[0] === 'count') return 'count'
  return undefined
}

function taskByName(ctx: RouteContext): TaskState | Reply {
  const name = getParam(ctx.params, 'name') ?? ''
  const task = visibleTasks(ctx).find((t) => t.name.toLowerCase() === name.toLowerCase())
  return task ?? text(400, `Cannot find a task with the following name: ${name}`)
}

/** Starts first, then waits startLatencyMs: a slow answer must not mean "did not start". */
async function startTask(ctx: RouteContext, task: TaskState, synchronous: boolean): Promise<Reply> {
  if (access(ctx).denied.has(task.id.toLowerCase())) return denied(task)
  // Starting needs the update right on the task (the scenario's privileges); without it the QRS refuses.
  if (!task.privileges.some((p) => p.toLowerCase() === 'update')) return denied(task)
  const sessionId = ctx.runner.start(task, ctx.user)
  await sleep(ctx.switches.startLatencyMs)
  return synchronous ? json({ value: sessionId ?? emptyGuid }, 201) : empty()
}

function parseIdList(body: string): string[] | Reply {
  try {
    const ids: unknown = JSON.parse(body)
    if (Array.isArray(ids) && ids.every((id) => typeof id === 'string')) return ids
  } catch {
    // fall through
  }
  return text(400, 'The request body must be a JSON array of task ids')
}

async function taskRoutes(ctx: RouteContext, rest: string[]): Promise<Reply | undefined> {
  const { switches, method } = ctx
  const shape = listShape(rest)
  const tasks = visibleTasks(ctx)
  if (shape && method === 'GET') return list(ctx, tasks, (t, full) => genericTaskJson(t, full, switches), shape)
  if (method !== 'POST') return undefined
  const path = rest.join('/')
  if (path === 'start/synchronous' || path === 'start') {
    const task = taskByName(ctx)
    return 'status' in task ? task : startTask(ctx, task, path === 'start/synchronous')
  }
  if (path === 'start/many' || path === 'stop/many') {
    const ids = parseIdList(ctx.body)
    if (!Array.isArray(ids)) return ids
    const refused = ids.map((id) => findById(tasks, id)).find((t) => t && access(ctx).denied.has(t.id.toLowerCase()))
    if (refused) return denied(refused)
    for (const id of ids) {
      const task = findById(tasks, id)
      if (!task) continue
      if (path === 'start/many') ctx.runner.start(task, ctx.user)
      else ctx.runner.stop(task)
    }
    if (path === 'start/many') await sleep(switches.startLatencyMs)
    return empty()
  }
  const [id, action, sub] = rest
  const task = id ? findById(tasks, id) : undefined
  if (action === 'start' && (sub === undefined || (sub === 'synchronous' && rest.length === 3))) {
    return task ? startTask(ctx, task, sub === 'synchronous') : notFound('task', id)
  }
  if (action === 'stop' && rest.length === 2) {
    if (!task) return notFound('task', id)
    if (access(ctx).denied.has(task.id.toLowerCase())) return denied(task)
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
  if (!served) return text(kind === 'scriptlogfile' ? switches.scriptLogFileMissingStatus : 404, 'Not found')
  const task = findById(reloadTasks, taskId)
  if (!task) return notFound('reload task', taskId)
  const param = kind === 'scriptlog' ? 'fileReferenceId' : 'executionResultId'
  const id = (getParam(ctx.params, param) ?? '').trim()
  const lower = id.toLowerCase()
  const result = state.results.find(
    (r) =>
      r.taskID.toLowerCase() === task.id.toLowerCase() && (kind === 'scriptlog' ? r.fileReferenceID.toLowerCase() === lower && lower !== emptyGuid : r.id.toLowerCase() === lower)
  )
  if (!result) return kind === 'scriptlog' ? text(404, `Cannot find the script log with file reference id ${id}`) : notFound('execution result', id)
  // Not scriptLogAvailable: live servers can say false while the log is there (switch scriptLogAvailableFalse).
  const log = runner.logs.get(result.id)
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
        name: param('name'),
        id: param('id'),
        filter: param('filter'),
        changeType: param('changeType'),
        propertyName: param('propertyName'),
        body: ctx.body
      })
      // Live servers wrap the handle like every primitive answer; the definition types it as a bare string.
      return json(ctx.switches.notificationHandle === 'string' ? sub.handle : { value: sub.handle }, ctx.switches.notificationCreateStatus)
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
      else if (get && rest.join('/') === 'api/description') reply = json(apiDescription(getParam(ctx.params, 'method')))
      break
    case 'app':
      if (get && shape) reply = list(ctx, state.apps, (a, full) => appJson(a, full, state), shape)
      else if (get && single) reply = byId(state.apps, single, 'app', (a) => appJson(a, true, state), ctx)
      else if (method === 'PUT' && single) reply = updateApp(state, single, ctx.body)
      else if (method === 'POST' && rest.length === 2 && rest[1] === 'reload') reply = await appReload(ctx, rest[0])
      break
    case 'user': {
      if (get && shape) reply = list(ctx, ctx.users, userJson, shape)
      else if (get && single) {
        const user = ctx.users.find((u) => userGuid(u) === single)
        reply = user ? json(userJson(user, true)) : notFound('user', single)
      }
      break
    }
    case 'reloadtask': {
      const reloadTasks = visibleTasks(ctx).filter((t) => t.taskType === 0)
      const toJson = (t: TaskState, full: boolean): Json => taskJson(t, full, state, switches)
      if (method === 'POST' && rest.length === 1 && rest[0] === 'create') reply = createReloadTask(state, ctx.body, (t) => ({ status: 201, json: toJson(t, true) }))
      else if (get && shape) reply = list(ctx, reloadTasks, toJson, shape)
      else if (get && single) reply = byId(reloadTasks, single, 'reload task', (t) => toJson(t, true), ctx)
      else if (get && rest.length === 2 && (rest[1] === 'scriptlog' || rest[1] === 'scriptlogfile')) {
        reply = scriptLogReference(ctx, reloadTasks, rest[0], rest[1])
      }
      break
    }
    case 'externalprogramtask': {
      const programTasks = visibleTasks(ctx).filter((t) => t.taskType === 1)
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
      // Time triggers never fire here; those made by reloadtask/create are listed.
      const toJson = (e: (typeof state.schemaEvents)[number], full: boolean): Json => schemaEventJson(e, full, state, switches)
      if (get && shape) reply = list(ctx, state.schemaEvents, toJson, shape)
      else if (get && single) reply = byId(state.schemaEvents, single, 'schema event', (e) => toJson(e, true))
      break
    }
    case 'executionsession': {
      const { hidden } = access(ctx)
      const live = state.sessions.filter((s) => s.active && !hidden.has(s.taskId.toLowerCase()))
      const toJson = (s: (typeof live)[number], full: boolean): Json => sessionJson(s, full, state, switches)
      if (get && shape) reply = list(ctx, live, toJson, shape)
      else if (get && single) reply = byId(live, single, 'execution session', (s) => toJson(s, true))
      break
    }
    case 'executionresult': {
      const { hidden } = access(ctx)
      const readable = state.results.filter((r) => !hidden.has(r.taskID.toLowerCase()))
      const ordered = switches.resultsOrder === 'desc' ? readable.reverse() : readable
      const toJson = (r: (typeof ordered)[number], full: boolean): Json => resultJson(r, full, switches)
      if (get && shape) reply = list(ctx, ordered, toJson, shape)
      else if (get && single) {
        // A never-run task's NeverStarted placeholder is an entity too.
        const result = findResult(state, single)
        reply = result && !hidden.has(result.taskID.toLowerCase()) ? json(toJson(result, true)) : notFound('execution result', single)
      }
      break
    }
  }
  return reply ?? text(404, 'Not found')
}
