import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { DEFAULTS } from '../../src/settings/settings.js'

// The runner fills action.yml's defaults; a hand-made `node dist/index.js` run gets src/inputs' copy.
// The two must agree, input by input, in both directions.
const action = parse(readFileSync('action.yml', 'utf8')) as { inputs: Record<string, { default?: string | number | boolean }> }
const ymlDefaults = Object.fromEntries(
  Object.entries(action.inputs)
    .filter(([, input]) => input.default !== undefined && String(input.default) !== '')
    .map(([name, input]) => [name, String(input.default)])
)

describe('input defaults', () => {
  it('action.yml has defaults to compare', () => {
    expect(Object.keys(ymlDefaults).length).toBeGreaterThan(10)
  })

  it.each(Object.entries(DEFAULTS))("src/inputs' default of %s is action.yml's", (name, value) => {
    expect(action.inputs[name]).toBeDefined()
    expect(String(action.inputs[name].default)).toBe(value)
  })

  it.each(Object.entries(ymlDefaults))("action.yml's default of %s is in src/inputs", (name, value) => {
    expect((DEFAULTS as Record<string, string>)[name]).toBe(value)
  })
})
