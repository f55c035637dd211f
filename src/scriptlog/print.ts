import { withCommandsStopped } from '../output/untrusted.js'
import { boundedLines } from './lines.js'
import { formatBytes } from '../util/format.js'
import type { Toolkit } from '../toolkit/toolkit.js'

/** Logs larger than this are shown as their head and tail; the whole file is in script-log-path. */
const MAX_PRINTED_BYTES = 1024 * 1024
const HEAD_LINES = 100

/**
 * Prints a saved log into the step log, bounded, inside a collapsed group. The lines are the load
 * script's (TRACE writes anything): they are printed with runner commands stopped.
 */
export async function printScriptLog(toolkit: Pick<Toolkit, 'group' | 'info'>, path: string, bytes: number): Promise<void> {
  await toolkit.group(`Script log (${formatBytes(bytes)})`, async () => {
    await withCommandsStopped(toolkit, async info => {
      if (bytes <= MAX_PRINTED_BYTES) {
        await printLines(info, path, 0)
        return
      }
      await printLines(info, path, 0, HEAD_LINES)
      info(`… ${formatBytes(bytes - MAX_PRINTED_BYTES)} not shown here: the saved log is at ${path} (output script-log-path; upload it with actions/upload-artifact) …`)
      await printLines(info, path, bytes - MAX_PRINTED_BYTES, Infinity, true)
    })
  })
}

async function printLines(info: (line: string) => void, path: string, start: number, max = Infinity, skipFirst = false): Promise<void> {
  let count = 0
  for await (const line of boundedLines(path, start)) {
    // Starting mid-file: the first line is a fragment.
    if (skipFirst && count++ === 0) continue
    if (!skipFirst && count++ >= max) break
    info(line)
  }
}
