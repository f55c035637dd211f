import { EngineError } from '../util/errors.js'
import { excerpt } from '../util/text.js'

/** The engine's LocalizedErrorCode values a reload meets, in words (enigma.js's schema, enum LocalizedErrorCode). */
const CODES: Record<number, string> = {
  [-1]: 'the connection closed',
  2: 'not found',
  5: 'access denied',
  11: 'the request was aborted',
  15: 'aborted',
  1002: 'app already open',
  1003: 'app not found',
  1009: 'app already open in a different mode'
}

/** What an answer's error says, bounded (the engine's text is untrusted and shown on one line). */
export function engineErrorText(error: unknown): { code?: number; text: string } {
  const e = error as { code?: unknown; message?: unknown; parameter?: unknown }
  const code = typeof e?.code === 'number' ? e.code : undefined
  const message = typeof e?.message === 'string' ? e.message : String(error)
  const parameter = typeof e?.parameter === 'string' && e.parameter !== message ? e.parameter : ''
  const words = code === undefined ? '' : (CODES[code] ?? 'error')
  const said = excerpt([message, parameter].filter(Boolean).join(': '), 200)
  return { code, text: `${said}${code === undefined ? '' : ` (${words}, code ${code})`}` }
}

/** An engine error for `method` on app `app`, with what to check when the code says. */
export function engineError(method: string, app: string, error: unknown): EngineError {
  if (error instanceof EngineError) return error
  const { code, text } = engineErrorText(error)
  return new EngineError(`The engine answered ${method} of app ${app} with ${text}.${hint(method, code)}`, code)
}

function hint(method: string, code: number | undefined): string {
  if (code === 5 && method === 'OpenDoc') return ' The user needs read access to the app (QMC > Security rules).'
  if (code === 5 && method === 'DoReloadEx') return ' The user may open the app but not reload it: engine reloads need the reload right (update on the app, QMC > Security rules).'
  if (code === 5 && method === 'DoSave') return ' The user may reload the app but not save it (update right on the app): the reload was not saved.'
  if (code === 1009)
    return ' Another session has the app open with data while this one asks without (or the reverse): a dry run beside a running reload, or the other way round. Try again when that session has closed.'
  if (code === 2 || code === 1003) return ' Check the app id (QMC > Apps) and that engine-url reaches the engine that serves it.'
  return ''
}
