import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'

/** The lines that explain a failed reload, gathered in one pass with bounded memory. */
export interface LogExcerpt {
  /** Lines Qlik writes for script errors ("Error: ...", "Execution Failed"), the last few. */
  errorLines: string[]
  /** The last lines of the log. */
  tail: string[]
  lines: number
}

// "Error:", "General Script Error", "Execution Failed", "Syntax error"; not "ErrorMode" or "0 errors".
const ERROR_LINE = /\b(error\b(?!s)|failed\b)/i
const MAX_LINE = 400

export async function scanLog(path: string, limits = { errorLines: 15, tail: 25 }): Promise<LogExcerpt> {
  const errorLines: string[] = []
  const tail: string[] = []
  let lines = 0
  const reader = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })
  for await (const raw of reader) {
    lines++
    const line = raw.length > MAX_LINE ? `${raw.slice(0, MAX_LINE)}…` : raw
    if (ERROR_LINE.test(line)) keepLast(errorLines, line, limits.errorLines)
    keepLast(tail, line, limits.tail)
  }
  return { errorLines, tail, lines }
}

function keepLast(list: string[], line: string, max: number): void {
  list.push(line)
  if (list.length > max) list.shift()
}
