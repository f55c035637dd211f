import { describe, test, expect } from '@jest/globals'
import { FilterError, matches, parseFilter } from '../src/index.js'

const task = {
  id: '11111111-1111-4111-8111-111111111111',
  name: "Reload O'Brien Ümsätze",
  path: 'C:\\Data\\sales',
  enabled: true,
  maxRetries: 2,
  app: { id: '5A8C6E3F-2B1D-4C7A-9E0F-1A2B3C4D5E60', name: 'Sales' },
  operational: { lastExecutionResult: { status: 7, stopTime: '2024-05-01T10:00:00.000Z' } },
  tags: [{ name: 'nightly' }, { name: 'finance' }],
  stream: null,
  executionID: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee'
}

const test1 = (filter: string): boolean => matches(parseFilter(filter), task)

function parseError(filter: string): string {
  try {
    parseFilter(filter)
  } catch (err) {
    expect(err).toBeInstanceOf(FilterError)
    return (err as Error).message
  }
  throw new Error(`parsed: ${filter}`)
}

describe('filter parser', () => {
  test('eq and ne, strings case-insensitive', () => {
    expect(test1("name eq 'reload o\\'brien ümsätze'")).toBe(true)
    expect(test1("name ne 'Reload Sales'")).toBe(true)
    expect(test1("name eq 'Reload Sales'")).toBe(false)
  })

  test('numbers: gt ge lt le', () => {
    expect(test1('maxRetries gt 1')).toBe(true)
    expect(test1('maxRetries ge 2')).toBe(true)
    expect(test1('maxRetries lt 2')).toBe(false)
    expect(test1('maxRetries le 2')).toBe(true)
    expect(test1('operational.lastExecutionResult.status eq 7')).toBe(true)
  })

  test('dates compare as strings', () => {
    expect(test1("operational.lastExecutionResult.stopTime gt '2024-01-01T00:00:00.000Z'")).toBe(true)
    expect(test1("operational.lastExecutionResult.stopTime lt '2024-01-01T00:00:00.000Z'")).toBe(false)
  })

  test('sw ew so', () => {
    expect(test1("name sw 'reload'")).toBe(true)
    expect(test1("name ew 'SÄTZE'")).toBe(true)
    expect(test1("name so 'brien'")).toBe(true)
    expect(test1("name so 'nothing'")).toBe(false)
  })

  test('unquoted GUIDs, booleans, null; dotted and case-insensitive field names', () => {
    expect(test1('app.id eq 5a8c6e3f-2b1d-4c7a-9e0f-1a2b3c4d5e60')).toBe(true)
    expect(test1('ExecutionId eq aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee')).toBe(true)
    expect(test1('enabled eq true')).toBe(true)
    expect(test1('enabled eq false')).toBe(false)
    expect(test1('stream eq null')).toBe(true)
    expect(test1('app ne null')).toBe(true)
    expect(test1('missing.field eq null')).toBe(true)
  })

  test('arrays fan out', () => {
    expect(test1("tags.name eq 'finance'")).toBe(true)
    expect(test1("tags.name eq 'weekly'")).toBe(false)
  })

  test('and, or, parentheses and precedence', () => {
    expect(test1("name sw 'x' or maxRetries eq 2 and enabled eq true")).toBe(true)
    expect(test1("(name sw 'x' or maxRetries eq 2) and enabled eq false")).toBe(false)
    expect(test1("((name so 'sales') or (app.name eq 'sales')) and (enabled eq true)")).toBe(true)
    expect(test1("name so 'x' AND enabled eq true")).toBe(false)
  })

  test("escapes: \\' and \\\\", () => {
    expect(test1("path eq 'C:\\\\Data\\\\sales'")).toBe(true)
    expect(test1("name so 'o\\'b'")).toBe(true)
  })

  test("OData '' is rejected", () => {
    expect(parseError("name eq 'O''Brien'")).toMatch(/^Cannot parse the expression: /)
  })

  test('empty () is Invalid expression', () => {
    expect(parseError('()')).toBe('Invalid expression')
    expect(parseError("name eq 'a' and ()")).toBe('Invalid expression')
  })

  test('other syntax errors', () => {
    for (const bad of ["name eq 'open", 'name eq', "name like 'x'", 'name eq Sales', "(name eq 'x'", "name eq 'x')", "'x' eq name", "name eq 'a\\nb'"]) {
      expect(parseError(bad)).toMatch(/^Cannot parse the expression: /)
    }
  })
})
