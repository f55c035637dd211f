import { randomBytes } from 'node:crypto'
import type { Log, Toolkit } from '../toolkit/toolkit.js'
import { mayBeCommand, neutralise, runnerLines } from './commands.js'

/** Where untrusted lines are printed: the step's log. */
type Printer = Pick<Log, 'info'>

/**
 * The raw `info` of each gated toolkit (see `gate`): the stop-commands lines of a block go out through it,
 * not through the gate, which would take them for server text and wrap them in a block of their own.
 */
const rawInfo = new WeakMap<object, (line: string) => void>()

const printerOf = (log: Printer): ((line: string) => void) => rawInfo.get(log) ?? (line => log.info(line))

/**
 * Runs `print` between `::stop-commands::<token>` and `::<token>::`. The token is random per
 * block (never derived from the text), so server text cannot end the block early; a line that
 * happens to contain it is printed without it.
 */
export async function withCommandsStopped<T>(log: Printer, print: (info: (line: string) => void) => Promise<T>): Promise<T> {
  const block = stopCommands(printerOf(log))
  try {
    return await print(block.info)
  } finally {
    block.resume()
  }
}

/**
 * Text from the server (task, app, stream and node names, detail messages, script log lines, error
 * bodies), alone or within our own lines: printed as it is when no line of it can be a runner command
 * (commands.ts says when the runner takes a line for one), else all of it with commands stopped.
 */
export function printUntrusted(log: Printer, ...lines: string[]): void {
  const info = printerOf(log)
  if (!lines.some(line => runnerLines(line).some(mayBeCommand))) {
    for (const line of lines) info(line)
    return
  }
  const block = stopCommands(info)
  for (const line of lines) block.info(line)
  block.resume()
}

function stopCommands(info: (line: string) => void): { info: (line: string) => void; resume: () => void } {
  const token = randomBytes(16).toString('hex')
  const hidden = new RegExp(token, 'gi')
  info(`::stop-commands::${token}`)
  return {
    info: line => info(withoutToken(line, hidden)),
    resume: () => info(`::${token}::`)
  }
}

/** Until none is left: taking one out must not join the pieces around it into another. */
function withoutToken(line: string, token: RegExp): string {
  for (let previous = ''; previous !== line;) [previous, line] = [line, line.replace(token, '')]
  return line
}

/**
 * The one way out for everything the steps say: every log line passes `printUntrusted`, and the texts that
 * travel inside a runner command (annotations, group names, debug lines), where commands cannot be
 * stopped, are neutralised line by line (commands.ts). Whatever a caller prints, and whatever server text
 * it holds, no line of it can be a command. The steps wrap their toolkit in it first.
 */
export function gate(toolkit: Toolkit): Toolkit {
  const gated: Toolkit = {
    ...toolkit,
    info: message => printUntrusted(toolkit, message),
    debug: message => toolkit.debug(neutralise(message)),
    warning: (message, properties) => toolkit.warning(neutralise(message), properties),
    error: (message, properties) => toolkit.error(neutralise(message), properties),
    group: (title, fn) => toolkit.group(neutralise(title), fn)
  }
  rawInfo.set(gated, line => toolkit.info(line))
  return gated
}
