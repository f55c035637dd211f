import { InputError } from '../util/errors.js'

/** Reads one input by its action.yml name, trimmed, with action.yml's default when it is unset. */
export type Get = (name: string) => string

/** Node refuses header values with line breaks or characters outside Latin-1: say which input, before any request. */
export function headerValue(input: string, value: string): string {
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) throw new InputError(input, 'contains a line break or a character that cannot go into an HTTP header.')
  return value
}

export function parseCount(input: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 64) throw new InputError(input, `'${value}' is not a whole number from 1 to 64.`)
  return Number(value)
}

export function parseChoice<T extends string>(input: string, value: string, choices: readonly T[]): T {
  const choice = value.toLowerCase()
  if (!(choices as readonly string[]).includes(choice)) throw new InputError(input, `'${value}' is not one of ${choices.join(', ')}.`)
  return choice as T
}

const TRUE = ['true', 'True', 'TRUE', 'yes', 'on']
const FALSE = ['false', 'False', 'FALSE', 'no', 'off']

export function parseBoolean(input: string, value: string): boolean {
  if (TRUE.includes(value)) return true
  if (FALSE.includes(value)) return false
  throw new InputError(input, `'${value}' is not a boolean: use true or false.`)
}
