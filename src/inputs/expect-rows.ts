import { InputError } from '../util/errors.js'

const OPERATORS = ['>=', '<=', '>', '<', '='] as const
type Operator = (typeof OPERATORS)[number]

/** One line of expect-rows: a table (or `*`, every table) whose row count must compare so with `count`. */
export interface RowCheck {
  /** The table's name as the data model has it; `*`: every table. */
  table: string
  /** Every table of the app, not one named `*`. */
  every: boolean
  op: Operator
  count: number
  /** The line as written, for messages. */
  line: string
}

// `<table> <op> <count>`; a name with <, > or = in it is quoted ("a>b" or [a>b]), as in a load script.
const LINE = /^(?:"([^"]+)"|\[([^\]]+)\]|([^<>="[][^<>=]*?))\s*(>=|<=|>|<|=)\s*(\d+)$/

/** expect-rows: one check per line; a bad line names itself. */
export function parseExpectRows(value: string): RowCheck[] {
  const checks: RowCheck[] = []
  const seen = new Set<string>()
  for (const line of value
    .split(/\r?\n/)
    .map(l => l.trim())
    .filter(Boolean)) {
    const match = LINE.exec(line)
    if (!match) throw new InputError('expect-rows', `'${line}' is not '<table> <op> <count>' (op one of ${OPERATORS.join(' ')}; e.g. 'Orders >= 1', '* > 0').`)
    const quoted = match[1] ?? match[2]
    const table = (quoted ?? match[3]).trim()
    const count = Number(match[5])
    if (!Number.isSafeInteger(count)) throw new InputError('expect-rows', `'${line}': ${match[5]} is too large a count.`)
    const check: RowCheck = { table, every: quoted === undefined && table === '*', op: match[4] as Operator, count, line }
    const key = `${check.every ? '*' : `[${table}]`} ${check.op} ${count}`
    if (seen.has(key)) throw new InputError('expect-rows', `lists '${line}' twice.`)
    seen.add(key)
    checks.push(check)
  }
  return checks
}
