/** What tests can see of the engine: `sim.engine`. */
import type { ReloadOutcome } from './reload.js'

/** One JSON-RPC request the engine received. */
export interface EngineCall {
  /** Date.now() when it arrived. */
  time: number
  /** The JSON-RPC id (undefined for a notification). */
  id?: number | string
  method: string
  handle: number
  /** As sent: by position or by name. */
  params: unknown
  /** The engine port (4747) or the proxy. */
  listener: 'engine' | 'proxy'
  /** DIRECTORY\\userId of the session. */
  user: string
  sessionId: string
  /** The app id of the WebSocket's URL (/app/<id>). */
  appId: string
  /** The kind of the fault applied to this call, if any. */
  fault?: string
}

/** One DoReloadEx: when it was asked for, ran and ended, and how. */
export interface EngineReloadRecord {
  appId: string
  sessionId: string
  user: string
  /** The DoReloadEx request's JSON-RPC id (what GetProgress takes for a complete answer). */
  requestId?: number | string
  partial: boolean
  /** qParams as received. */
  params: Record<string, unknown>
  queuedAt: number
  startedAt?: number
  endedAt?: number
  /** "running" until it ended; a reload cancelled or cut off by a closed session is "aborted". */
  outcome: ReloadOutcome
  /** Whether the session that ran it had closed before it ended. */
  sessionClosed: boolean
}

export interface EngineSaveRecord {
  appId: string
  sessionId: string
  user: string
  time: number
}

/** An open engine session (one WebSocket). */
export interface EngineSessionInfo {
  id: string
  user: string
  listener: 'engine' | 'proxy'
  /** The app id of the URL. */
  appId: string
  /** The app OpenDoc opened, if any. */
  openDoc?: string
  noData: boolean
  reloading: boolean
  openedAt: number
}

export interface EngineHooks {
  /** wss://localhost:<port> of the engine listener. */
  url: string
  port: number
  /** Every JSON-RPC request, in order of arrival. */
  calls: EngineCall[]
  reloads: EngineReloadRecord[]
  saves: EngineSaveRecord[]
  /** Reloads DoReloadEx started (queued or ran), for one app or all; refused requests are only in `calls`. */
  reloadCount(appId?: string): number
  /** DoSave requests that saved, for one app or all. */
  saveCount(appId?: string): number
  /** GetProgress requests, for one session or all. */
  progressCount(sessionId?: string): number
  /** The most GetProgress requests in any `windowMs` (default 1000) of time, for one session or all. */
  progressRate(windowMs?: number, sessionId?: string): number
  /** The sessions open now. */
  sessions(): EngineSessionInfo[]
  /** The saved app's tables (what a new session opens). */
  savedTables(appId: string): { name: string; rows: number }[] | undefined
  /** Closes every engine WebSocket (without a close frame): an engine that went away. */
  dropSessions(): void
}
