import { describe, expect, it } from '@jest/globals'
import { resolve } from 'node:path'
import { judge } from '../../scripts/coverage-check.js'

const figure = (covered: number, total: number) => ({ covered, total, pct: Math.round((covered / total) * 10_000) / 100 })
const floors = { lines: 90, branches: 85, fileLines: 75 }

describe('the coverage floor (scripts/coverage-check.ts)', () => {
  it('passes above every floor and names the file with the fewest lines covered', () => {
    const verdict = judge(
      {
        total: { lines: figure(95, 100), branches: figure(90, 100) },
        [resolve('src/a.ts')]: { lines: figure(50, 50), branches: figure(10, 10) },
        [resolve('src/b.ts')]: { lines: figure(40, 50), branches: figure(8, 10) }
      },
      floors
    )
    expect(verdict.problems).toEqual([])
    expect(verdict.lowest).toEqual({ file: 'src/b.ts', pct: 80 })
  })

  it('fails a whole under its floors, and any file under the per-file floor', () => {
    const verdict = judge(
      {
        total: { lines: figure(89, 100), branches: figure(84, 100) },
        [resolve('src/thin.ts')]: { lines: figure(7, 10), branches: figure(1, 2) }
      },
      floors
    )
    expect(verdict.problems).toEqual(['lines 89 % < 90 %', 'branches 84 % < 85 %', 'src/thin.ts: lines 70 % < 75 %'])
  })
})
