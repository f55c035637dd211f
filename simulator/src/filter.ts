/**
 * The QRS filter language (protocol doc section 7): `field op value`, and/or, parentheses.
 * Parsed for real, so that quoting bugs in a client show up as the 400s a server gives.
 */

export class FilterError extends Error {}

type Value = { kind: 'string'; text: string } | { kind: 'number'; num: number } | { kind: 'bool'; bool: boolean } | { kind: 'null' }

type Operator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'sw' | 'ew' | 'so'

export type FilterNode = { type: 'and' | 'or'; left: FilterNode; right: FilterNode } | { type: 'cmp'; field: string[]; op: Operator; value: Value }

type Token = { kind: 'lparen' | 'rparen' } | { kind: 'word'; text: string } | { kind: 'string'; text: string }

const operators = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'sw', 'ew', 'so'])
const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const numberPattern = /^-?\d+(\.\d+)?$/
const fieldPattern = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/

function cannotParse(expression: string, why: string): FilterError {
  return new FilterError(`Cannot parse the expression: ${expression} (${why})`)
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < input.length) {
    const c = input[i]
    if (/\s/.test(c)) {
      i++
    } else if (c === '(' || c === ')') {
      tokens.push({ kind: c === '(' ? 'lparen' : 'rparen' })
      i++
    } else if (c === "'") {
      let text = ''
      i++
      for (;;) {
        if (i >= input.length) throw cannotParse(input, 'unterminated string')
        const d = input[i]
        if (d === '\\') {
          const next = input[i + 1]
          if (next !== "'" && next !== '\\') throw cannotParse(input, `unknown escape \\${next ?? ''}`)
          text += next
          i += 2
        } else if (d === "'") {
          i++
          break
        } else {
          text += d
          i++
        }
      }
      // OData's '' escape leaves two strings back to back: the server refuses that.
      if (input[i] === "'") throw cannotParse(input, "unexpected quote; escape ' as \\'")
      tokens.push({ kind: 'string', text })
    } else {
      let j = i
      while (j < input.length && !/[\s()']/.test(input[j])) j++
      tokens.push({ kind: 'word', text: input.slice(i, j) })
      i = j
    }
  }
  return tokens
}

class Parser {
  private pos = 0
  constructor(
    private readonly tokens: Token[],
    private readonly input: string
  ) {}

  parse(): FilterNode {
    const node = this.parseOr()
    if (this.pos < this.tokens.length) throw cannotParse(this.input, `unexpected ${describe(this.tokens[this.pos])}`)
    return node
  }

  private peekWord(): string | undefined {
    const t = this.tokens[this.pos]
    return t?.kind === 'word' ? t.text.toLowerCase() : undefined
  }

  private parseOr(): FilterNode {
    let left = this.parseAnd()
    while (this.peekWord() === 'or') {
      this.pos++
      left = { type: 'or', left, right: this.parseAnd() }
    }
    return left
  }

  private parseAnd(): FilterNode {
    let left = this.parsePrimary()
    while (this.peekWord() === 'and') {
      this.pos++
      left = { type: 'and', left, right: this.parsePrimary() }
    }
    return left
  }

  private parsePrimary(): FilterNode {
    const t = this.tokens[this.pos]
    if (!t) throw cannotParse(this.input, 'unexpected end')
    if (t.kind === 'lparen') {
      this.pos++
      if (this.tokens[this.pos]?.kind === 'rparen') throw new FilterError('Invalid expression')
      const inner = this.parseOr()
      if (this.tokens[this.pos]?.kind !== 'rparen') throw cannotParse(this.input, 'missing )')
      this.pos++
      return inner
    }
    if (t.kind !== 'word' || !fieldPattern.test(t.text)) throw cannotParse(this.input, `expected a field, got ${describe(t)}`)
    this.pos++
    const opToken = this.tokens[this.pos]
    const op = opToken?.kind === 'word' ? opToken.text.toLowerCase() : ''
    if (!operators.has(op)) throw cannotParse(this.input, `expected an operator after ${t.text}`)
    this.pos++
    return { type: 'cmp', field: t.text.split('.'), op: op as Operator, value: this.parseValue() }
  }

  private parseValue(): Value {
    const t = this.tokens[this.pos]
    if (!t) throw cannotParse(this.input, 'missing value')
    this.pos++
    if (t.kind === 'string') return { kind: 'string', text: t.text }
    if (t.kind === 'word') {
      const lower = t.text.toLowerCase()
      if (guidPattern.test(t.text)) return { kind: 'string', text: t.text }
      if (numberPattern.test(t.text)) return { kind: 'number', num: Number(t.text) }
      if (lower === 'true' || lower === 'false') return { kind: 'bool', bool: lower === 'true' }
      if (lower === 'null') return { kind: 'null' }
    }
    throw cannotParse(this.input, `bad value ${describe(t)}; quote strings with '`)
  }
}

function describe(t: Token): string {
  if (t.kind === 'word') return `'${t.text}'`
  if (t.kind === 'string') return 'a string'
  return t.kind === 'lparen' ? '(' : ')'
}

/** Throws FilterError with the server's message on bad input. */
export function parseFilter(input: string): FilterNode {
  const tokens = tokenize(input)
  if (tokens.length === 0) throw new FilterError('Invalid expression')
  return new Parser(tokens, input).parse()
}

/** Values at a dotted path; keys match case-insensitively (`ExecutionId` finds `executionID`), arrays fan out. */
function resolvePath(entity: unknown, path: string[]): unknown[] {
  let current: unknown[] = [entity]
  for (const segment of path) {
    const next: unknown[] = []
    const lower = segment.toLowerCase()
    for (const item of current) {
      for (const obj of (Array.isArray(item) ? item : [item]) as unknown[]) {
        if (obj === null || typeof obj !== 'object') continue
        const key = Object.keys(obj).find((k) => k.toLowerCase() === lower)
        if (key !== undefined) next.push((obj as Record<string, unknown>)[key])
      }
    }
    current = next
  }
  return current.flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : [v]))
}

function compare(actual: unknown, op: Operator, value: Value): boolean {
  if (value.kind === 'null') {
    const isNull = actual === null || actual === undefined
    if (op === 'eq') return isNull
    if (op === 'ne') return !isNull
    return false
  }
  if (actual === null || actual === undefined) return op === 'ne'
  if (value.kind === 'bool') {
    if (typeof actual !== 'boolean') return false
    if (op === 'eq') return actual === value.bool
    if (op === 'ne') return actual !== value.bool
    return false
  }
  if (value.kind === 'number' && typeof actual === 'number') return ordered(actual - value.num, op)
  const a = String(actual).toLowerCase()
  const v = value.kind === 'number' ? String(value.num) : value.text.toLowerCase()
  switch (op) {
    case 'sw':
      return a.startsWith(v)
    case 'ew':
      return a.endsWith(v)
    case 'so':
      return a.includes(v)
    default:
      return ordered(a < v ? -1 : a > v ? 1 : 0, op)
  }
}

function ordered(diff: number, op: Operator): boolean {
  switch (op) {
    case 'eq':
      return diff === 0
    case 'ne':
      return diff !== 0
    case 'gt':
      return diff > 0
    case 'ge':
      return diff >= 0
    case 'lt':
      return diff < 0
    case 'le':
      return diff <= 0
    default:
      return false
  }
}

export function matches(node: FilterNode, entity: unknown): boolean {
  if (node.type !== 'cmp') {
    return node.type === 'and' ? matches(node.left, entity) && matches(node.right, entity) : matches(node.left, entity) || matches(node.right, entity)
  }
  const values = resolvePath(entity, node.field)
  if (values.length === 0) return compare(undefined, node.op, node.value)
  // `ne` must hold for every value of a fanned-out array, the others for any.
  return node.op === 'ne' ? values.every((v) => compare(v, node.op, node.value)) : values.some((v) => compare(v, node.op, node.value))
}
