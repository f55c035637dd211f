import type { RowCheck } from '../inputs/expect-rows.js'
import type { TableRows } from './types.js'

/** One check against one table: `*` gives one per table. `actual` is undefined for a table that does not exist. */
export interface CheckOutcome {
  check: RowCheck
  table: string
  actual?: number
  held: boolean
}

const COMPARE: Record<RowCheck['op'], (actual: number, count: number) => boolean> = {
  '>=': (a, c) => a >= c,
  '>': (a, c) => a > c,
  '=': (a, c) => a === c,
  '<=': (a, c) => a <= c,
  '<': (a, c) => a < c
}

/** Runs every check against the tables read after the reload. A named table that is missing fails its check; `*` of an app without tables too. */
export function runChecks(checks: RowCheck[], tables: TableRows[]): CheckOutcome[] {
  return checks.flatMap((check): CheckOutcome[] => {
    if (check.every) {
      if (tables.length === 0) return [{ check, table: '*', held: false }]
      return tables.map(table => ({ check, table: table.name, actual: table.rows, held: COMPARE[check.op](table.rows, check.count) }))
    }
    const table = tables.find(t => t.name === check.table)
    return [{ check, table: check.table, actual: table?.rows, held: table !== undefined && COMPARE[check.op](table.rows, check.count) }]
  })
}

/** A failed check in one sentence: the table, the expected and the actual count. */
export function describeFailure(outcome: CheckOutcome, tables: TableRows[]): string {
  const { check, table, actual } = outcome
  const expected = `expected ${check.op} ${check.count.toLocaleString('en-US')}`
  if (table === '*' && actual === undefined) return `the app has no tables (${check.line}: ${expected} in every table)`
  if (actual !== undefined) return `table '${table}' has ${actual.toLocaleString('en-US')} rows, ${expected}`
  const near = tables.find(t => t.name.toLowerCase() === table.toLowerCase())
  const listed = tables.slice(0, 20).map(t => `'${t.name}'`)
  const known = tables.length === 0 ? 'the app has no tables' : `the app has ${listed.join(', ')}${tables.length > 20 ? ` and ${tables.length - 20} more` : ''}`
  return `table '${table}' does not exist (${expected}; ${near ? `did you mean '${near.name}'? ` : ''}${known})`
}
