import { randomBytes } from 'node:crypto'
import type { Log } from '../toolkit/toolkit.js'

/** Where untrusted lines are printed: the step's log. */
type Printer = Pick<Log, 'info'>

/**
 * Text from the server (script log lines, detail messages, task and app names, error bodies) is
 * printed with the runner's command processing off: a load script that TRACEs `::add-mask::...`
 * or `::set-output ...` must not issue runner commands. The runner takes a line as a command when
 * it starts with `::` (after leading spaces) or holds `##[` anywhere (the old format); it splits
 * lines at CR as well as LF.
 */
function mayBeCommand(text: string): boolean {
  return /[\r\n]/.test(text) || text.trimStart().startsWith('::') || text.includes('##[')
}

/**
 * Runs `print` between `::stop-commands::<token>` and `::<token>::`. The token is random per
 * block (never derived from the text), so server text cannot end the block early; a line that
 * happens to contain it is printed without it.
 */
export async function withCommandsStopped<T>(log: Printer, print: (info: (line: string) => void) => Promise<T>): Promise<T> {
  const block = stopCommands(log)
  try {
    return await print(block.info)
  } finally {
    block.resume()
  }
}

/** Info lines that may hold server text: printed as they are when none can be a command, else with commands stopped. */
export function printUntrusted(log: Printer, ...lines: string[]): void {
  if (!lines.some(mayBeCommand)) {
    for (const line of lines) log.info(line)
    return
  }
  const block = stopCommands(log)
  for (const line of lines) block.info(line)
  block.resume()
}

function stopCommands(log: Printer): { info: (line: string) => void; resume: () => void } {
  const token = randomBytes(16).toString('hex')
  const hidden = new RegExp(token, 'gi')
  log.info(`::stop-commands::${token}`)
  return {
    info: line => log.info(line.replace(hidden, '')),
    resume: () => log.info(`::${token}::`)
  }
}
