/**
 * Reads a step's stdout the way the GitHub runner does, to find every workflow command it would
 * carry out. Relied on, from actions/runner (src/Runner.Sdk/ProcessInvoker.cs, src/Runner.Worker/
 * Handlers/OutputManager.cs, src/Runner.Worker/ActionCommandManager.cs, src/Runner.Common/ActionCommand.cs):
 *
 * - stdout is read with StreamReader.ReadLine: a line ends at CR, LF or CRLF (nothing else);
 * - each line is tried as `ActionCommand.TryParseV2`, then as the old `TryParse`:
 *   - V2: `message.TrimStart()`, .NET's, which strips every `char.IsWhiteSpace` character
 *     (U+0009–U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F,
 *     U+3000; not U+FEFF, which JavaScript's trimStart() strips, and JavaScript misses U+0085); then
 *     it must start with `::`; the command info runs from index 2 to the next `::` found from index 2;
 *     the name ends at the first space; properties follow, split at `,`, each `key=value`; the data is
 *     everything after that `::`;
 *   - old: from the first `##[` anywhere in the line to the next `]`; properties split at `;`;
 *   - only registered names parse (case-insensitive): the runner's command extensions, `stop-commands`,
 *     and while commands are stopped the stop token; a V2 line with an unknown name falls through to
 *     the old format;
 * - `::stop-commands::<token>` stops processing until a line whose command is the token (in either
 *   format, case-insensitive); a token that is empty, `pause-logging` or a registered name is refused
 *   (the runner throws unless ACTIONS_ALLOW_UNSECURE_STOP_COMMAND_TOKENS): processing goes on.
 *
 * .NET's `StartsWith("::")` and `IndexOf("::")` compare culture-sensitively (ICU), which skips
 * completely ignorable characters (soft hyphen, zero-width and other format characters, most C0/C1
 * controls): `:\u00AD:` counts as `::`. This reader does the same where it matters: the separator after
 * the command info, and the `::` at the start (the command info still starts at index 2, as in the
 * runner, so an ignorable character there shifts the name by one and it no longer matches any command).
 * Where the runner might differ (a combining mark right after a colon, other ICU versions), this reader
 * finds a command rather than miss one.
 */
export interface RunnerCommand {
  command: string
  properties: Record<string, string>
  data: string
}

/** The commands the runner registers (ActionCommandManager and its extensions; `internal-set-repo-path` only for plugins, counted anyway). */
export const REGISTERED_COMMANDS: readonly string[] = [
  'stop-commands',
  'add-mask',
  'add-matcher',
  'remove-matcher',
  'add-path',
  'set-env',
  'set-output',
  'save-state',
  'debug',
  'echo',
  'error',
  'warning',
  'notice',
  'group',
  'endgroup',
  'internal-set-repo-path'
]

/** .NET `char.IsWhiteSpace`: what `String.TrimStart()` strips. */
export const DOTNET_WHITESPACE: readonly string[] = [
  '\t',
  '\n',
  '\v',
  '\f',
  '\r',
  ' ',
  '\u0085',
  '\u00a0',
  '\u1680',
  ...Array.from({ length: 11 }, (_, i) => String.fromCharCode(0x2000 + i)),
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000'
]

const WHITESPACE = new Set(DOTNET_WHITESPACE)

/** `String.TrimStart()` of .NET. */
export function dotnetTrimStart(text: string): string {
  let at = 0
  while (at < text.length && WHITESPACE.has(text[at])) at++
  return text.slice(at)
}

/** `String.Trim()` of .NET. */
function dotnetTrim(text: string): string {
  let end = text.length
  while (end > 0 && WHITESPACE.has(text[end - 1])) end--
  return dotnetTrimStart(text.slice(0, end))
}

const collator = new Intl.Collator('und', { sensitivity: 'variant' })
const ignorableCache = new Map<string, boolean>()

/**
 * Characters a culture-sensitive .NET comparison skips: those ICU's root collation gives no weight,
 * and (to be safe across ICU versions) every format character and every control that is not whitespace.
 */
function ignorable(ch: string): boolean {
  let known = ignorableCache.get(ch)
  if (known === undefined) {
    known = !WHITESPACE.has(ch) && (/^[\p{Cf}\p{Cc}]$/u.test(ch) || collator.compare(`a${ch}b`, 'ab') === 0)
    ignorableCache.set(ch, known)
  }
  return known
}

/** Index of the first `::` at or after `from`, ignorable characters allowed between the colons. */
function indexOfColons(text: string, from: number): number {
  for (let at = text.indexOf(':', from); at >= 0; at = text.indexOf(':', at + 1)) {
    let next = at + 1
    while (next < text.length && ignorable(text[next])) next++
    if (text[next] === ':') return at
  }
  return -1
}

/** Starts with `::`, ignorable characters allowed before and between the colons. */
function startsWithColons(text: string): boolean {
  let at = 0
  while (at < text.length && ignorable(text[at])) at++
  return text[at] === ':' && indexOfColons(text, at) === at
}

/** .NET `string.Replace` (ordinal, case-sensitive) in the runner's order. */
function unescape(text: string, mappings: [string, string][]): string {
  return mappings.reduce((value, [token, replacement]) => value.split(replacement).join(token), text)
}

const V2_DATA: [string, string][] = [
  ['\r', '%0D'],
  ['\n', '%0A'],
  ['%', '%25']
]
const V2_PROPERTY: [string, string][] = [
  ['\r', '%0D'],
  ['\n', '%0A'],
  [':', '%3A'],
  [',', '%2C'],
  ['%', '%25']
]
const OLD: [string, string][] = [
  [';', '%3B'],
  ['\r', '%0D'],
  ['\n', '%0A'],
  [']', '%5D'],
  ['%', '%25']
]

function properties(text: string, separator: string, mappings: [string, string][]): Record<string, string> {
  const found: Record<string, string> = {}
  for (const pair of text.split(separator).filter(Boolean)) {
    // Split(new[] { '=' }, count: 2, RemoveEmptyEntries)
    const at = pair.indexOf('=')
    const key = at < 0 ? pair : pair.slice(0, at)
    const value = at < 0 ? '' : pair.slice(at + 1)
    if (key && value) found[key] = unescape(value, mappings)
  }
  return found
}

/** ActionCommand.TryParseV2. */
function parseV2(line: string, registered: (name: string) => boolean): RunnerCommand | undefined {
  const message = dotnetTrimStart(line)
  if (!startsWithColons(message)) return undefined
  const end = indexOfColons(message, 2)
  if (end < 0) return undefined
  const info = message.slice(2, end)
  const space = info.indexOf(' ')
  const command = space < 0 ? info : info.slice(0, space)
  if (!registered(command)) return undefined
  return {
    command,
    properties: space > 0 ? properties(dotnetTrim(info.slice(space + 1)), ',', V2_PROPERTY) : {},
    data: unescape(message.slice(end + 2), V2_DATA)
  }
}

/** ActionCommand.TryParse, the old `##[command key=value;...]data` format. */
function parseOld(line: string, registered: (name: string) => boolean): RunnerCommand | undefined {
  const start = line.indexOf('##[')
  if (start < 0) return undefined
  const close = line.indexOf(']', start)
  if (close < 0) return undefined
  const info = line.slice(start + 3, close)
  const space = info.indexOf(' ')
  const command = space < 0 ? info : info.slice(0, space)
  if (!registered(command)) return undefined
  return { command, properties: space > 0 ? properties(info.slice(space + 1), ';', OLD) : {}, data: unescape(line.slice(close + 1), OLD) }
}

/** ActionCommandManager.ValidateStopToken: these tokens make the runner refuse the stop. */
function validStopToken(token: string, registered: Set<string>): boolean {
  return token !== '' && !registered.has(token.toLowerCase()) && token.toLowerCase() !== 'pause-logging'
}

/**
 * The commands the runner would carry out, in order: `stop-commands` and a resume (as
 * `resume-commands`, data the token) included; `stoppedAtEnd` when commands are still stopped.
 */
export function runnerCommands(stdout: string): { commands: RunnerCommand[]; stoppedAtEnd: boolean } {
  const names = new Set(REGISTERED_COMMANDS)
  const commands: RunnerCommand[] = []
  let stopToken: string | undefined
  const registered = (name: string): boolean => names.has(name.toLowerCase()) || (stopToken !== undefined && name.toLowerCase() === stopToken.toLowerCase())
  for (const line of stdout.split(/\r\n|\r|\n/)) {
    if (!line) continue
    const command = parseV2(line, registered) ?? parseOld(line, registered)
    if (!command) continue
    if (stopToken !== undefined) {
      if (command.command.toLowerCase() === stopToken.toLowerCase()) {
        commands.push({ command: 'resume-commands', properties: {}, data: stopToken })
        stopToken = undefined
      }
      continue
    }
    commands.push(command)
    if (command.command.toLowerCase() === 'stop-commands' && validStopToken(command.data, names)) stopToken = command.data
  }
  return { commands, stoppedAtEnd: stopToken !== undefined }
}
