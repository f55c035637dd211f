/**
 * After `jest --coverage` (npm run coverage): prints the coverage of src/ (lines, branches, the file with
 * the fewest lines covered) and fails when a file is under FILE_LINES_FLOOR of its lines, or the whole
 * under jest.config.js's global thresholds (which jest checks as well).
 */
import { readFileSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

interface Figure {
  total: number
  covered: number
  pct: number
}
type Summary = Record<string, { lines: Figure; branches: Figure }>

export interface Verdict {
  lines: Figure
  branches: Figure
  lowest: { file: string; pct: number }
  problems: string[]
}

export function judge(summary: Summary, floors: { lines: number; branches: number; fileLines: number }): Verdict {
  const { total, ...files } = summary
  const problems: string[] = []
  if (total.lines.pct < floors.lines) problems.push(`lines ${total.lines.pct} % < ${floors.lines} %`)
  if (total.branches.pct < floors.branches) problems.push(`branches ${total.branches.pct} % < ${floors.branches} %`)
  let lowest = { file: '', pct: 100 }
  for (const [path, figures] of Object.entries(files)) {
    const file = relative(process.cwd(), path)
    if (figures.lines.pct < lowest.pct || !lowest.file) lowest = { file, pct: figures.lines.pct }
    if (figures.lines.pct < floors.fileLines) problems.push(`${file}: lines ${figures.lines.pct} % < ${floors.fileLines} %`)
  }
  return { lines: total.lines, branches: total.branches, lowest, problems }
}

/** The floors, from jest.config.js: its global thresholds and FILE_LINES_FLOOR. */
interface JestConfig {
  default: { coverageThreshold: { global: { lines: number; branches: number } } }
  FILE_LINES_FLOOR: number
}

async function main(): Promise<number> {
  const summary = JSON.parse(readFileSync('coverage/coverage-summary.json', 'utf8')) as Summary
  const { default: config, FILE_LINES_FLOOR } = (await import(pathToFileURL(resolve('jest.config.js')).href)) as JestConfig
  const { lines, branches } = config.coverageThreshold.global
  const verdict = judge(summary, { lines, branches, fileLines: FILE_LINES_FLOOR })
  console.log(
    `Coverage of src/: lines ${verdict.lines.pct} % (${verdict.lines.covered}/${verdict.lines.total}), branches ${verdict.branches.pct} % (${verdict.branches.covered}/${verdict.branches.total}); lowest file ${verdict.lowest.file} at ${verdict.lowest.pct} % of its lines. Floors: lines ${lines} %, branches ${branches} %, each file ${FILE_LINES_FLOOR} % of its lines.`
  )
  for (const problem of verdict.problems) console.error(`Below the floor: ${problem}`)
  return verdict.problems.length > 0 ? 1 : 0
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main()
