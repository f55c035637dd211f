import type { Writable } from 'node:stream'
import { QrsError } from '../util/errors.js'
import type { CallOptions, QrsClient } from './client.js'
import { chunks, eqGuid, quote } from './filter.js'
import { isExternalProgram, type About, type App, type CompositeEvent, type ExecutionResult, type ExecutionSession, type ReloadTask } from './types.js'

/** A check the server could not answer (it does not serve the route): why, for a warning. */
export interface NotKnown {
  notKnown: string
}

/** The QRS calls the action makes, by name. Everything else goes through the client. */
export class QrsApi {
  constructor(private readonly client: QrsClient) {}

  /** The same API whose calls use `call` (see QrsClient.with): the run's calls are cut by a cancellation. */
  with(call: CallOptions): QrsApi {
    return new QrsApi(this.client.with(call))
  }

  /** The same API with no abort signal: for clean-up that must go out after a cancellation too (an unsubscribe). */
  detached(): QrsApi {
    return new QrsApi(this.client.with({ signal: undefined }))
  }

  about(): Promise<About> {
    return this.client.get<About>('/qrs/about')
  }

  /** `privileges`: ask for what the signed-in user may do with each (`?privileges=true`). */
  reloadTasks(filter: string, privileges = false): Promise<ReloadTask[]> {
    return this.client.get<ReloadTask[]>('/qrs/reloadtask/full', { filter, ...(privileges ? { privileges: 'true' } : {}) })
  }

  externalProgramTasks(filter: string, privileges = false): Promise<ReloadTask[]> {
    return this.optionalList(this.client.get<ReloadTask[]>('/qrs/externalprogramtask/full', { filter, ...(privileges ? { privileges: 'true' } : {}) }))
  }

  app(id: string, privileges = false): Promise<App | undefined> {
    return this.client.getIfExists<App>(`/qrs/app/${id}`, privileges ? { privileges: 'true' } : {})
  }

  apps(filter: string): Promise<App[]> {
    return this.client.get<App[]>('/qrs/app/full', { filter })
  }

  /** Condensed tags / custom property definitions: only to tell "does not exist" from "nothing carries it". */
  tags(filter: string): Promise<{ id: string; name: string }[]> {
    return this.optionalList(this.client.get<{ id: string; name: string }[]>('/qrs/tag', { filter }))
  }

  customPropertyDefinitions(filter: string): Promise<{ id: string; name: string }[]> {
    return this.optionalList(this.client.get<{ id: string; name: string }[]>('/qrs/custompropertydefinition', { filter }))
  }

  /** POST /qrs/task/{id}/start/synchronous: answers once the task has started, with the execution session id. */
  async startTask(taskId: string): Promise<string | undefined> {
    const answer = await this.client.post<{ value?: string }>(`/qrs/task/${taskId}/start/synchronous`)
    return answer.json?.value
  }

  /** QMC's "Reload now": 204 and no handle; the execution must be found afterwards. */
  async reloadApp(appId: string): Promise<void> {
    await this.client.post(`/qrs/app/${appId}/reload`)
  }

  /** The running execution, or undefined once it has ended (the QRS deletes the session: 404). */
  executionSession(id: string): Promise<ExecutionSession | undefined> {
    return this.client.getIfExists<ExecutionSession>(`/qrs/executionsession/${id}`)
  }

  executionResult(id: string): Promise<ExecutionResult | undefined> {
    return this.client.getIfExists<ExecutionResult>(`/qrs/executionresult/${id}`)
  }

  /** One result per attempt of the execution; several when the task retried. */
  executionResults(executionId: string): Promise<ExecutionResult[]> {
    return this.client.get<ExecutionResult[]>('/qrs/executionresult/full', { filter: eqGuid('ExecutionId', executionId) })
  }

  /**
   * The sessions of these executions that still run (an ended one is missing: the QRS deletes it), in
   * as few requests as the URL budget allows (`id eq a or id eq b ...`, docs/qrs-protocol.md section 4).
   */
  executionSessionsOf(ids: string[]): Promise<ExecutionSession[]> {
    return this.chunked(
      ids,
      id => eqGuid('id', id),
      filter => this.client.get<ExecutionSession[]>('/qrs/executionsession/full', { filter })
    )
  }

  /** Every attempt's result of these executions, read like executionSessionsOf. */
  executionResultsOf(ids: string[]): Promise<ExecutionResult[]> {
    return this.chunked(
      ids,
      id => eqGuid('ExecutionId', id),
      filter => this.client.get<ExecutionResult[]>('/qrs/executionresult/full', { filter })
    )
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
    return this.runningSessions(eqGuid(isExternalProgram(task) ? 'externalProgramTask.id' : 'reloadTask.id', task.id))
  }

  /** The executions of any task of the app running now (an engine reload must not run beside one); NotKnown as above. */
  appRunningSessions(appId: string): Promise<ExecutionSession[] | NotKnown> {
    return this.runningSessions(eqGuid('app.id', appId))
  }

  private async runningSessions(filter: string): Promise<ExecutionSession[] | NotKnown> {
    try {
      return await this.client.get<ExecutionSession[]>('/qrs/executionsession/full', { filter })
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
    return this.client.get<ExecutionResult[]>('/qrs/executionresult', { filter, orderby: 'StartTime desc' })
  }

  /**
   * `recentRuns` of several tasks, each from its own start time, in as few requests as the URL budget
   * allows. Several need the full entities: the condensed ones do not name their task. A server that
   * refuses the batched filter (400, 404) or leaves the task out gets one read per task.
   */
  async recentRunsOf(spans: { taskId: string; sinceIso: string }[]): Promise<ExecutionResult[]> {
    const each = async (): Promise<ExecutionResult[]> => {
      const all: ExecutionResult[] = []
      for (const { taskId, sinceIso } of spans) all.push(...(await this.recentRuns(taskId, sinceIso)).map(result => ({ ...result, taskID: result.taskID ?? taskId })))
      return all
    }
    if (spans.length < 2) return each()
    let all: ExecutionResult[]
    try {
      all = await this.chunked(
        spans,
        ({ taskId, sinceIso }) => `(${eqGuid('TaskID', taskId)} and StartTime ge ${quote(sinceIso)})`,
        filter => this.client.get<ExecutionResult[]>('/qrs/executionresult/full', { filter: `Status eq 7 and (${filter})`, orderby: 'StartTime desc' })
      )
    } catch (error) {
      if (!(error instanceof QrsError && (error.status === 400 || error.status === 404))) throw error
      return each()
    }
    return all.every(result => result.taskID) ? all : each()
  }

  taskExecutionResults(taskId: string): Promise<ExecutionResult[]> {
    return this.client.get<ExecutionResult[]>('/qrs/executionresult/full', { filter: eqGuid('taskID', taskId) })
  }

  /** Every task trigger (composite event); task chains are read from their rules. */
  compositeEvents(): Promise<CompositeEvent[]> {
    return this.client.get<CompositeEvent[]>('/qrs/compositeevent/full')
  }

  /** One trigger, read again for its rules' current state; undefined when it is gone. */
  compositeEvent(id: string): Promise<CompositeEvent | undefined> {
    return this.client.getIfExists<CompositeEvent>(`/qrs/compositeevent/${id}`)
  }

  appExecutionSessions(appId: string): Promise<ExecutionSession[]> {
    return this.optionalList(this.client.get<ExecutionSession[]>('/qrs/executionsession/full', { filter: eqGuid('app.id', appId) }))
  }

  appExecutionResults(appId: string): Promise<ExecutionResult[]> {
    return this.optionalList(this.client.get<ExecutionResult[]>('/qrs/executionresult/full', { filter: eqGuid('appID', appId) }))
  }

  /**
   * Asks the QRS to call `callbackUrl` when the status of a result that `filter` matches changes
   * (Notification API: Updates of `status` only, not the log reference or other fields; the body is the
   * URL as a JSON string, the answer a handle).
   */
  async subscribeToResults(filter: string, callbackUrl: string): Promise<string> {
    const query = { name: 'ExecutionResult', filter, changetype: '2', propertyname: 'status' }
    const answer = await this.client.post<string | { value?: string }>('/qrs/notification', query, callbackUrl)
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
    const current = await this.client.getIfExists<{ value?: string }>(`/qrs/reloadtask/${taskId}/scriptlogfile`, { executionResultId: result.id }).catch((error: unknown) => {
      if (!(error instanceof QrsError)) throw error
      this.client.log.debug(`${error.method} ${error.path} answered ${error.status}: trying the older script log route.`)
      return undefined
    })
    if (current?.value) return current.value
    if (!result.fileReferenceID) return undefined
    const legacy = await this.client.getIfExists<{ value?: string }>(`/qrs/reloadtask/${taskId}/scriptlog`, { fileReferenceId: result.fileReferenceID })
    return legacy?.value || undefined
  }

  /** Streams a script log; 404 right after a run means "not there yet". */
  downloadScriptLog(reference: string, sink: () => Writable[]): Promise<{ status: number; bytes: number }> {
    return this.client.download(`/qrs/download/reloadtask/${reference}/scriptlog.txt`, sink)
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
