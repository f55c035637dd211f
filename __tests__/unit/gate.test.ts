/**
 * The gate out (output/commands.ts, output/untrusted.ts) against the runner's own reading of stdout
 * (helpers/runner-commands.ts): whatever whitespace, ignorable or line break server text holds, what the
 * step prints issues no command but its own stop-commands blocks.
 */
import { describe, expect, it } from '@jest/globals'
import { mayBeCommand, neutralise } from '../../src/output/commands.js'
import { gate, printUntrusted, withCommandsStopped } from '../../src/output/untrusted.js'
import { DOTNET_WHITESPACE, runnerCommands } from '../helpers/runner-commands.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

const hex = (ch: string): string => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
/** Characters a culture-sensitive .NET comparison skips: soft hyphen, zero-width space, tatweel, a variation selector, a tag character. */
const IGNORABLE = ['\u00ad', '\u200b', '\u0640', '\ufe0f', '\u{e0041}']

/** Hostile lines built around one character: before `::`, between its colons, inside `##[`. */
const hostile = (ch: string): string[] => [
  `${ch}::error title=X::PWNED ${hex(ch)}`,
  `${ch}${ch}::add-mask::PWNED`,
  `:${ch}:warning title=X::PWNED`,
  `text #${ch}#[set-output name=status;]PWNED`,
  `text ##${ch}[warning]PWNED`
]

/** The commands the runner would carry out, the step's own stop-commands and resumes left out. */
function foreign(stdout: string): string[] {
  const { commands, stoppedAtEnd } = runnerCommands(stdout)
  expect(stoppedAtEnd).toBe(false)
  return commands.filter(c => c.command !== 'stop-commands' && c.command !== 'resume-commands').map(c => `${c.command}: ${c.data}`)
}

/** What @actions/core writes for core.error(message, { title }): one line, the data escaped as the toolkit does. */
function annotationLine(message: string, title: string): string {
  const data = message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
  const property = title.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/:/g, '%3A').replace(/,/g, '%2C')
  return `::error title=${property}::${data}`
}

describe('mayBeCommand: the runner’s rule, and more', () => {
  it.each([...DOTNET_WHITESPACE, ...IGNORABLE].map(ch => [hex(ch), ch]))('%s: every hostile line is one', (_name, ch) => {
    for (const line of hostile(ch)) if (!/[\r\n]/.test(line)) expect(mayBeCommand(line)).toBe(true)
  })

  it('ordinary lines are not', () => {
    for (const line of ['Task Sales', 'a ## b', 'C# [x]', 'indented ::not at the start', 'x::y', '#', ':', '', '\u0085Sales', 'https://qs:4242/qrs'])
      expect(mayBeCommand(line)).toBe(false)
  })
})

describe('printUntrusted: no line of server text is a command, whatever it starts with', () => {
  it.each([...DOTNET_WHITESPACE, ...IGNORABLE].map(ch => [hex(ch), ch]))('%s', (_name, ch) => {
    const log = new FakeToolkit()
    printUntrusted(log, ...hostile(ch).map(line => `Task '${line}': selected by task-tag`), ...hostile(ch))
    expect(foreign(log.log.join('\n'))).toEqual([])
    // And the text is there, whole.
    expect(log.log.join('\n')).toContain(hostile(ch)[0])
  })

  it('takes the block’s token out until none is left: removing one cannot join the pieces into another', async () => {
    const log = new FakeToolkit()
    await withCommandsStopped(log, async info => {
      const token = /^::stop-commands::([0-9a-f]{32})$/.exec(log.log[0])![1]
      info(`::${token.slice(0, 16)}${token}${token.slice(16)}::`)
    })
    expect(log.log[1]).toBe('::::')
    expect(foreign(log.log.join('\n'))).toEqual([])
  })
})

describe('neutralise: text inside a runner command (annotations, group names, debug lines)', () => {
  it.each([...DOTNET_WHITESPACE, ...IGNORABLE].map(ch => [hex(ch), ch]))(
    '%s: the annotation is ours alone, and no line the runner writes into the log from it can be a command or a marker',
    (_name, ch) => {
      const message = neutralise(['Reload failed.', ...hostile(ch)].join('\n'))
      // The title is a property: the toolkit escapes its colons and commas, and it never becomes a log line.
      const title = `Qlik reload failed: ${hostile(ch)[0]}`
      const { commands } = runnerCommands(annotationLine(message, title))
      expect(commands.map(c => c.command)).toEqual(['error'])
      expect(commands[0].properties.title).toBe(title)
      // The runner unescapes %0A into a line break and writes the message into the log: `##[error]` and the
      // first line, then every further line as a line of its own.
      const [first, ...rest] = commands[0].data.split(/\r\n|\r|\n/)
      expect(first).toBe('Reload failed.')
      for (const line of rest) expect([mayBeCommand(line), foreign(line)]).toEqual([false, []])
    }
  )

  it('leaves ordinary text, and a single line (it follows the runner’s own tag), as they are', () => {
    expect(neutralise("Reload task 'C# [x]' ended with FinishedFail (8).\n  Error: a ## b")).toBe("Reload task 'C# [x]' ended with FinishedFail (8).\n  Error: a ## b")
    expect(neutralise('\u0085::error::x')).toBe('\u0085::error::x')
  })
})

describe('gate: every way out of a step passes the gate', () => {
  it('log lines: plain when harmless, a block around them when not; a block of printUntrusted is not wrapped again', () => {
    const raw = new FakeToolkit()
    const toolkit = gate(raw)
    toolkit.info('Task Sales: selected by task-id')
    toolkit.info('\u0085::error title=X::PWNED')
    printUntrusted(toolkit, 'first', '\u2028::warning::PWNED')
    expect(raw.log[0]).toBe('Task Sales: selected by task-id')
    expect(raw.log.slice(1)).toEqual([
      expect.stringMatching(/^::stop-commands::/),
      '\u0085::error title=X::PWNED',
      expect.stringMatching(/^::[0-9a-f]{32}::$/),
      expect.stringMatching(/^::stop-commands::/),
      'first',
      '\u2028::warning::PWNED',
      expect.stringMatching(/^::[0-9a-f]{32}::$/)
    ])
    expect(foreign(raw.log.join('\n'))).toEqual([])
  })

  it('the lines after the first of annotations, group names and debug lines are neutralised; titles are left to the toolkit', async () => {
    const raw = new FakeToolkit()
    const toolkit = gate(raw)
    toolkit.error('Failed:\n\u0085::add-mask::x', { title: '\u00a0::error::y' })
    toolkit.warning('Chain:\r\n##[endgroup]z')
    toolkit.debug('debug\n\u3000::set-output name=a::b')
    await toolkit.group('Result: a\n\u2009::endgroup::', async () => undefined)
    expect(raw.annotations).toEqual([
      { level: 'error', message: 'Failed:\n› \u0085::add-mask::x', title: '\u00a0::error::y' },
      { level: 'warning', message: 'Chain:\n› ＃＃[endgroup]z', title: undefined }
    ])
    expect(raw.log).toEqual(['debug: debug\n› \u3000::set-output name=a::b'])
    expect(raw.groups).toEqual(['Result: a\n› \u2009::endgroup::'])
  })
})
