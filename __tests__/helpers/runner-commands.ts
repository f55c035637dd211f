/**
 * Reads a step's stdout the way the runner does: a line is a command when it starts with `::`
 * (leading spaces ignored) or holds `##[` anywhere (the old format); lines end at CR or LF;
 * `::stop-commands::<token>` turns commands off until a `::<token>::` line (case-insensitive).
 * Any command name counts, registered or not: stricter than the runner.
 */
export interface RunnerCommand {
  command: string
  properties: Record<string, string>
  data: string
}

const unescape = (text: string): string => text.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%3A/gi, ':').replace(/%2C/gi, ',').replace(/%25/g, '%')

function parse(line: string): RunnerCommand | undefined {
  const trimmed = line.trimStart()
  let info: string | undefined
  let data = ''
  if (trimmed.startsWith('::')) {
    const end = trimmed.indexOf('::', 2)
    if (end >= 0) {
      info = trimmed.slice(2, end)
      data = trimmed.slice(end + 2)
    }
  }
  if (info === undefined) {
    const start = line.indexOf('##[')
    const end = start >= 0 ? line.indexOf(']', start) : -1
    if (end < 0) return undefined
    info = line.slice(start + 3, end)
    data = line.slice(end + 1)
  }
  const space = info.indexOf(' ')
  const command = (space < 0 ? info : info.slice(0, space)).trim()
  if (!command) return undefined
  const properties: Record<string, string> = {}
  if (space >= 0) {
    for (const pair of info.slice(space + 1).split(/[,;]/)) {
      const at = pair.indexOf('=')
      if (at > 0) properties[pair.slice(0, at).trim()] = unescape(pair.slice(at + 1))
    }
  }
  return { command, properties, data: unescape(data) }
}

/** The commands the runner would carry out, in order (stop-commands and their resume included). */
export function runnerCommands(stdout: string): { commands: RunnerCommand[]; stoppedAtEnd: boolean } {
  const commands: RunnerCommand[] = []
  let stopToken: string | undefined
  for (const line of stdout.split(/\r\n|\r|\n/)) {
    const command = parse(line)
    if (!command) continue
    if (stopToken !== undefined) {
      if (command.command.toLowerCase() === stopToken.toLowerCase()) {
        commands.push({ command: 'resume-commands', properties: {}, data: stopToken })
        stopToken = undefined
      }
      continue
    }
    if (command.command === 'stop-commands') stopToken = command.data
    commands.push(command)
  }
  return { commands, stoppedAtEnd: stopToken !== undefined }
}
