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
})
