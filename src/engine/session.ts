import enigma from 'enigma.js/enigma.min.js'
// The one schema bundled: the oldest 12.x that has every method and out parameter the engine mode
// uses, the same as in the newest (__tests__/unit/engine-schema.test.ts); a third of the newest's size.
import schema from 'enigma.js/schemas/12.170.2.json' with { type: 'json' }
import type WebSocket from 'ws'
import { MAX_LINE_CHARS } from '../util/text.js'
import type { Log } from '../toolkit/toolkit.js'
import { EngineError } from '../util/errors.js'
import { engineError } from './errors.js'
import type { Progress, ReloadAnswer, ScriptError, TableRows } from './types.js'

/** The parts of enigma.js's generated Global and Doc objects the engine mode calls (names as in the schema). */
interface QixGlobal {
  openDoc(qDocName: string, qUserName: string, qPassword: string, qSerial: string, qNoData: boolean): Promise<QixDoc>
  getProgress(qRequestId: number): Promise<RawProgress>
  cancelReload(): Promise<unknown>
}

interface QixDoc {
  doReloadEx(qParams: { qMode: number; qPartial: boolean; qDebug: boolean }): Promise<RawReloadResult> & { requestId?: number }
  doSave(): Promise<unknown>
  getTablesAndKeys(
    qWindowSize: Size,
    qNullSize: Size,
    qCellHeight: number,
    qSyntheticMode: boolean,
    qIncludeSysVars: boolean
  ): Promise<{ qtr?: { qName?: unknown; qNoOfRows?: unknown }[] }>
  getAppLayout(): Promise<{ qReadOnly?: boolean; qTitle?: string }>
}

interface Size {
  qcx: number
  qcy: number
}

/** qProgressData as the engine sends it; empty strings and false flags may be left out. */
interface RawProgress {
  qStarted?: boolean
  qFinished?: boolean
  qPersistentProgress?: unknown
  qTransientProgress?: unknown
  qErrorData?: { qErrorString?: unknown; qLine?: unknown }[]
}

interface RawReloadResult {
  qSuccess?: boolean
  qScriptLogFile?: string
  qEndedWithMemoryConstraint?: boolean
}

/** A DoReloadEx under way: its request id (what GetProgress takes for a complete answer) and its answer. */
export interface RunningReload {
  requestId: number
  done: Promise<ReloadAnswer>
  /** Its answer, once it came, and when (Date.now()). */
  answer?: ReloadAnswer
  answeredAt?: number
  /** Why DoReloadEx failed instead of answering (the session closed, an engine error). */
  failure?: EngineError
}

/** Limits of one session's calls. */
export interface SessionLimits {
  /** GetProgress, GetTablesAndKeys, CancelReload, GetAppLayout: answered at once by a healthy engine. */
  requestTimeoutMs: number
}

const NO_SIZE: Size = { qcx: 0, qcy: 0 }
/** Persistent lines of one answer beyond this many are dropped (a line is already cut to MAX_LINE_CHARS). */
const MAX_LINES_PER_ANSWER = 10_000

/**
 * One engine session on one app (a WebSocket, enigma.js): its tables, a reload with its progress, a
 * cancel, a save. Every call but DoReloadEx and those given their own limit is bounded by the
 * request timeout: an engine that does not answer closes the session (the only way to drop a call).
 */
export class EngineSession {
  private closing?: Promise<void>

  constructor(
    private readonly session: EnigmaJS.Session,
    private readonly socket: WebSocket,
    private readonly global: QixGlobal,
    private readonly doc: QixDoc,
    /** How messages name the app: "'Sales'". */
    readonly app: string,
    private readonly limits: SessionLimits,
    private readonly log: Pick<Log, 'debug'>
  ) {}

  /**
   * Opens `appId` in a new enigma.js session over `createSocket`'s WebSocket: the Global object, then
   * OpenDoc (with or without data), bounded by `openTimeoutMs` (a large app takes a while to load).
   */
  static async open(options: {
    url: string
    appId: string
    app: string
    noData: boolean
    createSocket: (url: string) => WebSocket
    openTimeoutMs: number
    limits: SessionLimits
    log: Pick<Log, 'debug'>
    /** The session state the engine announces once connected (OnConnected: SESSION_CREATED, or an error state). */
    onConnected: (state: string) => void
    /** Called once the socket is open, before OpenDoc. */
    opened: () => void
  }): Promise<EngineSession> {
    let socket: WebSocket | undefined
    // Delta answers (enigma.js's default, what Qlik's clients use) are applied by enigma.js itself.
    const session = enigma.create({
      schema,
      url: options.url,
      createSocket: (url: string) => (socket = options.createSocket(url)) as unknown as globalThis.WebSocket
    })
    session.on('notification:OnConnected', (params: { qSessionState?: unknown }) => options.onConnected(text(params?.qSessionState)))
    const global = (await session.open()) as unknown as QixGlobal
    options.opened()
    const close = (): Promise<void> => closeSession(session, socket!)
    try {
      const doc = await bounded('OpenDoc', options.app, () => global.openDoc(options.appId, '', '', '', options.noData), options.openTimeoutMs, close, options.log)
      return new EngineSession(session, socket!, global, doc, options.app, options.limits, options.log)
    } catch (error) {
      await close()
      throw error
    }
  }

  /** Every table of the data model with its row count. */
  async tables(): Promise<TableRows[]> {
    const answer = await this.call('GetTablesAndKeys', () => this.doc.getTablesAndKeys(NO_SIZE, NO_SIZE, 0, true, false))
    return (answer.qtr ?? []).map(table => ({ name: text(table.qName).slice(0, MAX_LINE_CHARS), rows: Number(table.qNoOfRows) || 0 }))
  }

  /** Whether the user may save the app (qReadOnly: no update right), for a dry run. */
  async readOnly(): Promise<boolean> {
    return (await this.call('GetAppLayout', () => this.doc.getAppLayout())).qReadOnly === true
  }

  /** Starts DoReloadEx; its answer comes when the reload has ended (never bounded: a reload takes what it takes). */
  reload(partial: boolean): RunningReload {
    const pending = this.doc.doReloadEx({ qMode: 0, qPartial: partial, qDebug: false })
    const running: RunningReload = {
      requestId: pending.requestId ?? 0,
      done: pending.then(
        result => {
          running.answeredAt = Date.now()
          running.answer = {
            success: result?.qSuccess === true,
            scriptLogFile: text(result?.qScriptLogFile),
            endedWithMemoryConstraint: result?.qEndedWithMemoryConstraint === true
          }
          return running.answer
        },
        (error: unknown) => {
          throw (running.failure = engineError('DoReloadEx', this.app, error))
        }
      )
    }
    // Its outcome is read through `done`; a rejection nobody awaits yet must not end the process.
    running.done.catch(() => {})
    return running
  }

  /** GetProgress of the reload `requestId`: the lines since the last call, the transient text, the errors. */
  async progress(requestId: number): Promise<Progress> {
    const data = await this.call('GetProgress', () => this.global.getProgress(requestId))
    const lines = text(data?.qPersistentProgress)
      .split(/\r?\n/)
      .filter(line => line.trim())
      .slice(0, MAX_LINES_PER_ANSWER)
      .map(cut)
    const errors: ScriptError[] = (Array.isArray(data?.qErrorData) ? data.qErrorData : [])
      .slice(0, 100)
      .map(e => ({ message: cut(text(e?.qErrorString)), statement: cut(text(e?.qLine)) }))
      .filter(e => e.message || e.statement)
    return { started: data?.qStarted === true, finished: data?.qFinished === true, lines, transient: cut(text(data?.qTransientProgress).trim()), errors }
  }

  /** CancelReload: the reload in progress ends, and DoReloadEx answers qSuccess false. */
  async cancel(): Promise<void> {
    await this.call('CancelReload', () => this.global.cancelReload())
  }

  /** DoSave, bounded by `timeoutMs`: saving a large app takes a while. */
  async save(timeoutMs: number): Promise<void> {
    await this.call('DoSave', () => this.doc.doSave(), timeoutMs)
  }

  get open(): boolean {
    return !this.closing && this.socket.readyState === this.socket.OPEN
  }

  /** Closes the WebSocket (the engine ends the session); waits at most a moment for the close handshake. */
  close(): Promise<void> {
    this.closing ??= closeSession(this.session, this.socket)
    return this.closing
  }

  private call<T>(method: string, send: () => Promise<T>, timeoutMs = this.limits.requestTimeoutMs): Promise<T> {
    return bounded(method, this.app, send, timeoutMs, () => this.close(), this.log)
  }
}

/** enigma.js's close, then the socket's end whatever the close handshake does. */
async function closeSession(session: EnigmaJS.Session, socket: WebSocket): Promise<void> {
  await Promise.race([session.close().catch(() => {}), new Promise<void>(resolve => setTimeout(resolve, 2_000).unref())])
  if (socket.readyState !== socket.CLOSED) socket.terminate()
}

/** One call, bounded: an engine that does not answer in `timeoutMs` gets its session closed (the only way to drop a call). */
async function bounded<T>(method: string, app: string, send: () => Promise<T>, timeoutMs: number, close: () => Promise<void>, log: Pick<Log, 'debug'>): Promise<T> {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new EngineError(`The engine did not answer ${method} of app ${app} within ${Math.round(timeoutMs / 1000)} s: the session was closed.`))
      void close()
    }, timeoutMs)
  })
  try {
    const answer = await Promise.race([send(), late])
    log.debug(`engine ${method} → answered in ${Math.round(performance.now() - started)} ms`)
    return answer
  } catch (error) {
    throw engineError(method, app, error)
  } finally {
    clearTimeout(timer)
  }
}

function cut(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line
}

/** Server JSON read as text: a string as it is, anything else (an object where text was expected) as nothing. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : ''
}
