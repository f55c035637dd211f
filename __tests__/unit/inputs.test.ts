import { describe, expect, it } from '@jest/globals'
import { describeSelector, parseMaxTargets, parseTargetInputs } from '../../src/inputs/parse-targets.js'
import { headerValue, parseBoolean, parseChoice, parseCount } from '../../src/inputs/values.js'

const read = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? ''
const GUID = '0D815A2B-4D6C-4F7E-9A6B-1B2C3D4E5F60'

describe('parseTargetInputs: the inputs that name targets', () => {
  it('takes the union of every target input, one per line, in the order of the inputs', () => {
    const parsed = parseTargetInputs(
      read({
        'task-id': `${GUID}\n\n`,
        'task-name': 'Reload Sales, part 1\n  Reload Finance  ',
        'app-id': GUID,
        'app-name': 'Forecast',
        stream: 'Finance',
        'task-tag': 'Nightly',
        'task-custom-property': 'Group = A=B'
      })
    )
    expect(parsed).toEqual({
      targets: [
        { kind: 'task-id', taskId: GUID.toLowerCase() },
        { kind: 'task-name', taskName: 'Reload Sales, part 1' },
        { kind: 'task-name', taskName: 'Reload Finance' },
        { kind: 'app-id', appId: GUID.toLowerCase() },
        { kind: 'app-name', appName: 'Forecast' }
      ],
      selectors: [
        { kind: 'task-tag', tag: 'Nightly' },
        { kind: 'task-custom-property', name: 'Group', value: 'A=B' }
      ],
      stream: 'Finance',
      single: false
    })
    expect(parseTargetInputs(read({ 'task-name': 'Reload Sales' })).single).toBe(true)
    expect(parseTargetInputs(read({ 'task-name': 'A', 'task-tag': 'T' })).single).toBe(false)
  })

  it('refuses what cannot be meant, naming the input', () => {
    const fails = (inputs: Record<string, string>) => () => parseTargetInputs(read(inputs))
    expect(fails({})).toThrow("Input 'task-id': set at least one of task-id, task-name, app-id, app-name, task-tag, task-custom-property.")
    expect(fails({ 'task-id': 'not-a-guid' })).toThrow("Input 'task-id': 'not-a-guid' is not a GUID (e.g. 0d815a2b-4d6c-4f7e-9a6b-1b2c3d4e5f60).")
    expect(fails({ 'task-id': `${GUID}\n${GUID.toLowerCase()}` })).toThrow(`lists '${GUID.toLowerCase()}' twice`)
    // Names: only the same spelling is a repeat (the exact spelling wins on the server).
    expect(fails({ 'task-name': 'Sales\nsales' })).not.toThrow()
    expect(fails({ 'task-name': 'Sales\nSales' })).toThrow("Input 'task-name': lists 'Sales' twice.")
    expect(fails({ 'task-custom-property': 'NoValue' })).toThrow("Input 'task-custom-property': 'NoValue' is not Name=Value (e.g. ReloadGroup=Finance).")
    expect(fails({ 'task-custom-property': '=x' })).toThrow(/is not Name=Value/)
    expect(fails({ 'task-name': 'A', stream: 'S' })).toThrow("Input 'stream': only applies to app-name: set app-name too, or remove stream.")
    expect(fails({ 'app-name': 'A', stream: 'S\nT' })).toThrow("Input 'stream': takes one stream name.")
  })

  it('reads a selector and max-targets as messages name them', () => {
    expect(describeSelector({ kind: 'task-tag', tag: 'Nightly Finance' })).toBe("task-tag 'Nightly Finance'")
    expect(describeSelector({ kind: 'task-custom-property', name: 'Group', value: 'A' })).toBe("task-custom-property 'Group=A'")
    expect(parseMaxTargets('1000')).toBe(1000)
    for (const bad of ['0', '1001', '2.5', 'ten']) expect(() => parseMaxTargets(bad)).toThrow(`Input 'max-targets': '${bad}' is not a whole number from 1 to 1000.`)
  })
})

describe('one input value', () => {
  it('headerValue: refuses a line break or a character outside Latin-1, before Node would', () => {
    expect(headerValue('user-agent', 'qlik-sense-reload (Windows) é')).toBe('qlik-sense-reload (Windows) é')
    expect(() => headerValue('user-agent', 'a\r\nX: 1')).toThrow("Input 'user-agent': contains a line break or a character that cannot go into an HTTP header.")
    expect(() => headerValue('qlik-user', 'UserId=用户')).toThrow(/^Input 'qlik-user': contains/)
  })

  it('parseBoolean: the YAML 1.2 core booleans and yes/on/no/off; anything else named', () => {
    for (const yes of ['true', 'True', 'TRUE', 'yes', 'on']) expect(parseBoolean('wait', yes)).toBe(true)
    for (const no of ['false', 'False', 'FALSE', 'no', 'off']) expect(parseBoolean('wait', no)).toBe(false)
    expect(() => parseBoolean('wait', 'y')).toThrow("Input 'wait': 'y' is not a boolean: use true or false.")
  })

  it('parseChoice and parseCount', () => {
    expect(parseChoice('script-log', 'ALWAYS', ['on-failure', 'always', 'never'])).toBe('always')
    expect(() => parseChoice('script-log', 'sometimes', ['on-failure', 'always'])).toThrow("Input 'script-log': 'sometimes' is not one of on-failure, always.")
    expect(parseCount('max-parallel', '64')).toBe(64)
    for (const bad of ['0', '65', '-1', '1.5', '']) expect(() => parseCount('max-parallel', bad)).toThrow(`Input 'max-parallel': '${bad}' is not a whole number from 1 to 64.`)
  })
})
