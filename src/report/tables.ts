import type { CheckOutcome } from '../engine/checks.js'
import type { TableRows } from '../engine/types.js'
import { escape } from './html.js'
import type { DataReport } from './target-run.js'

const count = (n: number): string => n.toLocaleString('en-US')

/** One row per table: its rows before (when known) and after, the change, and the checks run on it. */
interface TableRow {
  name: string
  before?: number
  after?: number
  /** The app had tables before the reload, but not this one (or the reverse). */
  beforeKnown: boolean
  checks: CheckOutcome[]
}

function rowsOf(data: DataReport): TableRow[] {
  const after = data.after ?? []
  const names = [...after.map(t => t.name), ...(data.before ?? []).map(t => t.name).filter(n => !after.some(t => t.name === n))]
  // A check on a table that does not exist gets a row of its own.
  for (const outcome of data.checks) if (outcome.table !== '*' && !names.includes(outcome.table)) names.push(outcome.table)
  const find = (list: TableRows[] | undefined, name: string): number | undefined => list?.find(t => t.name === name)?.rows
  const rows = names.map(name => ({
    name,
    before: find(data.before, name),
    after: find(data.after, name),
    beforeKnown: data.before !== undefined,
    checks: data.checks.filter(outcome => outcome.table === name)
  }))
  const noTables = data.checks.filter(outcome => outcome.table === '*')
  return noTables.length > 0 ? [...rows, { name: '*', beforeKnown: false, checks: noTables }] : rows
}

function change(row: TableRow): string {
  if (!row.beforeKnown || !data(row)) return ''
  if (row.before === undefined) return 'new'
  if (row.after === undefined) return 'gone'
  const delta = row.after - row.before
  return delta === 0 ? '±0' : `${delta > 0 ? '+' : '−'}${count(Math.abs(delta))}`
}

const data = (row: TableRow): boolean => row.before !== undefined || row.after !== undefined

function checkText(outcome: CheckOutcome): string {
  const { op, count: expected } = outcome.check
  return `${outcome.held ? '✅' : '❌'} ${escape(op)} ${count(expected)}`
}

/** The tables for the step log: "Orders: 126,500 (+1,500) expect >= 1 held". */
export function tableLines(dataReport: DataReport, app: string): string[] {
  const rows = rowsOf(dataReport)
  if (rows.length === 0) return [`Tables of app '${app}': none`]
  return [
    `Tables of app '${app}'${dataReport.after ? ' after the reload' : ''}:`,
    ...rows.map(row => {
      const rows = row.after !== undefined ? count(row.after) : row.name === '*' ? 'no tables' : row.before !== undefined && dataReport.after ? 'gone' : 'no such table'
      const delta = change(row)
      const checks = row.checks.map(o => `${o.check.line}: ${o.held ? 'held' : 'FAILED'}`).join('; ')
      return `  ${row.name}: ${rows}${delta && delta !== 'gone' ? ` (${delta}${row.before !== undefined ? ` from ${count(row.before)}` : ''})` : ''}${checks ? `  [${checks}]` : ''}`
    })
  ]
}

/** The tables for the job summary: rows before → after, the change, and each check with ✅ or ❌. Server text escaped. */
export function tablesHtml(dataReport: DataReport): string {
  const rows = rowsOf(dataReport)
  if (rows.length === 0) return '<p><sub>The app has no tables.</sub></p>'
  const withBefore = dataReport.before !== undefined && dataReport.after !== undefined
  const header = ['Table', ...(withBefore ? ['Rows before', 'Rows after', 'Change'] : ['Rows']), 'Check'].map(h => `<th align="left">${h}</th>`).join('')
  const body = rows.map(row => {
    const after = row.after !== undefined ? count(row.after) : row.name === '*' ? 'no tables' : '—'
    const cells = [
      row.name === '*' ? '* (every table)' : escape(row.name),
      ...(withBefore ? [row.before !== undefined ? count(row.before) : '—', after, change(row)] : [dataReport.after ? after : row.before !== undefined ? count(row.before) : '—']),
      row.checks.map(checkText).join(' ')
    ]
    return `<tr>${cells.map(cell => `<td>${cell}</td>`).join('')}</tr>`
  })
  return `<table><tr>${header}</tr>${body.join('')}</table>`
}
