import { flag, list, optional, record, text, whole, WrongShape, type Shape } from '../qrs/shape.js'

/**
 * What each engine answer the action reads must look like, checked where it enters (session.ts), as the
 * QRS's answers are (qrs/answers.ts): a name that is an object or a row count that is a string is "the
 * engine answered something unexpected", never a TypeError further on or text in the summary. The engine
 * leaves out false flags, zeros and empty strings, so those fields are optional.
 */

/** A table's row count: a whole number, not below 0. */
const rowCount: Shape<number> = (value, at) => {
  const rows = whole(value, at)
  if (rows < 0) throw new WrongShape(`${at} is below 0, not a row count`)
  return rows
}

/** DoReloadEx's qResult. */
export interface ReloadResult {
  qSuccess?: boolean
  /** A path on the Qlik server. */
  qScriptLogFile?: string
  qEndedWithMemoryConstraint?: boolean
}

export const reloadResult = record<ReloadResult>({
  qSuccess: optional(flag),
  qScriptLogFile: optional(text),
  qEndedWithMemoryConstraint: optional(flag)
})

/** GetProgress's qProgressData: the fields the progress lines and the script errors come from. */
export interface ProgressData {
  qStarted?: boolean
  qFinished?: boolean
  qPersistentProgress?: string
  qTransientProgress?: string
  qErrorData?: { qErrorString?: string; qLine?: string }[]
}

export const progressData = record<ProgressData>({
  qStarted: optional(flag),
  qFinished: optional(flag),
  qPersistentProgress: optional(text),
  qTransientProgress: optional(text),
  qErrorData: optional(list(record<{ qErrorString?: string; qLine?: string }>({ qErrorString: optional(text), qLine: optional(text) })))
})

/** GetTablesAndKeys's answer (its two out parameters): of `qtr` each table's name and rows. */
export const tablesAndKeys = record<{ qtr?: { qName: string; qNoOfRows?: number }[] }>({
  qtr: optional(list(record<{ qName: string; qNoOfRows?: number }>({ qName: text, qNoOfRows: optional(rowCount) })))
})

/** GetAppLayout's qLayout: whether the user may save the app. */
export const appLayout = record<{ qReadOnly?: boolean }>({ qReadOnly: optional(flag) })

/**
 * OpenDoc's answer as enigma.js hands it on: the app's object when the engine answered a Doc handle
 * (`qReturn: {qType: "Doc", qHandle}`), else whatever `qReturn` held.
 */
export function openedDoc<T>(value: unknown, at: string): T {
  const doc = value as { type?: unknown; handle?: unknown } | null
  if (typeof doc === 'object' && doc !== null && doc.type === 'Doc' && Number.isSafeInteger(doc.handle)) return value as T
  throw new WrongShape(`${at} is not a Doc handle`)
}
