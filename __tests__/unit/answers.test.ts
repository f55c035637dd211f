/** The shapes of the QRS's answers (qrs/shape.ts, qrs/answers.ts): what the action reads, checked where it enters. */
import { describe, expect, it } from '@jest/globals'
import { executionResult, executionSession, handleAnswer, referenceAnswer, reloadTask, startAnswer } from '../../src/qrs/answers.js'
import { either, flag, guid, list, optional, record, text, whole, WrongShape } from '../../src/qrs/shape.js'

const ID = 'a1000000-0000-4000-8000-000000000001'
const problem = (check: () => unknown): string => {
  try {
    check()
  } catch (error) {
    expect(error).toBeInstanceOf(WrongShape)
    return (error as Error).message
  }
  throw new Error('no problem found')
}

describe('shapes', () => {
  it('give back only the fields named, typed; extra fields are dropped', () => {
    const shape = record<{ id: string; n?: number }>({ id: guid, n: optional(whole) })
    expect(shape({ id: ID, n: 3, extra: { deep: true }, __proto__: { polluted: 1 } }, '')).toEqual({ id: ID, n: 3 })
    expect(shape({ id: ID, n: null }, '')).toEqual({ id: ID })
    expect(Object.keys(shape({ id: ID }, ''))).toEqual(['id'])
  })

  it('say where and what is wrong, never the value', () => {
    const shape = list(record<{ name: string; ok?: boolean }>({ name: text, ok: optional(flag) }))
    expect(problem(() => shape([{ name: 'a' }, { name: { $nested: '<img src=x>' } }], ''))).toBe('[1].name is an object, not a string')
    expect(problem(() => shape([{ name: 'a', ok: 'yes' }], ''))).toBe('[0].ok is a string, not true or false')
    expect(problem(() => shape([{}], ''))).toBe('[0].name is missing (a string expected)')
    expect(problem(() => shape({ name: 'a' }, ''))).toBe('the answer is an object, not a list')
    expect(problem(() => whole(1.5, 'status'))).toBe('status is a number, not a whole number')
    expect(problem(() => whole(Infinity, 'status'))).toBe('status is not a finite number, not a whole number')
    expect(problem(() => guid('../../task/x/stop', 'id'))).toBe('id is a string, not a GUID')
    expect(problem(() => record({})(null, 'app'))).toBe('app is null, not an object')
  })

  it('a name nested 5,000 deep costs one look, not a recursion', () => {
    let nested: unknown = 'x'
    for (let i = 0; i < 5_000; i++) nested = { a: nested }
    expect(problem(() => reloadTask({ id: ID, name: nested }, ''))).toBe('name is an object, not a string')
  })

  it('either: the first shape that fits, else what was wanted', () => {
    expect(handleAnswer('h1', '')).toBe('h1')
    expect(handleAnswer({ value: 'h2' }, '')).toEqual({ value: 'h2' })
    expect(problem(() => handleAnswer(42, ''))).toBe('the answer is a number, not a handle')
    expect(() =>
      either(
        text,
        () => {
          throw new Error('bug')
        },
        'x'
      )(1, '')
    ).toThrow('bug')
  })
})

describe('the answers the action reads', () => {
  it('an execution result: a status that is no number, a detail message that is no text', () => {
    expect(problem(() => executionResult({ id: ID, status: '<img src=x onerror=alert(1)>' }, ''))).toBe('status is a string, not a whole number')
    expect(problem(() => executionResult({ id: ID, status: 8, details: [{ message: { text: 42 } }] }, ''))).toBe('details[0].message is an object, not a string')
    expect(executionResult({ id: ID, status: 8, executionID: '', fileReferenceID: null, details: [{ message: 'm', detailsType: 1 }] }, '')).toEqual({
      id: ID,
      status: 8,
      details: [{ message: 'm', detailsType: 1 }]
    })
  })

  it('ids are GUIDs (they go into paths and filters); a download reference one plain path segment', () => {
    expect(problem(() => executionSession({ id: '../../qrs/task/x/stop' }, ''))).toBe('id is a string, not a GUID')
    expect(startAnswer({ value: ID }, '')).toEqual({ value: ID })
    expect(problem(() => startAnswer({ value: 42 }, ''))).toBe('value is a number, not a GUID')
    expect(problem(() => startAnswer({ value: 'not a guid' }, ''))).toBe('value is a string, not a GUID')
    // An empty id (nothing started) stays what it is; no id at all is not said (reload/refused.ts tells them apart).
    expect(startAnswer({ value: '' }, '')).toEqual({ value: '' })
    expect(startAnswer({ value: null }, '')).toEqual({})
    expect(referenceAnswer({ value: 'abc-123.txt' }, '')).toEqual({ value: 'abc-123.txt' })
    for (const value of ['..', '../x', 'a/b', 'a?b', '%2e%2e']) expect(problem(() => referenceAnswer({ value }, ''))).toBe('value is a string, not a download reference')
  })
})
