import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { scanLog } from '../../src/scriptlog/excerpt.js'

function logFile(lines: string[], eol = '\r\n'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'qsr-scan-')), 'log.txt')
  writeFileSync(file, lines.join(eol) + eol)
  return file
}

describe('scanLog', () => {
  it('finds Qlik error lines and the tail of a CRLF log, and counts its lines', async () => {
    const lines = [
      'Execution started.',
      'SET ErrorMode=0;',
      'Data has 0 errors',
      ...Array.from({ length: 50_000 }, (_, i) => `LOAD part ${i}`),
      "Error: Field 'Revenue' not found",
      'Execution Failed',
      'Execution finished.'
    ]
    const excerpt = await scanLog(logFile(lines))
    expect(excerpt.errorLines).toEqual(["Error: Field 'Revenue' not found", 'Execution Failed'])
    expect(excerpt.tail).toHaveLength(25)
    expect(excerpt.tail.at(-1)).toBe('Execution finished.')
    expect(excerpt.tail.at(-3)).toBe("Error: Field 'Revenue' not found")
    expect(excerpt.lines).toBe(lines.length)
  })

  it('keeps the last error lines, bounded, and works with LF and without a final line break', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'qsr-scan-')), 'log.txt')
    writeFileSync(file, Array.from({ length: 40 }, (_, i) => `Error: number ${i}`).join('\n') + '\nlast line')
    const excerpt = await scanLog(file, { errorLines: 3, tail: 2 })
    expect(excerpt.errorLines).toEqual(['Error: number 37', 'Error: number 38', 'Error: number 39'])
    expect(excerpt.tail).toEqual(['Error: number 39', 'last line'])
    expect(excerpt.lines).toBe(41)
  })

  it('reads lines across its chunks: an error word split by a chunk boundary, UTF-8 split by one, each line decoded whole', async () => {
    // 64 KB chunks: pad so that the error line and a multi-byte character straddle the first boundary.
    const pad = 'x'.repeat(64 * 1024 - 10)
    const file = join(mkdtempSync(join(tmpdir(), 'qsr-scan-')), 'log.txt')
    writeFileSync(file, `${pad}\r\nError: Feld 'Umsätze' fehlt\r\nÄrger ohne Fehlerwort\r\nok\r\n`)
    const excerpt = await scanLog(file)
    expect(excerpt.errorLines).toEqual(["Error: Feld 'Umsätze' fehlt"])
    expect(excerpt.tail.slice(-3)).toEqual(["Error: Feld 'Umsätze' fehlt", 'Ärger ohne Fehlerwort', 'ok'])
    expect(excerpt.lines).toBe(4)
  })

  it('judges an overlong line by its first part, skips the rest, and goes on with the next lines', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'qsr-scan-')), 'log.txt')
    const overlong = `Error: huge ${'y'.repeat(500_000)}`
    writeFileSync(file, `first\n${overlong}\nExecution Failed\n${'z'.repeat(300_000)}`)
    const excerpt = await scanLog(file)
    expect(excerpt.errorLines).toEqual([`Error: huge ${'y'.repeat(400 - 'Error: huge '.length)}…`, 'Execution Failed'])
    // The last line never ends: it is counted once, cut in the tail.
    expect(excerpt.lines).toBe(4)
    expect(excerpt.tail.at(-1)).toBe(`${'z'.repeat(400)}…`)
  })

  it('an empty log: nothing', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'qsr-scan-')), 'log.txt')
    writeFileSync(file, '')
    expect(await scanLog(file)).toEqual({ errorLines: [], tail: [], lines: 0 })
  })
})
