import { amount, either, flag, guid, list, matching, optional, record, text, whole, type Shape } from './shape.js'
import type { About, App, AppRef, CompositeEvent, ExecutionResult, ExecutionSession, ReloadTask } from './types.js'

/**
 * What each QRS answer must look like, for the fields the action reads (types.ts); the client checks every
 * answer against its shape where it enters, so nothing below ever meets a status that is a string or a
 * name that is an object.
 */

/** An id the answer may leave out (absent, null or empty). */
const someId = optional(guid, true)

const named = record<{ id: string; name?: string }>({ id: guid, name: optional(text) })
const appRef: Shape<AppRef> = named
const privileges = optional(list(text))

const lastExecutionResult = record<NonNullable<NonNullable<ReloadTask['operational']>['lastExecutionResult']>>({
  id: someId,
  status: optional(whole),
  startTime: optional(text),
  stopTime: optional(text),
  duration: optional(amount)
})

export const reloadTask: Shape<ReloadTask> = record<ReloadTask>({
  id: guid,
  name: text,
  enabled: optional(flag),
  taskType: optional(whole),
  maxRetries: optional(whole),
  app: optional(appRef),
  tags: optional(list(record<{ id?: string; name: string }>({ id: someId, name: text }))),
  customProperties: optional(
    list(
      record<NonNullable<ReloadTask['customProperties']>[number]>({
        value: text,
        definition: optional(record<{ id?: string; name: string }>({ id: someId, name: text }))
      })
    )
  ),
  privileges,
  operational: optional(record<NonNullable<ReloadTask['operational']>>({ lastExecutionResult: optional(lastExecutionResult) }))
})

export const executionResult: Shape<ExecutionResult> = record<ExecutionResult>({
  id: guid,
  taskID: someId,
  executionID: someId,
  appID: someId,
  executingNodeName: optional(text),
  status: whole,
  createdDate: optional(text),
  startTime: optional(text),
  stopTime: optional(text),
  duration: optional(amount),
  fileReferenceID: someId,
  scriptLogAvailable: optional(flag),
  details: optional(
    list(
      record<NonNullable<ExecutionResult['details']>[number]>({
        detailsType: optional(whole),
        message: optional(text),
        detailCreatedDate: optional(text)
      })
    )
  )
})

export const executionSession: Shape<ExecutionSession> = record<ExecutionSession>({
  id: guid,
  executingNode: optional(record<{ id?: string }>({ id: someId })),
  user: optional(text),
  retries: optional(whole),
  executionResult: optional(record<NonNullable<ExecutionSession['executionResult']>>({ id: someId, status: optional(whole), executingNodeName: optional(text) })),
  app: optional(appRef),
  reloadTask: optional(named),
  externalProgramTask: optional(named)
})

export const app: Shape<App> = record<App>({
  id: guid,
  name: text,
  published: optional(flag),
  stream: optional(record<{ id: string; name: string }>({ id: guid, name: text })),
  owner: optional(record<NonNullable<App['owner']>>({ userId: text, userDirectory: text, name: optional(text) })),
  privileges
})

/** A tag or a custom property definition: only whether any exists is read. */
export const namedThing = record<{ id: string; name: string }>({ id: guid, name: text })

export const about: Shape<About> = record<About>({ buildVersion: optional(text), nodeType: optional(whole) })

type Rule = CompositeEvent['compositeRules'][number]

export const compositeEvent: Shape<CompositeEvent> = record<CompositeEvent>({
  id: guid,
  name: text,
  enabled: optional(flag),
  timeConstraint: optional(
    record<NonNullable<CompositeEvent['timeConstraint']>>({ days: optional(amount), hours: optional(amount), minutes: optional(amount), seconds: optional(amount) })
  ),
  compositeRules: list(
    record<Rule>({
      ruleState: whole,
      reloadTask: optional(named),
      externalProgramTask: optional(named),
      operational: optional(record<NonNullable<Rule['operational']>>({ timeStamp: optional(text), currentState: optional(whole) }))
    })
  ),
  operational: optional(record<NonNullable<CompositeEvent['operational']>>({ timesTriggered: optional(whole) })),
  reloadTask: optional(named),
  externalProgramTask: optional(named)
})

/** `{"value": "<GUID>"}`: what a start answers (the empty GUID when nothing started). */
/** A start's execution id: a GUID, or empty when nothing started (reload/refused.ts tells the two apart; absent or null: not said). */
export const startAnswer = record<{ value?: string }>({ value: optional(either(guid, matching(/^$/, 'empty'), 'a GUID')) })

/** A script log's download reference goes into the download's path: one segment of plain characters, never `..`. */
const reference = matching(/^[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,199}$/, 'a download reference')

export const referenceAnswer = record<{ value?: string }>({ value: optional(reference, true) })

/** A notification handle: the QRS answers it as a JSON string (or, on some versions, as `{"value": ...}`). */
export const handleAnswer: Shape<string | { value?: string }> = either(text, record<{ value?: string }>({ value: optional(text) }), 'a handle')
