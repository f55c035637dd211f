import { createReadStream } from 'node:fs'
import { MAX_LINE_CHARS } from '../util/text.js'

/**
 * The lines of a file from byte `start`, CRLF or LF, each cut to `maxChars` (with `…`). Memory stays
 * bounded by the chunk size and `maxChars` whatever the file holds, a single line of 500 MB included.
 */
export async function* boundedLines(path: string, start = 0, maxChars = MAX_LINE_CHARS): AsyncGenerator<string> {
  let line = ''
  let cut = false
  for await (const chunk of createReadStream(path, { encoding: 'utf8', start, highWaterMark: 64 * 1024 })) {
    const text = chunk as string
    let from = 0
    for (let at = text.indexOf('\n'); ; at = text.indexOf('\n', from)) {
      const piece = text.slice(from, at < 0 ? text.length : at)
      if (!cut) {
        line += piece.slice(0, maxChars + 1 - line.length)
        if (line.length > maxChars) {
          line = `${line.slice(0, maxChars)}…`
          cut = true
        }
      }
      if (at < 0) break
      yield cut ? line : line.replace(/\r$/, '')
      line = ''
      cut = false
      from = at + 1
    }
  }
  if (line) yield cut ? line : line.replace(/\r$/, '')
}
