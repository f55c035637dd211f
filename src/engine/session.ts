import enigma from 'enigma.js/enigma.min.js'
// The one schema bundled: the oldest 12.x that has every method and out parameter the engine mode
// uses, the same as in the newest (__tests__/unit/engine-schema.test.ts); a third of the newest's size.
import schema from 'enigma.js/schemas/12.170.2.json' with { type: 'json' }
import type WebSocket from 'ws'
import { WrongShape, type Shape } from '../qrs/shape.js'
import { MAX_LINE_CHARS } from '../util/text.js'
import type { Log } from '../toolkit/toolkit.js'
import { EngineError, UnexpectedEngineAnswer } from '../util/errors.js'
import { appLayout, openedDoc, progressData, reloadResult, tablesAndKeys } from './answers.js'
import { engineError } from './errors.js'
import { RpcSocket } from './rpc-socket.js'
import type { Progress, ReloadAnswer, ScriptError, TableRows } from './types.js'

/**
 * The parts of enigma.js's generated Global and Doc objects the engine mode calls (names as in the
 * schema). What they answer is the engine's JSON, unchecked: answers.ts checks each where it enters.
 */
interface QixGlobal {
  openDoc(qDocName: string, qUserName: string, qPassword: string, qSerial: string, qNoData: boolean): Promise<unknown>
  getProgress(qRequestId: number): Promise<unknown>
  cancelReload(): Promise<unknown>
}

interface QixDoc {
  doReloadEx(qParams: { qMode: number; qPartial: boolean; qDebug: boolean }): Promise<unknown> & { requestId?: number }
  doSave(): Promise<unknown>
  getTablesAndKeys(qWindowSize: Size, qNullSize: Size, qCellHeight: number, qSyntheticMode: boolean, qIncludeSysVars: boolean): Promise<unknown>
  getAppLayout(): Promise<unknown>
}

interface Size {
  qcx: number
  qcy: number
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
/** enigma.js's code for a call whose socket closed before the answer (NOT_CONNECTED): the session is lost. */
const LOST = -1
/** What a call whose answer the action does not read takes. */
const anything: Shape<unknown> = value => value

/**
 * One engine session on one app (a WebSocket, enigma.js): its tables, a reload with its progress, a
 * cancel, a save. Every call but DoReloadEx and those given their own limit is bounded by the
 * request timeout: an engine that does not answer closes the session (the only way to drop a call).
 * Every answer read is checked at the door (answers.ts), every message before enigma.js sees it (rpc-socket.ts).
 */
export class EngineSession {
  private closing?: Promise<void>

  constructor(
    private readonly session: EnigmaJS.Session,
    private readonly rpc: RpcSocket,
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
    let rpc: RpcSocket | undefined
    // Delta answers (enigma.js's default, what Qlik's clients use) are applied by enigma.js itself.
    const session = enigma.create({
      schema,
      url: options.url,
      createSocket: (url: string) => (rpc = new RpcSocket(options.createSocket(url))) as unknown as globalThis.WebSocket
    })
    session.on('notification:OnConnected', (params: { qSessionState?: unknown }) => options.onConnected(text(params?.qSessionState)))
    const global = (await session.open().catch((error: unknown) => {
      throw rpc?.unexpected ? failure('the session', options.app, error, rpc) : error
    })) as unknown as QixGlobal
    options.opened()
    const close = (): Promise<void> => closeSession(session, rpc!.socket)
    try {
      const send = (): Promise<unknown> => global.openDoc(options.appId, '', '', '', options.noData)
      const doc = await bounded('OpenDoc', options.app, send, openedDoc<QixDoc>, 'qReturn', { timeoutMs: options.openTimeoutMs, close, log: options.log, rpc: rpc! })
      return new EngineSession(session, rpc!, global, doc, options.app, options.limits, options.log)
    } catch (error) {
      await close()
      throw error
    }
  }

  /** Every table of the data model with its row count. */
  async tables(): Promise<TableRows[]> {
    const answer = await this.call('GetTablesAndKeys', () => this.doc.getTablesAndKeys(NO_SIZE, NO_SIZE, 0, true, false), tablesAndKeys, '')
    return (answer.qtr ?? []).map(table => ({ name: table.qName.slice(0, MAX_LINE_CHARS), rows: table.qNoOfRows ?? 0 }))
  }

  /** Whether the user may save the app (qReadOnly: no update right), for a dry run. */
  async readOnly(): Promise<boolean> {
    return (await this.call('GetAppLayout', () => this.doc.getAppLayout(), appLayout, 'qLayout')).qReadOnly === true
  }

  /** Starts DoReloadEx; its answer comes when the reload has ended (never bounded: a reload takes what it takes). */
  reload(partial: boolean): RunningReload {
    const pending = this.doc.doReloadEx({ qMode: 0, qPartial: partial, qDebug: false })
    const running: RunningReload = {
      requestId: pending.requestId ?? 0,
      done: pending
        .then(answer => {
          // The reload has ended either way; an answer that cannot be read leaves its outcome unknown, and it is not saved.
          const result = checked('DoReloadEx', this.app, reloadResult, answer, 'qResult')
          running.answeredAt = Date.now()
          running.answer = {
            success: result.qSuccess === true,
            scriptLogFile: result.qScriptLogFile ?? '',
            endedWithMemoryConstraint: result.qEndedWithMemoryConstraint === true
          }
          return running.answer
        })
        .catch((error: unknown) => {
          throw (running.failure = failure('DoReloadEx', this.app, error, this.rpc))
        })
    }
    // Its outcome is read through `done`; a rejection nobody awaits yet must not end the process.
    running.done.catch(() => {})
    return running
  }

  /** GetProgress of the reload `requestId`: the lines since the last call, the transient text, the errors. */
  async progress(requestId: number): Promise<Progress> {
    const data = await this.call('GetProgress', () => this.global.getProgress(requestId), progressData, 'qProgressData')
    const lines = (data.qPersistentProgress ?? '')
      .split(/\r?\n/)
      .filter(line => line.trim())
      .slice(0, MAX_LINES_PER_ANSWER)
      .map(cut)
    const errors: ScriptError[] = (data.qErrorData ?? [])
      .slice(0, 100)
      .map(e => ({ message: cut(e.qErrorString ?? ''), statement: cut(e.qLine ?? '') }))
      .filter(e => e.message || e.statement)
    return { started: data.qStarted === true, finished: data.qFinished === true, lines, transient: cut((data.qTransientProgress ?? '').trim()), errors }
  }

  /** CancelReload: the reload in progress ends, and DoReloadEx answers qSuccess false. */
  async cancel(): Promise<void> {
    await this.call('CancelReload', () => this.global.cancelReload(), anything, '')
  }

  /** DoSave, bounded by `timeoutMs`: saving a large app takes a while. */
  async save(timeoutMs: number): Promise<void> {
    await this.call('DoSave', () => this.doc.doSave(), anything, '', timeoutMs)
  }

  get open(): boolean {
    return !this.closing && this.rpc.readyState === this.rpc.OPEN
  }

  /** Closes the WebSocket (the engine ends the session); waits at most a moment for the close handshake. */
  close(): Promise<void> {
    this.closing ??= closeSession(this.session, this.rpc.socket)
    return this.closing
  }

  /** One call, its answer checked against `shape` (`at` names it in the message). */
  private call<T>(method: string, send: () => Promise<unknown>, shape: Shape<T>, at: string, timeoutMs = this.limits.requestTimeoutMs): Promise<T> {
    return bounded(method, this.app, send, shape, at, { timeoutMs, close: () => this.close(), log: this.log, rpc: this.rpc })
  }
}

/** enigma.js's close, then the socket's end whatever the close handshake does. */
async function closeSession(session: EnigmaJS.Session, socket: WebSocket): Promise<void> {
  await Promise.race([session.close().catch(() => {}), new Promise<void>(resolve => setTimeout(resolve, 2_000).unref())])
  if (socket.readyState !== socket.CLOSED) socket.terminate()
}

interface Bounds {
  timeoutMs: number
  close: () => Promise<void>
  log: Pick<Log, 'debug'>
  rpc: RpcSocket
}

/**
 * One call, bounded: an engine that does not answer in `timeoutMs` gets its session closed (the only way
 * to drop a call). Its answer is checked against `shape`.
 */
async function bounded<T>(method: string, app: string, send: () => Promise<unknown>, shape: Shape<T>, at: string, bounds: Bounds): Promise<T> {
  const { timeoutMs, close, log, rpc } = bounds
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
    return checked(method, app, shape, answer, at)
  } catch (error) {
    throw failure(method, app, error, rpc)
  } finally {
    clearTimeout(timer)
  }
}

/** `answer` as `shape` reads it; an answer of another shape is an UnexpectedEngineAnswer. */
function checked<T>(method: string, app: string, shape: Shape<T>, answer: unknown, at: string): T {
  try {
    return shape(answer, at)
  } catch (error) {
    if (error instanceof WrongShape) throw new UnexpectedEngineAnswer(method, app, error.message)
    throw error
  }
}

/**
 * Why a call failed: the engine sent a message that is no JSON-RPC (the socket was closed for it, so the
 * session is lost), else the engine's error in words.
 */
function failure(method: string, app: string, error: unknown, rpc: RpcSocket | undefined): EngineError {
  if (rpc?.unexpected && !(error instanceof EngineError)) {
    return new EngineError(`The engine sent something unexpected on the session of app ${app} while ${method} waited: ${rpc.unexpected}; the session was closed.`, LOST)
  }
  return engineError(method, app, error)
}

function cut(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line
}

/** Server JSON read as text: a string as it is, anything else (an object where text was expected) as nothing. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : ''
}
