import type { Writable } from 'node:stream'
import { QrsError, WrongFieldsAnswer } from '../util/errors.js'
import type { CallOptions, Download, QrsClient } from './client.js'
import { chunks, eqGuid, quote } from './filter.js'
import { about, app, compositeEvent, executionResult, executionSession, handleAnswer, namedThing, referenceAnswer, reloadTask, startAnswer } from './answers.js'
import { list, optional } from './shape.js'
import { isExternalProgram, type About, type App, type CompositeEvent, type ExecutionResult, type ExecutionSession, type ReloadTask } from './types.js'
import { sameText } from '../util/ids.js'

/** A check the server could not answer (it does not serve the route): why, for a warning. */
export interface NotKnown {
  notKnown: string
}

const tasks = list(reloadTask)
const results = list(executionResult)
const sessions = list(executionSession)

/** Ids as the QRS compares them: case-insensitively. */

/**
 * The QRS calls the action makes, by name. Everything else goes through the client. Every answer is
 * checked against its shape (answers.ts) where it enters, and no identity the server echoes is trusted:
 * a lookup by id keeps only what has that id, a list filtered by a task, app or execution only what
 * belongs to it (a proxy that drops `filter` answers everything).
 */
export class QrsApi {
  constructor(private readonly client: QrsClient) {}

  /** The same API whose calls use `call` (see QrsClient.with): the run's calls are cut by a cancellation. */
  with(call: CallOptions): QrsApi {
    return new QrsApi(this.client.with(call))
  }

  /** The same API whose requests end by `deadline` (clock.now() terms): a wait's reads (reload/watch.ts ExecutionReader). */
  until(deadline: number): QrsApi {
    return this.with({ deadline })
  }

  /** The same API with no abort signal: for clean-up that must go out after a cancellation too (an unsubscribe). */
  detached(): QrsApi {
    return new QrsApi(this.client.with({ signal: undefined }))
  }

  about(): Promise<About> {
    return this.client.get('/qrs/about', about)
  }

  /** `privileges`: ask for what the signed-in user may do with each (`?privileges=true`). */
  reloadTasks(filter: string, privileges = false): Promise<ReloadTask[]> {
    return this.client.get('/qrs/reloadtask/full', tasks, { filter, ...(privileges ? { privileges: 'true' } : {}) })
  }

  externalProgramTasks(filter: string, privileges = false): Promise<ReloadTask[]> {
    return this.optionalList(this.client.get('/qrs/externalprogramtask/full', tasks, { filter, ...(privileges ? { privileges: 'true' } : {}) }))
  }

  async app(id: string, privileges = false): Promise<App | undefined> {
    const path = `/qrs/app/${id}`
    return this.itself('GET', path, id, await this.client.getIfExists(path, app, privileges ? { privileges: 'true' } : {}))
  }

  apps(filter: string): Promise<App[]> {
    return this.client.get('/qrs/app/full', list(app), { filter })
  }

  /** Condensed tags / custom property definitions: only to tell "does not exist" from "nothing carries it". */
  tags(filter: string): Promise<{ id: string; name: string }[]> {
    return this.optionalList(this.client.get('/qrs/tag', list(namedThing), { filter }))
  }

  customPropertyDefinitions(filter: string): Promise<{ id: string; name: string }[]> {
    return this.optionalList(this.client.get('/qrs/custompropertydefinition', list(namedThing), { filter }))
  }

  /**
   * POST /qrs/task/{id}/start/synchronous: answers once the task has started, with the execution session id.
   * An answer of the wrong shape is an UnexpectedAnswer: whether the task started is then not known.
   */
  async startTask(taskId: string): Promise<string | undefined> {
    const answer = await this.client.post(`/qrs/task/${taskId}/start/synchronous`, { shape: optional(startAnswer) })
    return answer.json?.value
  }

  /** QMC's "Reload now": 204 and no handle; the execution must be found afterwards. */
  async reloadApp(appId: string): Promise<void> {
    await this.client.post(`/qrs/app/${appId}/reload`)
  }

  /** The running execution, or undefined once it has ended (the QRS deletes the session: 404). */
  async executionSession(id: string): Promise<ExecutionSession | undefined> {
    const path = `/qrs/executionsession/${id}`
    return this.itself('GET', path, id, await this.client.getIfExists(path, executionSession))
  }

  async executionResult(id: string): Promise<ExecutionResult | undefined> {
    const path = `/qrs/executionresult/${id}`
    return this.itself('GET', path, id, await this.client.getIfExists(path, executionResult))
  }

  /** One result per attempt of the execution; several when the task retried. */
  async executionResults(executionId: string): Promise<ExecutionResult[]> {
    const found = await this.client.get('/qrs/executionresult/full', results, { filter: eqGuid('ExecutionId', executionId) })
    return found.filter(result => sameText(result.executionID, executionId))
  }

  /**
   * The sessions of these executions that still run (an ended one is missing: the QRS deletes it), in
   * as few requests as the URL budget allows (`id eq a or id eq b ...`, docs/qrs-protocol.md section 4).
   * Only the sessions of the executions asked for are taken: one the server adds is nobody's.
   */
  async executionSessionsOf(ids: string[]): Promise<ExecutionSession[]> {
    const found = await this.chunked(
      ids,
      id => eqGuid('id', id),
      filter => this.client.get('/qrs/executionsession/full', sessions, { filter })
    )
    return found.filter(session => ids.some(id => sameText(session.id, id)))
  }

  /** Every attempt's result of these executions, read like executionSessionsOf: only results of those asked for. */
  async executionResultsOf(ids: string[]): Promise<ExecutionResult[]> {
    const found = await this.chunked(
      ids,
      id => eqGuid('ExecutionId', id),
      filter => this.client.get('/qrs/executionresult/full', results, { filter })
    )
    return found.filter(result => ids.some(id => sameText(result.executionID, id)))
  }

  /** The items' terms or-ed in chunks under the URL budget, one request each. */
  private async chunked<S, T>(items: S[], term: (item: S) => string, list: (filter: string) => Promise<T[]>): Promise<T[]> {
    const all: T[] = []
    for (const chunk of chunks(items, term)) all.push(...(await list(chunk.filter)))
    return all
  }

  /**
   * Executions of the task running now; NotKnown when the server (or a proxy rule) does not serve
   * the list (404, 400): then whether it runs is not known, which is not the same as "not running".
   */
  async taskExecutionSessions(task: ReloadTask): Promise<ExecutionSession[] | NotKnown> {
    const external = isExternalProgram(task)
    const found = await this.runningSessions(eqGuid(external ? 'externalProgramTask.id' : 'reloadTask.id', task.id))
    return 'notKnown' in found ? found : found.filter(session => sameText((external ? session.externalProgramTask : session.reloadTask)?.id, task.id))
  }

  /** The executions of any task of the app running now (an engine reload must not run beside one); NotKnown as above. */
  async appRunningSessions(appId: string): Promise<ExecutionSession[] | NotKnown> {
    const found = await this.runningSessions(eqGuid('app.id', appId))
    return 'notKnown' in found ? found : found.filter(session => sameText(session.app?.id, appId))
  }

  private async runningSessions(filter: string): Promise<ExecutionSession[] | NotKnown> {
    try {
      return await this.client.get('/qrs/executionsession/full', sessions, { filter })
    } catch (error) {
      if (error instanceof QrsError && (error.status === 404 || error.status === 400)) {
        return { notKnown: `${error.method} ${error.path} answered ${error.status}` }
      }
      throw error
    }
  }

  /** Stops asynchronously: the execution goes AbortInitiated, Aborting, Aborted. */
  async stopTask(taskId: string): Promise<void> {
    await this.client.post(`/qrs/task/${taskId}/stop`)
  }

  /**
   * The task's successful runs that started at or after `sinceIso`, newest first. Condensed: the times and
   * durations are all a forecast needs (the filter still sees the full entity's TaskID).
   */
  recentRuns(taskId: string, sinceIso: string): Promise<ExecutionResult[]> {
    const filter = `${eqGuid('TaskID', taskId)} and Status eq 7 and StartTime ge ${quote(sinceIso)}`
    // Condensed results do not name their task: only the forecast rests on them.
    return this.client.get('/qrs/executionresult', results, { filter, orderby: 'StartTime desc' })
  }

  /**
   * `recentRuns` of several tasks, each from its own start time, in as few requests as the URL budget
   * allows. Several need the full entities: the condensed ones do not name their task, and only results
   * of the tasks asked for are taken. A server that refuses the batched filter (400, 404) or leaves the
   * task out gets one read per task.
   */
  async recentRunsOf(spans: { taskId: string; sinceIso: string }[]): Promise<ExecutionResult[]> {
    const each = async (): Promise<ExecutionResult[]> => {
      const all: ExecutionResult[] = []
      for (const { taskId, sinceIso } of spans) {
        // A condensed result that names a task must name this one.
        const runs = (await this.recentRuns(taskId, sinceIso)).filter(result => result.taskID === undefined || sameText(result.taskID, taskId))
        all.push(...runs.map(result => ({ ...result, taskID: taskId })))
      }
      return all
    }
    if (spans.length < 2) return each()
    let all: ExecutionResult[]
    try {
      all = await this.chunked(
        spans,
        ({ taskId, sinceIso }) => `(${eqGuid('TaskID', taskId)} and StartTime ge ${quote(sinceIso)})`,
        filter => this.client.get('/qrs/executionresult/full', results, { filter: `Status eq 7 and (${filter})`, orderby: 'StartTime desc' })
      )
    } catch (error) {
      if (!(error instanceof QrsError && (error.status === 400 || error.status === 404))) throw error
      return each()
    }
    if (!all.every(result => result.taskID)) return each()
    return all.filter(result => spans.some(({ taskId }) => sameText(result.taskID, taskId)))
  }

  async taskExecutionResults(taskId: string): Promise<ExecutionResult[]> {
    const found = await this.client.get('/qrs/executionresult/full', results, { filter: eqGuid('taskID', taskId) })
    return found.filter(result => sameText(result.taskID, taskId))
  }

  /** Every task trigger (composite event); task chains are read from their rules. */
  compositeEvents(): Promise<CompositeEvent[]> {
    return this.client.get('/qrs/compositeevent/full', list(compositeEvent))
  }

  /** One trigger, read again for its rules' current state; undefined when it is gone. */
  async compositeEvent(id: string): Promise<CompositeEvent | undefined> {
    const path = `/qrs/compositeevent/${id}`
    return this.itself('GET', path, id, await this.client.getIfExists(path, compositeEvent))
  }

  async appExecutionSessions(appId: string): Promise<ExecutionSession[]> {
    const found = await this.optionalList(this.client.get('/qrs/executionsession/full', sessions, { filter: eqGuid('app.id', appId) }))
    return found.filter(session => sameText(session.app?.id, appId))
  }

  async appExecutionResults(appId: string): Promise<ExecutionResult[]> {
    const found = await this.optionalList(this.client.get('/qrs/executionresult/full', results, { filter: eqGuid('appID', appId) }))
    return found.filter(result => sameText(result.appID, appId))
  }

  /**
   * Asks the QRS to call `callbackUrl` when the status of a result that `filter` matches changes
   * (Notification API: Updates of `status` only, not the log reference or other fields; the body is the
   * URL as a JSON string, the answer a handle).
   */
  async subscribeToResults(filter: string, callbackUrl: string): Promise<string> {
    const answer = await this.client.post('/qrs/notification', {
      query: { name: 'ExecutionResult', filter, changetype: '2', propertyname: 'status' },
      body: callbackUrl,
      shape: optional(handleAnswer)
    })
    const handle = typeof answer.json === 'string' ? answer.json : answer.json?.value
    if (!handle) throw new Error('the QRS answered the subscription without a handle')
    return handle
  }

  unsubscribe(handle: string): Promise<void> {
    return this.client.delete('/qrs/notification', { handle })
  }

  /**
   * A download reference for a result's script log: the newer route first (November 2022 release,
   * marked experimental), then the older one (deprecated, still on most sites). Undefined when
   * neither has a log for it.
   */
  async scriptLogReference(taskId: string, result: ExecutionResult): Promise<string | undefined> {
    // A server without the newer route may answer it with anything (404, 400, 405, 500): fall back on any refusal.
    const current = await this.client.getIfExists(`/qrs/reloadtask/${taskId}/scriptlogfile`, referenceAnswer, { executionResultId: result.id }).catch((error: unknown) => {
      if (!(error instanceof QrsError)) throw error
      this.client.log.debug(`${error.method} ${error.path} answered ${error.status}: trying the older script log route.`)
      return undefined
    })
    if (current?.value) return current.value
    if (!result.fileReferenceID) return undefined
    const legacy = await this.client.getIfExists(`/qrs/reloadtask/${taskId}/scriptlog`, referenceAnswer, { fileReferenceId: result.fileReferenceID })
    return legacy?.value || undefined
  }

  /** Streams a script log; 404 right after a run means "not there yet". */
  downloadScriptLog(reference: string, sink: () => Writable[]): Promise<Download> {
    return this.client.download(`/qrs/download/reloadtask/${encodeURIComponent(reference)}/scriptlog.txt`, sink)
  }

  /** An entity read by its id must be that one: a proxy or a server that answers another is answering something unexpected. */
  private itself<T extends { id: string }>(method: string, path: string, id: string, found: T | undefined): T | undefined {
    if (found && !sameText(found.id, id)) throw new WrongFieldsAnswer(method, path, 200, `id is ${found.id}, not the ${id} asked for`)
    return found
  }

  /**
   * Lists the action can do without: a server (or proxy rule) that does not serve the route or the
   * filter (404, 400) is taken as "none", so a missing extra never stops a reload.
   */
  private async optionalList<T>(request: Promise<T[]>): Promise<T[]> {
    try {
      return await request
    } catch (error) {
      if (error instanceof QrsError && (error.status === 404 || error.status === 400)) {
        this.client.log.debug(`${error.method} ${error.path} answered ${error.status}: taken as an empty list.`)
        return []
      }
      throw error
    }
  }
}
