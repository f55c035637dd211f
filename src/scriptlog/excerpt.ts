import { createReadStream } from 'node:fs'

/** The lines that explain a failed reload, gathered in one pass with bounded memory. */
export interface LogExcerpt {
  /** Lines Qlik writes for script errors ("Error: ...", "Execution Failed"), the last few. */
  errorLines: string[]
  /** The last lines of the log. */
  tail: string[]
  lines: number
}

// "Error:", "General Script Error", "Execution Failed", "Syntax error"; not "ErrorMode" or "0 errors".
const ERROR_LINE = /^.*\b(?:error\b(?!s)|failed\b).*$/gim
const MAX_LINE = 400
/** A line still open after this many characters is cut: a log line that never ends stays bounded. */
const MAX_OPEN_LINE = 64 * 1024

/**
 * Scans a saved log chunk by chunk: only error lines and the last chunk become strings of their
 * own, so a log of hundreds of MB leaves little garbage behind (no string per line).
 */
export async function scanLog(path: string, limits = { errorLines: 15, tail: 25 }): Promise<LogExcerpt> {
  const errorLines: string[] = []
  let lines = 0
  let carry = ''
  // The last two chunks: enough for the tail even when the final one is short.
  let previous = ''
  let last = ''
  // Skipping the rest of a line that was cut.
  let overlong = false
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 })) {
    let next = chunk as string
    if (overlong) {
      const end = next.indexOf('\n')
      if (end < 0) continue
      next = next.slice(end)
      overlong = false
    }
    const text = carry + next
    const end = text.lastIndexOf('\n')
    const whole = end >= 0 ? text.slice(0, end + 1) : ''
    carry = end >= 0 ? text.slice(end + 1) : text
    for (let at = whole.indexOf('\n'); at >= 0; at = whole.indexOf('\n', at + 1)) lines++
    for (const match of whole.matchAll(ERROR_LINE)) keepLast(errorLines, clip(match[0]), limits.errorLines)
    if (whole) {
      previous = last
      last = whole
    }
    if (carry.length > MAX_OPEN_LINE) {
      carry = carry.slice(0, MAX_LINE + 1)
      overlong = true
    }
  }
  if (carry) {
    lines++
    for (const match of carry.matchAll(ERROR_LINE)) keepLast(errorLines, clip(match[0]), limits.errorLines)
  }
  const tail = (previous + last + carry)
    .split(/\r?\n/)
    .filter((line, i, all) => line || i < all.length - 1)
    .slice(-limits.tail)
    .map(clip)
  return { errorLines, tail, lines }
}

function clip(line: string): string {
  const text = line.replace(/\r$/, '')
  return text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}…` : text
}

function keepLast(list: string[], line: string, max: number): void {
  list.push(line)
  if (list.length > max) list.shift()
}
