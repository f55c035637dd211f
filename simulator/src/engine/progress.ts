/**
 * Global.GetProgress's qProgressData. The persistent lines are those since the previous call on the
 * session (as display text, one line break after each); the transient text is the reload's current
 * one. Given the reload request's id the answer is complete; given 0 (or -1) it has the messages
 * and errors but not when the request started and finished (Qlik help); any other id gets the
 * engine's empty answer for an unknown request (enigma.js#589).
 */
import type { EngineSwitches } from './scenario.js'
import type { Reload } from './reload.js'

type ProgressDetail = 'full' | 'messages' | 'unknown'

export interface ProgressInput {
  detail: ProgressDetail
  /** The reload the answer is about (the request's, or the session's latest for 0). */
  reload?: Reload
  /** Persistent lines since the previous call. */
  lines: string[]
}

export function progressData(input: ProgressInput, switches: EngineSwitches, now = Date.now()): Record<string, unknown> {
  const { detail, reload } = input
  if (detail === 'unknown') return trim(emptyProgress(true), switches)
  const lineEnd = switches.engineProgressLineEnd === 'crlf' ? '\r\n' : '\n'
  const data = emptyProgress(false)
  data.qPersistentProgress = input.lines.map((l) => l + lineEnd).join('')
  data.qTransientProgress = reload?.transientText(now) ?? ''
  data.qErrorData = reload?.errorData() ?? []
  if (detail === 'full' && reload) {
    data.qStarted = reload.startedAt !== undefined
    data.qFinished = reload.ended
    data.qMillisecs = reload.elapsed(now)
  }
  return trim(data, switches)
}

function emptyProgress(started: boolean): Record<string, unknown> {
  return {
    qStarted: started,
    qFinished: started,
    qCompleted: 0,
    qTotal: 0,
    qKB: 0,
    qMillisecs: 0,
    qUserInteractionWanted: false,
    qPersistentProgress: '',
    qTransientProgress: '',
    qErrorData: [],
    // The coded messages are not simulated: the display text above carries the same lines.
    qPersistentProgressMessages: [],
    qTransientProgressMessage: { qMessageCode: 0, qMessageParameters: [''] }
  }
}

/** The engine leaves empty strings and false flags out of its answers (switch engineProgressEmptyFields). */
function trim(data: Record<string, unknown>, switches: EngineSwitches): Record<string, unknown> {
  if (switches.engineProgressEmptyFields === 'sent') return data
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== '' && v !== false))
}
