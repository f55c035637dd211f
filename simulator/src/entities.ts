/** The JSON shapes QRS hands out: condensed in plain lists, full in /full lists and GET by id. */
import { createHash } from 'node:crypto'
import type { ScenarioUser, Switches } from './scenario.js'
import {
  everyoneStream,
  findById,
  type AppState,
  type CompositeEventState,
  type CustomPropertyDefinitionState,
  type ExecutionResult,
  type ResultDetail,
  type SchemaEventState,
  type SessionState,
  type SimState,
  type TagState,
  type TaskState
} from './state.js'

export type Json = Record<string, unknown>

function shuffled<T>(items: T[], shuffle: boolean): T[] {
  const copy = items.map((d) => ({ ...d }))
  if (!shuffle) return copy
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j], copy[i]]
  }
  return copy
}

export function appJson(app: AppState, full: boolean, state?: SimState): Json {
  const stream = app.published ? ((state?.streams ?? [everyoneStream]).find((s) => s.id === app.streamId) ?? everyoneStream) : undefined
  const condensed: Json = {
    id: app.id,
    privileges: null,
    name: app.name,
    appId: '',
    publishTime: app.published ? app.modifiedDate : '1753-01-01T00:00:00.000Z',
    published: app.published,
    stream: stream ? { id: stream.id, name: stream.name, privileges: null } : null,
    savedInProductVersion: '14.129.3',
    migrationHash: '9f9a6e5e1ad1bd7ba6c3b9bb6c35b5d2b9f0b0f3',
    availabilityStatus: 0
  }
  if (!full) return condensed
  return {
    ...condensed,
    createdDate: app.createdDate,
    modifiedDate: app.modifiedDate,
    modifiedByUserName: 'INTERNAL\\sa_repository',
    customProperties: [],
    owner: ownerJson(app),
    description: app.description ?? '',
    thumbnail: '',
    lastReloadTime: '1753-01-01T00:00:00.000Z',
    fileSize: 184320,
    dynamicColor: '',
    tags: [],
    schemaPath: 'App'
  }
}

/** UserCondensed; the id is derived from the account so one owner has one id. */
function ownerJson(app: AppState): Json {
  const { userDirectory, userId } = app.owner
  const hex = Buffer.from(`${userDirectory}\\${userId}`.toLowerCase()).toString('hex').padEnd(32, '0').slice(0, 32)
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`
  return { id, privileges: null, userId, userDirectory, name: app.owner.name ?? userId }
}

export function tagJson(tag: TagState, full: boolean): Json {
  const condensed: Json = { id: tag.id, privileges: null, name: tag.name }
  if (!full) return condensed
  return {
    id: tag.id,
    createdDate: '2024-03-04T09:15:27.413Z',
    modifiedDate: '2024-03-04T09:15:27.413Z',
    modifiedByUserName: 'INTERNAL\\sa_repository',
    privileges: null,
    name: tag.name,
    schemaPath: 'Tag'
  }
}

export function customPropertyDefinitionJson(definition: CustomPropertyDefinitionState, full: boolean): Json {
  const condensed: Json = { id: definition.id, privileges: null, name: definition.name, valueType: 'Text', choiceValues: definition.choiceValues }
  if (!full) return condensed
  return {
    ...condensed,
    createdDate: '2024-03-04T09:15:27.413Z',
    modifiedDate: '2024-03-04T09:15:27.413Z',
    modifiedByUserName: 'INTERNAL\\sa_repository',
    objectTypes: definition.objectTypes,
    description: '',
    schemaPath: 'CustomPropertyDefinition'
  }
}

/** CustomPropertyValue: the value with its definition (condensed), as on a full task. */
function customPropertiesJson(task: TaskState, state: SimState): Json[] {
  return task.customProperties.map((cp) => {
    const definition = findById(state.customPropertyDefinitions, cp.definitionId)
    return {
      id: cp.id,
      createdDate: task.createdDate,
      modifiedDate: task.modifiedDate,
      modifiedByUserName: 'INTERNAL\\sa_repository',
      value: cp.value,
      definition: definition ? customPropertyDefinitionJson(definition, false) : null,
      schemaPath: 'CustomPropertyValue'
    }
  })
}

export function resultJson(result: ExecutionResult, full: boolean, switches: Switches): Json {
  const details = shuffled<ResultDetail>(result.details, switches.shuffleDetails)
  if (full) return { ...result, details }
  return {
    id: result.id,
    privileges: null,
    executingNodeName: result.executingNodeName,
    status: result.status,
    startTime: result.startTime,
    stopTime: result.stopTime,
    duration: result.duration,
    fileReferenceID: result.fileReferenceID,
    scriptLogAvailable: result.scriptLogAvailable,
    details,
    scriptLogLocation: result.scriptLogLocation,
    scriptLogSize: result.scriptLogSize
  }
}

const schemaPaths = ['ReloadTask', 'ExternalProgramTask', 'UserSyncTask', 'DistributionTask']

function operationalJson(task: TaskState, switches: Switches): Json {
  return {
    id: task.operationalId,
    privileges: null,
    lastExecutionResult: resultJson(task.lastResult, false, switches),
    nextExecution: '1753-01-01T00:00:00.000Z'
  }
}

/** ReloadTask / ExternalProgramTask (/reloadtask, /externalprogramtask): condensed or full. */
export function taskJson(task: TaskState, full: boolean, state: SimState, switches: Switches): Json {
  const condensed: Json = {
    id: task.id,
    privileges: null,
    name: task.name,
    taskType: task.taskType,
    enabled: task.enabled,
    taskSessionTimeout: task.taskSessionTimeout,
    maxRetries: task.maxRetries,
    operational: operationalJson(task, switches)
  }
  if (!full) return condensed
  const app = task.appId ? findById(state.apps, task.appId) : undefined
  const body: Json = {
    id: task.id,
    createdDate: task.createdDate,
    modifiedDate: task.modifiedDate,
    modifiedByUserName: 'INTERNAL\\sa_repository',
    customProperties: customPropertiesJson(task, state),
    name: task.name,
    taskType: task.taskType,
    enabled: task.enabled,
    taskSessionTimeout: task.taskSessionTimeout,
    maxRetries: task.maxRetries,
    // Seen as null on live servers (a task never tagged).
    tags:
      task.tagIds.length === 0 && switches.nullTags
        ? null
        : task.tagIds.flatMap((id) => {
            const tag = findById(state.tags, id)
            return tag ? [tagJson(tag, false)] : []
          }),
    privileges: null,
    schemaPath: schemaPaths[task.taskType] ?? 'Task'
  }
  if (task.taskType === 0) {
    body.app = app ? appJson(app, false, state) : null
    body.isManuallyTriggered = task.isManuallyTriggered
    body.isPartialReload = false
  } else if (task.taskType === 1) {
    body.path = task.path ?? 'C:\\Scripts\\run.cmd'
    body.parameters = task.parameters ?? ''
  }
  body.operational = operationalJson(task, switches)
  return body
}

/** The generic Task / TaskCondensed of /qrs/task: every task type (4 = preload on newer servers), no app, no operational. */
export function genericTaskJson(task: TaskState, full: boolean, switches: Switches): Json {
  const condensed: Json = { id: task.id, name: task.name, taskType: task.taskType, enabled: task.enabled, taskSessionTimeout: task.taskSessionTimeout, maxRetries: task.maxRetries }
  if (!full) return condensed
  return {
    id: task.id,
    createdDate: task.createdDate,
    modifiedDate: task.modifiedDate,
    modifiedByUserName: 'INTERNAL\\sa_repository',
    ...condensed,
    tags: switches.nullTags ? null : [],
    schemaPath: 'Task'
  }
}

export function sessionJson(session: SessionState, full: boolean, state: SimState, switches: Switches): Json {
  if (!full) return { id: session.id, privileges: null }
  const task = findById(state.tasks, session.taskId)
  const app = task?.appId ? findById(state.apps, task.appId) : undefined
  const result = findById(state.results, session.resultId)
  const taskRef = task ? taskJson(task, false, state, switches) : null
  return {
    id: session.id,
    createdDate: session.createdDate,
    modifiedDate: session.modifiedDate,
    modifiedByUserName: 'INTERNAL\\System',
    // A condensed scheduler service: no name (the node's name is on the result, executingNodeName).
    executingNode: { id: state.schedulerId, privileges: null },
    executionResult: result ? resultJson(result, false, switches) : null,
    abortAt: '1753-01-01T00:00:00.000Z',
    retries: session.retries,
    abortReason: session.abortReason,
    app: app ? appJson(app, false, state) : null,
    // A string in the definition (maxLength 250); DIRECTORY\\userId is our guess at its content.
    user: `${session.user.userDirectory}\\${session.user.userId}`,
    reloadTask: task?.taskType === 0 ? taskRef : null,
    externalProgramTask: task?.taskType === 1 ? taskRef : null,
    userSyncTask: task?.taskType === 2 ? taskRef : null,
    privileges: null,
    schemaPath: 'ExecutionSession'
  }
}

/** The task slots of an event or rule: the condensed task under its type's key, null elsewhere. */
function taskSlots(taskId: string, state: SimState, switches: Switches): Json {
  const task = findById(state.tasks, taskId)
  const ref = task ? taskJson(task, false, state, switches) : null
  return {
    reloadTask: task?.taskType === 0 ? ref : null,
    externalProgramTask: task?.taskType === 1 ? ref : null,
    userSyncTask: task?.taskType === 2 ? ref : null
  }
}

/** CompositeEvent (eventType 1, a task chain): condensed `id, privileges, name, enabled, eventType, operational`; reloadTask & co. = the DOWNSTREAM task. */
export function compositeEventJson(event: CompositeEventState, full: boolean, state: SimState, switches: Switches): Json {
  const operational = { id: event.operationalId, privileges: null, timesTriggered: event.timesTriggered }
  const condensed: Json = { id: event.id, privileges: null, name: event.name, enabled: event.enabled, eventType: 1, operational }
  if (!full) return condensed
  const stamp = { createdDate: event.createdDate, modifiedDate: event.modifiedDate, modifiedByUserName: 'INTERNAL\\sa_repository' }
  const tc = event.timeConstraint
  return {
    id: event.id,
    ...stamp,
    name: event.name,
    enabled: event.enabled,
    eventType: 1,
    timeConstraint: { id: tc.id, ...stamp, days: tc.days, hours: tc.hours, minutes: tc.minutes, seconds: tc.seconds, schemaPath: 'CompositeEventTimeConstraint' },
    compositeRules: event.rules.map((r) => ({
      id: r.id,
      ...stamp,
      ruleState: r.ruleState,
      ...taskSlots(r.taskId, state, switches),
      // What the scheduler has seen of the rule's task: 0 nothing yet, 1 it succeeded, 2 it failed (at timeStamp).
      operational: { id: r.operationalId, privileges: null, timeStamp: r.timeStamp, currentState: r.currentState },
      schemaPath: 'CompositeEventRule'
    })),
    ...taskSlots(event.downstreamTaskId, state, switches),
    operational,
    privileges: null,
    schemaPath: 'CompositeEvent'
  }
}

/** A user's id: stable for the same DIRECTORY\\userId (lower-case GUID text). */
export function userGuid(user: ScenarioUser): string {
  const hex = createHash('sha1').update(`${user.directory}\\${user.id}`.toLowerCase()).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/** User (/qrs/user/full, by id) or UserCondensed (/qrs/user). */
export function userJson(user: ScenarioUser, full: boolean): Json {
  const condensed: Json = { id: userGuid(user), privileges: null, userId: user.id, userDirectory: user.directory, userDirectoryConnectorName: user.directory, name: user.id }
  if (!full) return condensed
  const created = '2024-03-04T09:15:27.413Z'
  return {
    ...condensed,
    createdDate: created,
    modifiedDate: created,
    modifiedByUserName: 'INTERNAL\\sa_repository',
    customProperties: [],
    roles: [],
    attributes: [],
    inactive: user.inactive ?? false,
    removedExternally: false,
    blacklisted: false,
    deleteProhibited: false,
    tags: [],
    schemaPath: 'User'
  }
}

/** SchemaEvent (eventType 0, a time trigger): listed, never fired. */
export function schemaEventJson(event: SchemaEventState, full: boolean, state: SimState, switches: Switches): Json {
  const operational = { id: event.operationalId, privileges: null, timesTriggered: 0, nextExecution: event.startDate }
  const condensed: Json = { id: event.id, privileges: null, name: event.name, enabled: event.enabled, eventType: 0, operational }
  if (!full) return condensed
  return {
    ...condensed,
    createdDate: event.createdDate,
    modifiedDate: event.createdDate,
    modifiedByUserName: 'INTERNAL\\sa_repository',
    ...taskSlots(event.taskId, state, switches),
    timeZone: event.timeZone,
    daylightSavingTime: 0,
    startDate: event.startDate,
    expirationDate: '9999-01-01T00:00:00.000Z',
    schemaFilterDescription: event.schemaFilterDescription,
    incrementDescription: event.incrementDescription,
    incrementOption: event.incrementOption,
    schemaPath: 'SchemaEvent'
  }
}

export const taskExecutionStatus = [
  'NeverStarted',
  'Triggered',
  'Started',
  'Queued',
  'AbortInitiated',
  'Aborting',
  'Aborted',
  'FinishedSuccess',
  'FinishedFail',
  'Skipped',
  'Retry',
  'Error',
  'Reset',
  'DistributionQueue',
  'DistributionRunning'
]

function enumEntry(values: string[], usages: string[]): Json {
  return { values: values.map((v, i) => `${i}: ${v}`), usages }
}

/** GET /qrs/about/api/enums: Dictionary<string, EnumDescription> with "values" and "usages" (the definition's spelling). */
export function enumsJson(): Json {
  return {
    TaskExecutionStatus: enumEntry(taskExecutionStatus, ['ExecutionResult.Status', 'ExecutionResultCondensed.Status', 'TaskOperational.LastExecutionResult.Status']),
    TaskTypeEnum: enumEntry(['Reload', 'ExternalProgram', 'UserSync', 'Distribute'], ['Task.TaskType', 'ReloadTask.TaskType']),
    ExecutionResultDetailTypeEnum: enumEntry(['Error', 'Warning', 'Information'], ['ExecutionResultDetail.DetailsType']),
    AbortReasonEnum: enumEntry(['Undefined', 'Manual', 'Timeout', 'DeletedTask'], ['ExecutionSession.AbortReason']),
    AvailabilityStatusEnum: enumEntry(['NotApplicable', 'Available', 'NoActiveRoute', 'NoConfiguredRoute', 'NotSynced', 'NotMigrated'], ['App.AvailabilityStatus'])
  }
}

export function aboutJson(): Json {
  return {
    buildVersion: '14.129.3.0',
    buildDate: '5/2/2023 9:00:00 AM',
    databaseProvider: 'Devart.Data.PostgreSql',
    nodeType: 1,
    sharedPersistence: true,
    requiresBootstrap: false,
    singleNodeOnly: false,
    schemaPath: 'About'
  }
}
