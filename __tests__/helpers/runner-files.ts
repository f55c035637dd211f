/**
 * Reads a GITHUB_OUTPUT / GITHUB_STATE file the way the runner does (actions/runner,
 * src/Runner.Worker/FileCommandManager.cs, EnvFileKeyValuePairs): `name=value` or
 * `name<<DELIMITER`, value lines, `DELIMITER`. On Windows (OS_WINDOWS) a CRLF ends a line as a
 * whole; elsewhere only LF does, so a CR stays part of the line. A malformed file fails the step
 * on a real runner: here it throws with the runner's message.
 */
export type RunnerOs = 'linux' | 'win32'

export function parseFileCommands(file: string, os: RunnerOs): Record<string, string> {
  // File.ReadAllText drops a byte order mark.
  const text = file.replace(/^\uFEFF/, '')
  const values: Record<string, string> = {}
  const cursor = { index: 0 }
  for (let line = readLine(text, cursor, os); line !== null; line = readLine(text, cursor, os)) {
    if (line.text === '') continue
    const equals = line.text.indexOf('=')
    const heredoc = line.text.indexOf('<<')
    if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
      values[line.text.slice(0, equals)] = line.text.slice(equals + 1)
    } else if (heredoc >= 0) {
      const name = line.text.slice(0, heredoc)
      const delimiter = line.text.slice(heredoc + 2)
      if (!name || !delimiter) throw new Error(`Invalid format '${line.text}'. Name must not be empty and delimiter must not be empty`)
      const start = cursor.index
      let end = cursor.index
      for (let value = readLine(text, cursor, os); value?.text !== delimiter; value = readLine(text, cursor, os)) {
        if (value === null) throw new Error(`Invalid value. Matching delimiter not found '${delimiter}'`)
        if (value.newline === null) throw new Error('Invalid value. EOF marker missing new line.')
        end = cursor.index - value.newline.length
      }
      values[name] = end > start ? text.slice(start, end) : ''
    } else {
      throw new Error(`Invalid format '${line.text}'`)
    }
  }
  return values
}

function readLine(text: string, cursor: { index: number }, os: RunnerOs): { text: string; newline: string | null } | null {
  const from = cursor.index
  if (from >= text.length) return null
  const lf = text.indexOf('\n', from)
  if (lf < 0) {
    cursor.index = text.length
    return { text: text.slice(from), newline: null }
  }
  if (os === 'win32' && lf > from && text[lf - 1] === '\r') {
    cursor.index = lf + 1
    return { text: text.slice(from, lf - 1), newline: '\r\n' }
  }
  cursor.index = lf + 1
  return { text: text.slice(from, lf), newline: '\n' }
}
