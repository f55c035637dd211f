/**
 * The QRS notification (push) API: POST /qrs/notification?name=<EntityType>... with a callback URL
 * subscribes, DELETE /qrs/notification?handle= removes; changes of ExecutionResult and
 * ExecutionSession entities are POSTed to the callback URLs. Deliveries are fire-and-forget: they
 * never block or break the simulator (2 s timeout, errors recorded, never thrown).
 */
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import { FilterError, matches, parseFilter, type FilterNode } from './filter.js'

export type ChangeTypeName = 'Add' | 'Update' | 'Delete'
/** Qlik's ChangeType numbers as the simulator uses them (1 Add, 2 Update, 3 Delete). */
export const changeTypeNumber: Record<ChangeTypeName, 1 | 2 | 3> = { Add: 1, Update: 2, Delete: 3 }
const changeTypeByNumber: Record<string, ChangeTypeName> = { '1': 'Add', '2': 'Update', '3': 'Delete' }

/** Entity types whose changes the simulator delivers. */
const firingEntityTypes = ['ExecutionResult', 'ExecutionSession'] as const
/** Accepted as subscriptions, never fire (the simulator changes none of them). */
const quietEntityTypes = [
  'App',
  'AppObject',
  'ReloadTask',
  'ExternalProgramTask',
  'UserSyncTask',
  'Task',
  'CompositeEvent',
  'SchemaEvent',
  'Stream',
  'User',
  'Tag',
  'ContentLibrary',
  'DataConnection',
  'Extension',
  'CustomPropertyDefinition',
  'ServerNodeConfiguration',
  'SystemRule'
]
const knownEntityTypes = new Map([...firingEntityTypes, ...quietEntityTypes].map((n) => [n.toLowerCase(), n]))

/** Delivery timeout: a callback that does not answer within it is recorded as an error. */
export const deliveryTimeoutMs = 2000

/** One change of an entity, as the runner reports it (changedProperties only for Update). */
export interface EntityChange {
  objectType: string
  objectID: string
  changeType: 1 | 2 | 3
  changedProperties: string[]
}

export interface NotificationSubscription {
  /** The handle POST /qrs/notification answered (a GUID). */
  handle: string
  /** The entity type, in Qlik's spelling (`ExecutionResult`) whatever case the request used. */
  name: string
  id?: string
  filter?: string
  /** Normalized to Add, Update or Delete (also when the request said `update` or `2`). */
  changeType?: ChangeTypeName
  propertyName?: string
  url: string
  /** Date.now() when subscribed. */
  created: number
}

export interface NotificationDelivery {
  handle: string
  url: string
  /** Date.now() when the POST was sent. */
  time: number
  /** The callback's HTTP status, or 'error' (refused, timed out, TLS or DNS failure, ...). */
  status: number | 'error'
  /** The JSON body sent. */
  body: string
  /** With status 'error': what went wrong. */
  error?: string
}

export interface Notifications {
  /** Live subscriptions, in creation order. */
  active(): NotificationSubscription[]
  /** Every finished delivery attempt (answered or failed), in the order they finished. */
  deliveries(): NotificationDelivery[]
  /** Handles removed by DELETE /qrs/notification (only handles that existed). */
  removed(): string[]
}

export class NotificationError extends Error {}

export interface SubscribeParams {
  name?: string
  id?: string
  filter?: string
  changeType?: string
  propertyName?: string
  /** The raw request body: a JSON string holding the callback URL. */
  body: string
}

export interface HubOptions {
  /** The full entity a filter is matched against (undefined: gone; the subscription with a filter does not match). */
  entity: (objectType: string, id: string) => unknown
  /** Read at each change: ms to wait before each delivery. */
  delayMs: () => number
  /** Read at each change: deliver every callback twice (deliveries may repeat). */
  repeat?: () => boolean
  /** Read at each change: an Update reaches a subscription with propertyName only when that property changed (default true). */
  propertyNameHonoured?: () => boolean
  engineID: string
  originatorNodeID: string
  originatorHostName: string
}

interface Entry {
  sub: NotificationSubscription
  filter?: FilterNode
}

function parseChangeType(raw: string): ChangeTypeName | undefined {
  const t = raw.trim()
  if (changeTypeByNumber[t]) return changeTypeByNumber[t]
  const lower = t.toLowerCase()
  return (Object.keys(changeTypeNumber) as ChangeTypeName[]).find((n) => n.toLowerCase() === lower)
}

export class NotificationHub implements Notifications {
  private readonly subs = new Map<string, Entry>()
  private readonly done: NotificationDelivery[] = []
  private readonly removedHandles: string[] = []
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly inFlight = new Set<http.ClientRequest>()
  private closed = false

  constructor(private readonly opts: HubOptions) {}

  active(): NotificationSubscription[] {
    return [...this.subs.values()].map((e) => ({ ...e.sub }))
  }

  deliveries(): NotificationDelivery[] {
    return [...this.done]
  }

  removed(): string[] {
    return [...this.removedHandles]
  }

  /** Validates and stores a subscription; throws NotificationError (→ 400 text) on bad input. */
  subscribe(p: SubscribeParams): NotificationSubscription {
    const rawName = (p.name ?? '').trim()
    if (!rawName) throw new NotificationError('Missing parameter: name (the entity type, e.g. ExecutionResult)')
    const name = knownEntityTypes.get(rawName.toLowerCase())
    if (!name) throw new NotificationError(`Unknown entity type: ${rawName}`)
    let url: unknown
    try {
      url = JSON.parse(p.body)
    } catch {
      url = undefined
    }
    if (typeof url !== 'string') throw new NotificationError('The request body must be a JSON string: the callback URL, e.g. "http://host:8765/notify"')
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new NotificationError(`The callback URL is not a valid URL: ${url}`)
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new NotificationError(`The callback URL must be http or https: ${url}`)
    let changeType: ChangeTypeName | undefined
    if (p.changeType !== undefined && p.changeType.trim() !== '') {
      changeType = parseChangeType(p.changeType)
      if (!changeType) throw new NotificationError(`Invalid changeType: ${p.changeType} (Add, Update, Delete or 1, 2, 3)`)
    }
    let filter: FilterNode | undefined
    const filterText = p.filter !== undefined && p.filter.trim() !== '' ? p.filter : undefined
    if (filterText !== undefined) {
      try {
        filter = parseFilter(filterText)
      } catch (err) {
        if (err instanceof FilterError) throw new NotificationError(err.message)
        throw err
      }
    }
    const id = p.id !== undefined && p.id.trim() !== '' ? p.id.trim() : undefined
    const propertyName = p.propertyName !== undefined && p.propertyName.trim() !== '' ? p.propertyName.trim() : undefined
    const sub: NotificationSubscription = {
      handle: randomUUID(),
      name,
      url,
      ...(id !== undefined ? { id } : {}),
      ...(filterText !== undefined ? { filter: filterText } : {}),
      ...(changeType !== undefined ? { changeType } : {}),
      ...(propertyName !== undefined ? { propertyName } : {}),
      created: Date.now()
    }
    this.subs.set(sub.handle.toLowerCase(), { sub, filter })
    return sub
  }

  /** true when the handle existed. */
  unsubscribe(handle: string): boolean {
    const key = handle.trim().toLowerCase()
    const entry = this.subs.get(key)
    if (!entry) return false
    this.subs.delete(key)
    this.removedHandles.push(entry.sub.handle)
    return true
  }

  /** Called for every change; matches the subscriptions now and sends asynchronously. Never throws. */
  emit(change: EntityChange): void {
    if (this.closed) return
    try {
      let entity: unknown
      let entityRead = false
      const t = new Date().toISOString()
      // Every Update also changes modifiedDate; live callbacks list it.
      const changedProperties =
        change.changeType === 2 && !change.changedProperties.includes('modifiedDate') ? [...change.changedProperties, 'modifiedDate'] : change.changedProperties
      const body = JSON.stringify([
        {
          objectType: change.objectType,
          objectID: change.objectID,
          changeType: change.changeType,
          changedProperties,
          engineID: this.opts.engineID,
          // [unconfirmed] value: the field is on live callbacks, its meaning is not documented.
          engineType: 0,
          originatorNodeID: this.opts.originatorNodeID,
          originatorHostName: this.opts.originatorHostName,
          originatorContextID: randomUUID(),
          createdDate: t,
          modifiedDate: t,
          schemaPath: 'ExternalChangeInfo'
        }
      ])
      for (const { sub, filter } of this.subs.values()) {
        if (sub.name !== change.objectType) continue
        if (sub.id !== undefined && sub.id.toLowerCase() !== change.objectID.toLowerCase()) continue
        if (sub.changeType !== undefined && changeTypeNumber[sub.changeType] !== change.changeType) continue
        if (
          sub.propertyName !== undefined &&
          change.changeType === 2 &&
          (this.opts.propertyNameHonoured?.() ?? true) &&
          !change.changedProperties.some((p) => p.toLowerCase() === sub.propertyName?.toLowerCase())
        )
          continue
        // Qlik's help: the filter is not applied to deletions; every deletion of the type is sent.
        if (filter && change.changeType !== 3) {
          if (!entityRead) {
            entity = this.opts.entity(change.objectType, change.objectID)
            entityRead = true
          }
          if (entity === undefined || !matches(filter, entity)) continue
        }
        this.schedule(sub, body)
        if (this.opts.repeat?.()) this.schedule(sub, body)
      }
    } catch {
      // A notification must never break the execution that caused it.
    }
  }

  /** Cancels pending deliveries and aborts the ones in flight. */
  close(): void {
    this.closed = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    for (const req of this.inFlight) req.destroy()
    this.inFlight.clear()
  }

  private schedule(sub: NotificationSubscription, body: string): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer)
        // Removed meanwhile (DELETE during notificationDelayMs): nothing is sent.
        if (this.closed || !this.subs.has(sub.handle.toLowerCase())) return
        this.send(sub, body)
      },
      Math.max(0, this.opts.delayMs())
    )
    timer.unref()
    this.timers.add(timer)
  }

  private send(sub: NotificationSubscription, body: string): void {
    const time = Date.now()
    let recorded = false
    const record = (status: number | 'error', error?: string): void => {
      if (recorded || this.closed) return
      recorded = true
      this.done.push({ handle: sub.handle, url: sub.url, time, status, body, ...(error !== undefined ? { error } : {}) })
    }
    try {
      const url = new URL(sub.url)
      const client = url.protocol === 'https:' ? https : http
      const req = client.request(
        url,
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
          // A test tool: any certificate; a fresh connection per delivery, nothing kept alive.
          rejectUnauthorized: false,
          agent: false,
          timeout: deliveryTimeoutMs
        },
        (res) => {
          record(res.statusCode ?? 0)
          res.resume()
          res.on('error', () => {})
        }
      )
      this.inFlight.add(req)
      req.on('close', () => this.inFlight.delete(req))
      req.on('timeout', () => req.destroy(new Error(`no answer within ${deliveryTimeoutMs} ms`)))
      req.on('error', (err) => record('error', err.message))
      req.end(body)
    } catch (err) {
      record('error', err instanceof Error ? err.message : String(err))
    }
  }
}
