import type { QrsClient } from './client.js'
import { eqGuid } from './filter.js'
import type { About, ExecutionResult, ExecutionSession, ReloadTask } from './types.js'

/** The QRS calls the action makes, by name. Everything else goes through the client. */
export class QrsApi {
  constructor(private readonly client: QrsClient) {}

  about(): Promise<About> {
    return this.client.get<About>('/qrs/about')
  }

  reloadTasks(filter: string): Promise<ReloadTask[]> {
    return this.client.get<ReloadTask[]>('/qrs/reloadtask/full', { filter })
  }

  /** POST /qrs/task/{id}/start/synchronous: answers once the task has started, with the execution session id. */
  async startTask(taskId: string): Promise<string | undefined> {
    const answer = await this.client.post<{ value?: string }>(`/qrs/task/${taskId}/start/synchronous`)
    return answer.json?.value
  }

  /** The running execution, or undefined once it has ended (the QRS deletes the session: 404). */
  executionSession(id: string): Promise<ExecutionSession | undefined> {
    return this.client.getIfExists<ExecutionSession>(`/qrs/executionsession/${id}`)
  }

  /** One result per attempt of the execution; several when the task retried. */
  executionResults(executionId: string): Promise<ExecutionResult[]> {
    return this.client.get<ExecutionResult[]>('/qrs/executionresult/full', { filter: eqGuid('ExecutionId', executionId) })
  }
}
