/**
 * When the runner takes a line of stdout for a workflow command (actions/runner, ActionCommand.cs):
 * - a line ends at CR, LF or CRLF (StreamReader.ReadLine), nothing else;
 * - the new format: the line, after .NET's `String.TrimStart()`, starts with `::`. TrimStart strips every
 *   `char.IsWhiteSpace` character: U+0009–U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028,
 *   U+2029, U+202F, U+205F, U+3000 (JavaScript's trimStart() misses U+0085);
 * - the old format: `##[` anywhere in the line.
 * Both `StartsWith("::")` and `IndexOf("##[")` compare culture-sensitively, so characters ICU gives no
 * weight (format and control characters, and others) may sit between the marks: `:\u00AD:` is `::`.
 * The check below skips more than the runner does (every separator, mark, format and control character,
 * and whatever the collator ignores): it may call a harmless line a command, never the other way round.
 */

/** A line of server text as the runner will read it: split at CR, LF and CRLF. */
export function runnerLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/)
}

/** Whether the runner could take this line (one line, no CR or LF) for a command. */
export function mayBeCommand(line: string): boolean {
  return startsWithColons(line) || holdsOldPrefix(line)
}

function startsWithColons(line: string): boolean {
  const first = skip(line, 0)
  return line[first] === ':' && line[skip(line, first + 1)] === ':'
}

function holdsOldPrefix(line: string): boolean {
  for (let at = line.indexOf('#'); at >= 0; at = line.indexOf('#', at + 1)) {
    const second = skip(line, at + 1)
    if (line[second] === '#' && line[skip(line, second + 1)] === '[') return true
  }
  return false
}

/** The index of the first character at or after `at` that a culture-sensitive comparison would not skip. */
function skip(line: string, at: number): number {
  while (at < line.length) {
    const code = line.codePointAt(at)!
    if (!skippable(code)) break
    at += code > 0xffff ? 2 : 1
  }
  return at
}

/** Separators (all .NET whitespace among them), marks, control, format, surrogate, private and unassigned code points. */
const SKIPPED_CATEGORIES = /^[\p{Z}\p{M}\p{C}]$/u
const collator = new Intl.Collator('und')
/** Bounded: a hostile text could hold every code point once. */
const ignorable = new Map<number, boolean>()
const MAX_REMEMBERED = 4096

function skippable(code: number): boolean {
  // Printable ASCII always weighs; the rest of ASCII below 0x20, and DEL, are controls.
  if (code < 0x80) return code <= 0x20 || code === 0x7f
  let known = ignorable.get(code)
  if (known === undefined) {
    const ch = String.fromCodePoint(code)
    known = SKIPPED_CATEGORIES.test(ch) || collator.compare(`a${ch}b`, 'ab') === 0
    if (ignorable.size >= MAX_REMEMBERED) ignorable.clear()
    ignorable.set(code, known)
  }
  return known
}

/**
 * Text that goes out inside a runner command (an annotation's message, a group's name, a debug line), where
 * stop-commands cannot help. The toolkit escapes its line breaks, and the runner turns them back: it writes
 * the first line after a tag of its own (`##[error]`, `##[group]`), and every further line into the step
 * log as a line of its own, where `##[group]`, `##[error]` and the like are markers. Each such line that
 * could be a command or a marker gets a mark in front and its `#` made full-width. (An annotation's title
 * never becomes a log line.)
 */
export function neutralise(text: string): string {
  const [first, ...rest] = runnerLines(text)
  if (rest.length === 0) return text
  return [first, ...rest.map(line => (mayBeCommand(line) ? `› ${line.replace(/#/g, '＃')}` : line))].join('\n')
}
