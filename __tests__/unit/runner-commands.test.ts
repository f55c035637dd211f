/** The test helper that reads stdout as the runner does (helpers/runner-commands.ts), checked against actions/runner's rules. */
import { describe, expect, it } from '@jest/globals'
import { DOTNET_WHITESPACE, dotnetTrimStart, runnerCommands } from '../helpers/runner-commands.js'

const names = (stdout: string): string[] => runnerCommands(stdout).commands.map(c => c.command)
const hex = (ch: string): string => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`

describe('what starts a command: .NET TrimStart, then ::', () => {
  it.each(DOTNET_WHITESPACE.filter(ch => ch !== '\n' && ch !== '\r').map(ch => [hex(ch), ch]))('%s before :: makes a command', (_name, ch) => {
    const { commands } = runnerCommands(`${ch}${ch}::error title=X::PWNED`)
    expect(commands).toEqual([{ command: 'error', properties: { title: 'X' }, data: 'PWNED' }])
  })

  it('has the 25 characters of char.IsWhiteSpace, U+0085 among them, and JavaScript misses that one', () => {
    expect(DOTNET_WHITESPACE).toHaveLength(25)
    expect(dotnetTrimStart('\u0085\u3000\t::x')).toBe('::x')
    expect('\u0085::x'.trimStart()).toBe('\u0085::x')
  })

  it('U+FEFF and zero-width characters are not whitespace: before :: they shift the name, so no command', () => {
    for (const ch of ['\ufeff', '\u200b', '\u00ad', '\u180e', 'x']) expect(names(`${ch}::error title=X::PWNED`)).toEqual([])
  })

  it('a line ends at CR, LF or CRLF only: U+2028 and U+0085 are inside a line', () => {
    expect(names('text\r::warning::a\r\n::notice::b\nx\u2028::error::c\u0085::debug::d')).toEqual(['warning', 'notice'])
  })

  it('the separator is the next :: from index 2, with ignorable characters allowed between its colons', () => {
    expect(runnerCommands('::error title=X:\u00ad:data').commands).toEqual([{ command: 'error', properties: { title: 'X' }, data: ':data' }])
    expect(runnerCommands('::error::a::b').commands[0].data).toBe('a::b')
    expect(names('::error title=X')).toEqual([])
  })

  it('only registered names, case-insensitively; an unknown V2 name falls through to the old format', () => {
    expect(names('::Warning::x')).toEqual(['Warning'])
    expect(names('::pwned::x')).toEqual([])
    expect(names('::error\u00a0title=X::y')).toEqual([])
    expect(runnerCommands('::pwned::text ##[set-output name=status;]PWNED').commands).toEqual([{ command: 'set-output', properties: { name: 'status' }, data: 'PWNED' }])
  })

  it('unescapes as the runner does: ordinal, case-sensitive, in its order', () => {
    const [command] = runnerCommands('::error title=a%3Ab%2Cc%0Ad%25%0a,file=f.txt::x%0Ay%25z%3A%0d').commands
    expect(command.properties).toEqual({ title: 'a:b,c\nd%%0a', file: 'f.txt' })
    expect(command.data).toBe('x\ny%z%3A%0d')
    expect(runnerCommands('##[warning file=a%3Bb%5D;line=3]x%5Dy').commands[0]).toEqual({ command: 'warning', properties: { file: 'a;b]', line: '3' }, data: 'x]y' })
  })
})

describe('stop-commands', () => {
  it('stops everything until the token comes back as a command, in either format, any case, after any whitespace', () => {
    const stdout = ['::stop-commands::Tok1234', '::error::hidden', '##[warning]hidden', '::other::x', '\u0085::TOK1234::', '::notice::seen'].join('\n')
    expect(runnerCommands(stdout).commands.map(c => `${c.command}:${c.data}`)).toEqual(['stop-commands:Tok1234', 'resume-commands:Tok1234', 'notice:seen'])
    expect(runnerCommands('::stop-commands::abc123x\n##[abc123x]').commands.at(-1)?.command).toBe('resume-commands')
  })

  it('says when commands are still stopped at the end', () => {
    expect(runnerCommands('::stop-commands::tok1234\n::error::x').stoppedAtEnd).toBe(true)
    expect(runnerCommands('::error::x').stoppedAtEnd).toBe(false)
  })

  it('refuses the tokens the runner refuses (empty, pause-logging, a registered name): commands go on', () => {
    for (const token of ['', 'pause-logging', 'error', 'Add-Mask']) {
      const result = runnerCommands(`::stop-commands::${token}\n::warning::still a command`)
      expect([token, result.commands.map(c => c.command), result.stoppedAtEnd]).toEqual([token, ['stop-commands', 'warning'], false])
    }
  })
})
