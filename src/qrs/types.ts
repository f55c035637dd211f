/** The parts of QRS entities the action reads. Real answers carry many more fields: they are ignored. */

export const EMPTY_GUID = '00000000-0000-0000-0000-000000000000'

/** QRS TaskType: 0 Reload, 1 ExternalProgram, 2 UserSync (only the first two are started here). */
const TASK_TYPE = { reload: 0, externalProgram: 1 } as const

export function isExternalProgram(task: { taskType?: number }): boolean {
  return task.taskType === TASK_TYPE.externalProgram
}

/** The external program task list leaves taskType out on some versions: mark the tasks as such. */
export function asExternalPrograms<T extends { taskType?: number }>(tasks: T[]): T[] {
  return tasks.map(task => ({ ...task, taskType: task.taskType ?? TASK_TYPE.externalProgram }))
}

export interface AppRef {
  id: string
  name?: string
}

/** What `?privileges=true` fills: the actions the signed-in user may take (null or absent: the server did not tell). */
export type Privileges = string[] | null

export interface ReloadTask {
  id: string
  name: string
  enabled?: boolean
  taskType?: number
  maxRetries?: number
  app?: AppRef
  tags?: { id?: string; name: string }[]
  customProperties?: { value: string; definition?: { id?: string; name: string } | null }[]
  privileges?: Privileges
  operational?: { lastExecutionResult?: { id?: string; status?: number; startTime?: string; stopTime?: string; duration?: number } | null } | null
}

interface ExecutionResultDetail {
  detailsType?: number
  message?: string
  detailCreatedDate?: string
}

export interface ExecutionResult {
  id: string
  taskID?: string
  executionID?: string
  appID?: string
  executingNodeName?: string
  status: number
  createdDate?: string
  startTime?: string
  stopTime?: string
  duration?: number
  fileReferenceID?: string
  scriptLogAvailable?: boolean
  details?: ExecutionResultDetail[]
}

export interface ExecutionSession {
  id: string
  /** A condensed scheduler service {id, privileges}: no node name (that is ExecutionResult.executingNodeName). */
  executingNode?: { id?: string } | null
  /** The user the execution runs as, as one string. */
  user?: string | null
  retries?: number
  executionResult?: { id?: string; status?: number; executingNodeName?: string } | null
  app?: AppRef | null
  reloadTask?: { id: string; name?: string } | null
  externalProgramTask?: { id: string; name?: string } | null
}

export interface App {
  id: string
  name: string
  published?: boolean
  stream?: { id: string; name: string } | null
  owner?: { userId: string; userDirectory: string; name?: string } | null
  privileges?: Privileges
}

export interface About {
  buildVersion?: string
  nodeType?: number
}

interface CompositeRule {
  ruleState: number
  reloadTask?: { id: string; name?: string } | null
  externalProgramTask?: { id: string; name?: string } | null
  /** What the scheduler has recorded for the rule: currentState 0 undefined, 1 task successful, 2 task failed, at timeStamp. */
  operational?: { timeStamp?: string; currentState?: number } | null
}

/** A task trigger ("composite event"): when its rules are met, the scheduler starts its task. */
export interface CompositeEvent {
  id: string
  name: string
  enabled?: boolean
  timeConstraint?: { days?: number; hours?: number; minutes?: number; seconds?: number }
  compositeRules: CompositeRule[]
  operational?: { timesTriggered?: number } | null
  reloadTask?: { id: string; name?: string } | null
  externalProgramTask?: { id: string; name?: string } | null
}
