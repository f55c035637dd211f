import * as core from '@actions/core'
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'

/** Logs larger than this are shown as their head and tail; the whole file is in script-log-path. */
export const MAX_PRINTED_BYTES = 1024 * 1024
const HEAD_LINES = 100

/** Prints a saved log into the step log, bounded, inside a collapsed group. */
export async function printScriptLog(path: string, bytes: number): Promise<void> {
  await core.group(`Script log (${formatBytes(bytes)})`, async () => {
    if (bytes <= MAX_PRINTED_BYTES) {
      await printLines(path, 0)
      return
    }
    await printLines(path, 0, HEAD_LINES)
    core.info(`… ${formatBytes(bytes - MAX_PRINTED_BYTES)} not shown here: the whole log is at ${path} (output script-log-path; upload it with actions/upload-artifact) …`)
    await printLines(path, bytes - MAX_PRINTED_BYTES, Infinity, true)
  })
}

async function printLines(path: string, start: number, max = Infinity, skipFirst = false): Promise<void> {
  const reader = createInterface({ input: createReadStream(path, { encoding: 'utf8', start }), crlfDelay: Infinity })
  let count = 0
  for await (const line of reader) {
    // Starting mid-file: the first line is a fragment.
    if (skipFirst && count++ === 0) continue
    if (!skipFirst && count++ >= max) break
    core.info(line)
  }
  reader.close()
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}
