import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { printUntrusted, withCommandsStopped } from '../../src/output/untrusted.js'
import { printScriptLog } from '../../src/scriptlog/print.js'
import { FakeToolkit } from '../helpers/fake-toolkit.js'

/** The token of the stop-commands block that opens at `line`, and the line that ends it. */
function block(log: string[], line = 0): { token: string; end: string } {
  const token = /^::stop-commands::([0-9a-f]{32})$/.exec(log[line])?.[1] ?? ''
  return { token, end: `::${token}::` }
}

describe('printUntrusted: server text that cannot issue runner commands', () => {
  it('prints plain lines as they are', () => {
    const log = new FakeToolkit()
    printUntrusted(log, 'Task Sales', 'indented ::not a command at the start', 'a ## b')
    expect(log.log).toEqual(['Task Sales', 'indented ::not a command at the start', 'a ## b'])
  })

  it('stops commands around lines that could be one: "::" at the start (after spaces), "##[", a line break', () => {
    for (const hostile of ['  ::add-mask::x', 'x ##[set-output name=a]b', 'x\n::error::y', 'x\r::warning::y']) {
      const log = new FakeToolkit()
      printUntrusted(log, 'first', hostile)
      const { token, end } = block(log.log)
      expect(token).toHaveLength(32)
      expect(log.log).toEqual([`::stop-commands::${token}`, 'first', hostile, end])
    }
  })

  it('takes the block’s token out of a line that holds it (it would end the block), and uses a fresh one each time', async () => {
    const log = new FakeToolkit()
    await withCommandsStopped(log, async info => info(`::x ${block(log.log).token.toUpperCase()} y`))
    expect(log.log[1]).toBe('::x  y')
    printUntrusted(log, '::again')
    expect(block(log.log, 3).token).not.toBe(block(log.log).token)
  })

  it('withCommandsStopped: ends the block even when printing fails', async () => {
    const log = new FakeToolkit()
    await expect(
      withCommandsStopped(log, async info => {
        info('::set-output name=x::y')
        throw new Error('read failed')
      })
    ).rejects.toThrow('read failed')
    const { token, end } = block(log.log)
    expect(log.log).toEqual([`::stop-commands::${token}`, '::set-output name=x::y', end])
  })
})

describe('printScriptLog: bounded, in a group, commands stopped', () => {
  const file = (text: string): string => {
    const path = join(mkdtempSync(join(tmpdir(), 'qsr-print-')), 'log.txt')
    writeFileSync(path, text)
    return path
  }

  it('prints a small log whole', async () => {
    const toolkit = new FakeToolkit()
    await printScriptLog(toolkit, file('one\r\n::add-mask::two\r\nthree'), 30)
    expect(toolkit.groups).toEqual(['Script log (30 B)'])
    expect(toolkit.log.slice(1, -1)).toEqual(['one', '::add-mask::two', 'three'])
    expect(toolkit.log[0]).toMatch(/^::stop-commands::/)
  })

  it('prints a large log as its head and its tail, saying where the whole is', async () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => `line ${String(i).padStart(6, '0')} ${'x'.repeat(40)}`)
    const text = lines.join('\n')
    const toolkit = new FakeToolkit()
    const path = file(text)
    await printScriptLog(toolkit, path, Buffer.byteLength(text))
    const printed = toolkit.log.slice(1, -1)
    expect(Buffer.byteLength(text)).toBe(2_119_999)
    expect(toolkit.groups).toEqual(['Script log (2.0 MiB)'])
    expect(printed.slice(0, 100)).toEqual(lines.slice(0, 100))
    expect(printed[100]).toMatch(new RegExp(`^… 1\\.0 MiB not shown here: the saved log is at ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(output script-log-path`))
    expect(printed.at(-1)).toBe(lines.at(-1))
    // The tail starts on a whole line: the cut one is dropped.
    expect(lines).toContain(printed[101])
    expect(printed.length).toBeLessThan(lines.length)
  })
})
