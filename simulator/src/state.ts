import { randomUUID } from 'node:crypto'
import type { QlikUser } from './auth.js'
import { defaultRun, type Scenario, type ScenarioOwner, type ScenarioPreviousRun, type ScenarioRun } from './scenario.js'

/** QRS writes "not set" dates as the .NET minimum SQL date. */
export const unsetDate = '1753-01-01T00:00:00.000Z'
export const emptyGuid = '00000000-0000-0000-0000-000000000000'

export interface AppState {
  id: string
  name: string
  published: boolean
  createdDate: string
  modifiedDate: string
  reloadRuns: ScenarioRun[]
  description?: string
  /** The "Manually triggered reload of <name>" task, once POST /qrs/app/{id}/reload made it. */
  manualTaskId?: string
  /** The stream it is published to (published apps only). */
  streamId?: string
  owner: ScenarioOwner
  privileges: string[]
}

/** The default stream of every site. */
export const everyoneStream = { id: 'aaec8d41-5201-43ab-809f-3063750dfafd', name: 'Everyone' }

export interface TagState {
  id: string
  name: string
}

export interface CustomPropertyDefinitionState {
  id: string
  name: string
  choiceValues: string[]
  objectTypes: string[]
}

/** A CustomPropertyValue on a task: which definition, which value. */
interface CustomPropertyValueState {
  id: string
  definitionId: string
  value: string
}

export interface TaskState {
  id: string
  name: string
  taskType: number
  appId?: string
  enabled: boolean
  startable: boolean
  maxRetries: number
  taskSessionTimeout: number
  isManuallyTriggered: boolean
  runs: ScenarioRun[]
  /** External program tasks: program and parameters. */
  path?: string
  parameters?: string
  /** Index of the run the next start consumes. */
  nextRun: number
  /** Executions started (start requests that ran something). */
  starts: number
  createdDate: string
  modifiedDate: string
  operationalId: string
  /** The result shown as operational.lastExecutionResult; a NeverStarted placeholder before the first run. */
  lastResult: ExecutionResult
  tagIds: string[]
  customProperties: CustomPropertyValueState[]
  /** Listed with ?privileges=true; "update" lets the user start it. */
  privileges: string[]
}

export interface ResultDetail {
  id: string
  privileges: null
  detailsType: number
  message: string
  detailCreatedDate: string
}

/** Stored in the full QRS shape; lists hand out copies. */
export interface ExecutionResult {
  id: string
  createdDate: string
  modifiedDate: string
  modifiedByUserName: string
  schemaPath: 'ExecutionResult'
  privileges: null
  taskID: string
  executionID: string
  appID: string
  executingNodeID: string
  executingNodeName: string
  status: number
  startTime: string
  stopTime: string
  duration: number
  fileReferenceID: string
  scriptLogAvailable: boolean
  scriptLogLocation: string
  scriptLogSize: number
  details: ResultDetail[]
}

export interface SessionState {
  id: string
  taskId: string
  user: QlikUser
  /** The result of the current attempt. */
  resultId: string
  retries: number
  abortReason: number
  /** false once the session entity is gone (GET answers 404). */
  active: boolean
  createdDate: string
  modifiedDate: string
  endedAt?: string
}

export interface CompositeRuleState {
  id: string
  taskId: string
  /** 1 TaskSuccessful, 2 TaskFail. */
  ruleState: 1 | 2
  /** operational: the last final outcome of the rule's task as the scheduler saw it (0 none yet, 1 succeeded, 2 failed) and when. */
  operationalId: string
  currentState: 0 | 1 | 2
  timeStamp: string
}

/** A task chain (composite event, eventType 1). What is satisfied so far lives in the runner. */
export interface CompositeEventState {
  id: string
  name: string
  enabled: boolean
  timeConstraint: { id: string; days: number; hours: number; minutes: number; seconds: number }
  rules: CompositeRuleState[]
  downstreamTaskId: string
  createdDate: string
  modifiedDate: string
  operationalId: string
  /** operational.timesTriggered: how often the event fired. */
  timesTriggered: number
}

/** A time trigger made by POST /qrs/reloadtask/create: listed, never fired. */
export interface SchemaEventState {
  id: string
  name: string
  enabled: boolean
  taskId: string
  timeZone: string
  startDate: string
  schemaFilterDescription: string[]
  incrementDescription: string
  incrementOption: number
  createdDate: string
  operationalId: string
}

/** The window of a time constraint in ms; 0 = no window (all zero: satisfactions never expire). */
export function windowMs(tc: CompositeEventState['timeConstraint']): number {
  return (((tc.days * 24 + tc.hours) * 60 + tc.minutes) * 60 + tc.seconds) * 1000
}

export interface SimState {
  machineName: string
  nodeName: string
  nodeId: string
  /** The scheduler service (ExecutionSession.executingNode is a condensed SchedulerService). */
  schedulerId: string
  apps: AppState[]
  tasks: TaskState[]
  sessions: SessionState[]
  /** In creation order. */
  results: ExecutionResult[]
  compositeEvents: CompositeEventState[]
  schemaEvents: SchemaEventState[]
  /** Executions in 2 Started at once; more wait in 3 Queued. */
  maxConcurrentReloads: number
  streams: { id: string; name: string }[]
  tags: TagState[]
  customPropertyDefinitions: CustomPropertyDefinitionState[]
}

const defaultTaskPrivileges = ['create', 'read', 'update', 'delete']
const defaultAppPrivileges = ['create', 'read', 'update', 'delete', 'publish']
const defaultOwner: ScenarioOwner = { userDirectory: 'INTERNAL', userId: 'sa_repository', name: 'sa_repository' }

export function now(): string {
  return new Date().toISOString()
}

export function newResult(fields: { taskID: string; executionID: string; appID: string; state: SimState; status: number }): ExecutionResult {
  const t = now()
  return {
    id: randomUUID(),
    createdDate: t,
    modifiedDate: t,
    modifiedByUserName: 'INTERNAL\\System',
    schemaPath: 'ExecutionResult',
    privileges: null,
    taskID: fields.taskID,
    executionID: fields.executionID,
    appID: fields.appID,
    executingNodeID: fields.state.nodeId,
    executingNodeName: fields.state.nodeName,
    status: fields.status,
    startTime: unsetDate,
    stopTime: unsetDate,
    duration: 0,
    fileReferenceID: emptyGuid,
    scriptLogAvailable: false,
    scriptLogLocation: '',
    scriptLogSize: 0,
    details: []
  }
}

export function newTask(state: SimState, fields: Pick<TaskState, 'id' | 'name'> & Partial<Omit<TaskState, 'id' | 'name'>>): TaskState {
  const t = now()
  const task: TaskState = {
    taskType: 0,
    enabled: true,
    startable: true,
    maxRetries: 0,
    taskSessionTimeout: 1440,
    isManuallyTriggered: false,
    runs: [defaultRun],
    nextRun: 0,
    starts: 0,
    createdDate: t,
    modifiedDate: t,
    operationalId: randomUUID(),
    tagIds: [],
    customProperties: [],
    privileges: defaultTaskPrivileges,
    ...fields,
    lastResult: newResult({ taskID: fields.id, executionID: emptyGuid, appID: resultAppId(fields), state, status: 0 })
  }
  if (task.runs.length === 0) task.runs = [defaultRun]
  return task
}

/** Results of non-reload tasks (external program, user sync) carry the empty GUID as appID. */
export function resultAppId(task: { taskType?: number; appId?: string }): string {
  return (task.taskType ?? 0) === 0 && task.appId ? task.appId : emptyGuid
}

export function buildState(scenario: Scenario): SimState {
  const created = '2024-03-04T09:15:27.413Z'
  const state: SimState = {
    machineName: scenario.machineName,
    nodeName: scenario.nodeName ?? scenario.machineName.split('.')[0],
    nodeId: randomUUID(),
    schedulerId: randomUUID(),
    apps: (scenario.apps ?? []).map((a) => ({
      id: a.id,
      name: a.name,
      published: a.published === true || a.streamId !== undefined,
      streamId: a.streamId ?? (a.published ? everyoneStream.id : undefined),
      owner: a.owner ?? defaultOwner,
      privileges: a.privileges ?? defaultAppPrivileges,
      createdDate: created,
      modifiedDate: created,
      reloadRuns: a.reloadRuns ?? [defaultRun]
    })),
    streams: [everyoneStream, ...(scenario.streams ?? [])],
    tags: (scenario.tags ?? []).map((name) => ({ id: randomUUID(), name })),
    customPropertyDefinitions: (scenario.customPropertyDefinitions ?? []).map((d) => ({
      id: d.id,
      name: d.name,
      choiceValues: d.choiceValues ?? [],
      objectTypes: d.objectTypes ?? ['ReloadTask', 'ExternalProgramTask']
    })),
    tasks: [],
    sessions: [],
    results: [],
    compositeEvents: (scenario.compositeEvents ?? []).map((e) => ({
      id: e.id,
      name: e.name,
      enabled: e.enabled ?? true,
      timeConstraint: {
        id: randomUUID(),
        ...(e.timeConstraint
          ? { days: e.timeConstraint.days ?? 0, hours: e.timeConstraint.hours ?? 0, minutes: e.timeConstraint.minutes ?? 0, seconds: e.timeConstraint.seconds ?? 0 }
          : { days: 0, hours: 0, minutes: 360, seconds: 0 })
      },
      rules: e.rules.map((r) => ({ id: randomUUID(), taskId: r.taskId, ruleState: r.ruleState, operationalId: randomUUID(), currentState: 0 as const, timeStamp: unsetDate })),
      downstreamTaskId: e.downstreamTaskId,
      createdDate: created,
      modifiedDate: created,
      operationalId: randomUUID(),
      timesTriggered: 0
    })),
    schemaEvents: [],
    maxConcurrentReloads: scenario.maxConcurrentReloads ?? 4
  }
  for (const t of scenario.tasks ?? []) {
    const task = newTask(state, {
      id: t.id,
      name: t.name,
      taskType: t.taskType ?? 0,
      appId: t.appId,
      enabled: t.enabled ?? true,
      startable: t.startable ?? true,
      maxRetries: t.maxRetries ?? 0,
      taskSessionTimeout: t.taskSessionTimeout ?? 1440,
      runs: t.runs ?? [defaultRun],
      tagIds: (t.tags ?? []).map((name) => tagId(state, name)),
      customProperties: (t.customProperties ?? []).map((cp) => ({
        id: randomUUID(),
        definitionId: state.customPropertyDefinitions.find((d) => d.name.toLowerCase() === cp.name.toLowerCase())!.id,
        value: cp.value
      })),
      privileges: t.privileges ?? defaultTaskPrivileges,
      ...((t.taskType ?? 0) === 1 ? { path: t.path ?? 'C:\\Scripts\\run.cmd', parameters: t.parameters ?? '' } : {})
    })
    task.createdDate = task.modifiedDate = created
    // Oldest first, each an hour before the next unless told: the latest becomes operational.lastExecutionResult.
    const earlier = t.previousRuns ?? []
    const newestAgo = t.previousRun ? (t.previousRun.endedAgoMs ?? 3_600_000) : 0
    earlier.forEach((run, i) => {
      task.lastResult = previousResult(task, { ...run, endedAgoMs: run.endedAgoMs ?? newestAgo + (earlier.length - i) * 3_600_000 }, state)
    })
    if (t.previousRun) task.lastResult = previousResult(task, t.previousRun, state)
    state.tasks.push(task)
  }
  return state
}

/** The tag of that name (QRS tag names are unique, case-insensitively), made on first use. */
function tagId(state: SimState, name: string): string {
  let tag = state.tags.find((t) => t.name.toLowerCase() === name.toLowerCase())
  if (!tag) state.tags.push((tag = { id: randomUUID(), name }))
  return tag.id
}

/** A finished execution from before the simulator started: a real result (GET by id finds it), not a placeholder. */
function previousResult(task: TaskState, run: ScenarioPreviousRun, state: SimState): ExecutionResult {
  const result = newResult({ taskID: task.id, executionID: randomUUID(), appID: resultAppId(task), state, status: run.status })
  const stop = Date.now() - (run.endedAgoMs ?? 3_600_000)
  result.startTime = new Date(stop - run.durationMs).toISOString()
  result.stopTime = new Date(stop).toISOString()
  result.duration = run.durationMs
  result.createdDate = result.modifiedDate = result.startTime
  state.results.push(result)
  return result
}

/** A result by id, including a never-run task's NeverStarted placeholder (its operational.lastExecutionResult). */
export function findResult(state: SimState, id: string): ExecutionResult | undefined {
  return findById(state.results, id) ?? state.tasks.map((t) => t.lastResult).find((r) => r.id.toLowerCase() === id.toLowerCase())
}

export function findById<T extends { id: string }>(list: T[], id: string): T | undefined {
  const lower = id.toLowerCase()
  return list.find((x) => x.id.toLowerCase() === lower)
}
