/** What the engine mode reads from the engine, in the action's own words. */

/** One table of an app's data model and its row count (`qNoOfRows`). */
export interface TableRows {
  name: string
  rows: number
}

/** One script error of a failed reload (`qErrorData`). */
export interface ScriptError {
  message: string
  /** The statement it occurred in, when the engine says. */
  statement: string
}

/** What GetProgress says, read into plain fields (text cut to bounded lines). */
export interface Progress {
  started: boolean
  finished: boolean
  /** The persistent lines since the previous call, in order. */
  lines: string[]
  /** The current transient message ('' when none). */
  transient: string
  errors: ScriptError[]
}

/** DoReloadEx's answer. */
export interface ReloadAnswer {
  success: boolean
  /** A path on the Qlik server, not the log: shown, never opened. */
  scriptLogFile: string
  endedWithMemoryConstraint: boolean
}
