import { stat } from 'node:fs/promises'
import { relative, resolve, isAbsolute } from 'node:path'
import { Transform, type TransformCallback } from 'node:stream'
import type { QrsApi } from '../qrs/api.js'
import { EMPTY_GUID, type ExecutionResult } from '../qrs/types.js'
import type { Clock } from '../util/clock.js'
import { poll } from '../util/poll.js'
import { CappedFile } from './capped-file.js'
import { isGuid } from '../util/ids.js'

/**
 * A saved log, or why there is none. `bytes` in the file; `received` the bytes that came, `cut` how many of
 * them were left out between the head and the tail (maxBytes), `cutShort` whether the deadline ended the
 * download first. `errorLines`: the script's errors as the server told them (the engine's qErrorData), in
 * place of the lines a scan of the file finds; `printed`: its lines are in the step log already (an engine
 * reload's progress, printed as it came).
 */
export type ScriptLog =
  { kind: 'saved'; path: string; bytes: number; received: number; cut: number; cutShort: boolean; errorLines?: string[]; printed?: boolean } | { kind: 'none'; reason: string }

/**
 * Right after a run the download can answer 404 for a while (Butler waits 500 ms, then retries
 * 2 s apart): bounded waits, about 15 s in all.
 */
const DOWNLOAD_RETRY_DELAYS_MS = [500, 2_000, 2_000, 2_000, 4_000, 4_000]

export interface SaveOptions {
  /** The folder the log is written to (RUNNER_TEMP). */
  dir: string
  clock: Clock
  /** Cancels the waits between downloads (the job is cancelled). */
  signal?: AbortSignal
  /** The file keeps at most about this many bytes: the log's head and tail (script-log-max-size). */
  maxBytes: number
}

/**
 * Streams the script log of `result` to a file under `dir`; memory stays flat whatever its size, and the
 * file stays within `maxBytes`. The file keeps Qlik's CRLF line endings; a leading BOM is dropped. The
 * api's deadline (the target's timeout) ends a download that runs on, keeping what came.
 */
export async function saveScriptLog(api: QrsApi, taskId: string, result: ExecutionResult, { dir, clock, signal, maxBytes }: SaveOptions): Promise<ScriptLog> {
  if (result.scriptLogAvailable === false && (!result.fileReferenceID || result.fileReferenceID === EMPTY_GUID)) {
    return { kind: 'none', reason: 'the scheduler recorded no script log for this execution (empty file reference)' }
  }
  // The id names the file: anything but a GUID (a `../` in it) is refused before any request.
  if (!isGuid(result.id)) return { kind: 'none', reason: `the execution result id '${String(result.id).slice(0, 60)}' is not a GUID, so it cannot name the log file` }
  const path = insideDir(dir, `qlik-script-log-${result.id.toLowerCase()}.log`)
  const reference = await api.scriptLogReference(taskId, result)
  if (!reference) return { kind: 'none', reason: 'the server has no script log for this execution' }
  let file: CappedFile | undefined
  const outcome = await poll({
    clock,
    signal,
    read: () => api.downloadScriptLog(reference, () => [stripBom(), (file = new CappedFile(path, maxBytes))]),
    done: answer => answer.status === 200,
    next: (_, attempt) => DOWNLOAD_RETRY_DELAYS_MS[attempt]
  })
  if (outcome.done && file) {
    const { received, cut } = file
    return { kind: 'saved', path, bytes: (await stat(path)).size, received, cut, cutShort: outcome.value.cutShort }
  }
  return { kind: 'none', reason: `the log download still answered 404 after ${outcome.attempts} tries` }
}

/** `name` resolved inside `dir`; throws when it would land anywhere else. */
export function insideDir(dir: string, name: string): string {
  const base = resolve(dir)
  const path = resolve(base, name)
  const rest = relative(base, path)
  if (!rest || rest.startsWith('..') || isAbsolute(rest)) throw new Error(`Refusing to write the script log outside ${base}.`)
  return path
}

/** Drops a UTF-8 byte order mark at the very start of the stream. */
function stripBom(): Transform {
  let first = true
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      if (first) {
        first = false
        if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3)
      }
      done(null, chunk)
    }
  })
}
