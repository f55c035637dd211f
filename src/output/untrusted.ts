import * as core from '@actions/core'
import { randomBytes } from 'node:crypto'

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
export async function withCommandsStopped<T>(print: (info: (line: string) => void) => Promise<T>): Promise<T> {
  const block = stopCommands()
  try {
    return await print(block.info)
  } finally {
    block.resume()
  }
}

/** Info lines that may hold server text: printed as they are when none can be a command, else with commands stopped. */
export function infoUntrusted(...lines: string[]): void {
  printUntrusted(line => core.info(line), lines)
}

/** As infoUntrusted, through a given line printer (the step's toolkit, or a test's fake). */
export function printUntrusted(info: (line: string) => void, lines: string[]): void {
  if (!lines.some(mayBeCommand)) {
    for (const line of lines) info(line)
    return
  }
  const block = stopCommands(info)
  for (const line of lines) block.info(line)
  block.resume()
}

function stopCommands(print: (line: string) => void = line => core.info(line)): { info: (line: string) => void; resume: () => void } {
  const token = randomBytes(16).toString('hex')
  const hidden = new RegExp(token, 'gi')
  print(`::stop-commands::${token}`)
  return {
    info: line => print(line.replace(hidden, '')),
    resume: () => print(`::${token}::`)
  }
}
