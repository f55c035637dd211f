import { GUID } from '../util/ids.js'

/**
 * Small typed checks of what the QRS answers, one per kind of value. A check gives the value back typed
 * (an object with only the fields it names: everything else the server sent is dropped) or throws a
 * `WrongShape` that says where and what: `[0].name is an object, not a string`. The value itself is never
 * quoted: it may be huge, nested thousands deep, or hostile.
 */
export type Shape<T> = (value: unknown, at: string) => T

/** Where an answer does not have the shape the action reads; the client turns it into an UnexpectedAnswer. */
export class WrongShape extends Error {
  override name = 'WrongShape'
}

function kind(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'number' && !Number.isFinite(value)) return 'not a finite number'
  return `a ${typeof value}`
}

function wrong(at: string, value: unknown, wanted: string): never {
  const where = at || 'the answer'
  throw new WrongShape(value === undefined ? `${where} is missing (${wanted} expected)` : `${where} is ${kind(value)}, not ${wanted}`)
}

export const text: Shape<string> = (value, at) => (typeof value === 'string' ? value : wrong(at, value, 'a string'))

export const whole: Shape<number> = (value, at) => (Number.isSafeInteger(value) ? (value as number) : wrong(at, value, 'a whole number'))

/** A duration or another measure: any finite number. */
export const amount: Shape<number> = (value, at) => (typeof value === 'number' && Number.isFinite(value) ? value : wrong(at, value, 'a number'))

export const flag: Shape<boolean> = (value, at) => (typeof value === 'boolean' ? value : wrong(at, value, 'true or false'))

/** A string that matches `pattern`, said as `wanted` when it does not. */
export function matching(pattern: RegExp, wanted: string): Shape<string> {
  return (value, at) => (typeof value === 'string' && pattern.test(value) ? value : wrong(at, value, wanted))
}

export const guid = matching(GUID, 'a GUID')

/** Absent, null (or, with `emptyToo`, an empty string): undefined. */
export function optional<T>(shape: Shape<T>, emptyToo = false): Shape<T | undefined> {
  return (value, at) => (value === undefined || value === null || (emptyToo && value === '') ? undefined : shape(value, at))
}

export function list<T>(item: Shape<T>): Shape<T[]> {
  return (value, at) => (Array.isArray(value) ? value.map((element, i) => item(element, `${at}[${i}]`)) : wrong(at, value, 'a list'))
}

/** An object with these fields (each checked; absent optional ones left out), nothing else. */
export function record<T>(fields: { [K in keyof T]-?: Shape<T[K]> }): Shape<T> {
  return (value, at) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) wrong(at, value, 'an object')
    const source = value as Record<string, unknown>
    const checked: Record<string, unknown> = {}
    for (const [name, shape] of Object.entries<Shape<unknown>>(fields)) {
      const field = shape(Object.hasOwn(source, name) ? source[name] : undefined, at ? `${at}.${name}` : name)
      if (field !== undefined) checked[name] = field
    }
    return checked as T
  }
}

/** The first shape that fits. */
export function either<A, B>(first: Shape<A>, second: Shape<B>, wanted: string): Shape<A | B> {
  return (value, at) => {
    for (const shape of [first, second]) {
      try {
        return shape(value, at)
      } catch (error) {
        if (!(error instanceof WrongShape)) throw error
      }
    }
    return wrong(at, value, wanted)
  }
}
