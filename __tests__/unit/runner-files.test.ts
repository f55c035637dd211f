import { describe, expect, it } from '@jest/globals'
import { parseFileCommands } from '../helpers/runner-files.js'

// The cases of actions/runner's SetOutputFileCommandL0, plus what @actions/core writes on Windows (os.EOL is CRLF).
const lines = (eol: string, ...all: string[]) => all.join(eol)

describe('GITHUB_OUTPUT / GITHUB_STATE read as the runner reads them', () => {
  it.each(['linux', 'win32'] as const)('%s: name=value, empty lines skipped, = inside values, heredocs with odd delimiters', os => {
    const text = lines(
      '\n',
      'A=my value',
      '',
      'B=',
      'C==abc',
      'D=def=ghi',
      'E<<=EOF',
      'hello',
      'one',
      '=EOF',
      'F<<EOF',
      'hello',
      '',
      'three',
      '',
      'EOF',
      'G<<EOF',
      ' EOF',
      'EOF',
      'H<<EOF',
      'EOF',
      ''
    )
    expect(parseFileCommands(text, os)).toEqual({ A: 'my value', B: '', C: '=abc', D: 'def=ghi', E: 'hello\none', F: 'hello\n\nthree\n', G: ' EOF', H: '' })
  })

  it('win32: what @actions/core writes there (CRLF after every line) gives the values without CR', () => {
    const text = lines('\r\n', 'status<<ghadelimiter_1', 'FinishedSuccess', 'ghadelimiter_1', 'result<<ghadelimiter_2', '{"a":1}', 'ghadelimiter_2', '')
    expect(parseFileCommands(text, 'win32')).toEqual({ status: 'FinishedSuccess', result: '{"a":1}' })
  })

  it('linux: the same file keeps a CR in every value (only LF ends a line there)', () => {
    const text = lines('\r\n', 'status<<ghadelimiter_1', 'FinishedSuccess', 'ghadelimiter_1', '')
    expect(parseFileCommands(text, 'linux')).toEqual({ status: 'FinishedSuccess\r' })
  })

  it('win32: a multi-line value keeps its own line breaks, LF or CRLF, and a lone LF still ends a line', () => {
    expect(parseFileCommands('V<<EOF\r\none\ntwo\r\nthree\r\nEOF\r\nW=x\n', 'win32')).toEqual({ V: 'one\ntwo\r\nthree', W: 'x' })
  })

  it('drops a byte order mark, as File.ReadAllText does', () => {
    expect(parseFileCommands('\uFEFFA=1\r\n', 'win32')).toEqual({ A: '1' })
  })

  it.each(['linux', 'win32'] as const)('%s: a malformed file fails the step with the runner message', os => {
    expect(() => parseFileCommands('MY_OUTPUT<<EOF line one line two EOF', os)).toThrow('Matching delimiter not found')
    expect(() => parseFileCommands('MY_OUTPUT<<EOF line one\n  line two EOF', os)).toThrow('EOF marker missing new line')
    expect(() => parseFileCommands('just text\n', os)).toThrow("Invalid format 'just text'")
    expect(() => parseFileCommands('<<EOF\nx\nEOF\n', os)).toThrow('Name must not be empty')
  })

  it.each(['linux', 'win32'] as const)('%s: a heredoc whose closing delimiter never comes fails instead of reading on', os => {
    const newline = os === 'win32' ? '\r\n' : '\n'
    expect(() => parseFileCommands(`MY_OUTPUT<<EOF${newline}line one${newline}line two${newline}`, os)).toThrow("Matching delimiter not found 'EOF'")
    expect(() => parseFileCommands(`A=1${newline}MY_OUTPUT<<EOF${newline}`, os)).toThrow("Matching delimiter not found 'EOF'")
  })
})
