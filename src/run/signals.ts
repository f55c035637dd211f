import type { Toolkit } from '../toolkit/toolkit.js'
import { CancelledError } from '../util/errors.js'

/** The job's cancellation, as a signal; dispose when the step ends. */
export interface Cancellation {
  signal: AbortSignal
  dispose(): void
}

/**
 * Listens for the runner's cancellation: SIGINT, then SIGTERM 7.5 s later (then SIGKILL); a Windows runner
 * sends Ctrl+C, then Ctrl+Break (SIGBREAK, which ends Node at once unless listened to). `also`: another
 * signal that cancels the job (in-process tests use it).
 */
export function listenForCancel(toolkit: Pick<Toolkit, 'info'>, also?: AbortSignal): Cancellation {
  const cancel = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!cancel.signal.aborted) toolkit.info(`Received ${signal}: the job is being cancelled.`)
    cancel.abort(new CancelledError(signal))
  }
  const onAlso = (): void => onSignal('SIGTERM')
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGBREAK']
  for (const signal of signals) process.on(signal, onSignal)
  also?.addEventListener('abort', onAlso)
  return {
    signal: cancel.signal,
    dispose: () => {
      for (const signal of signals) process.off(signal, onSignal)
      also?.removeEventListener('abort', onAlso)
    }
  }
}
