import { describe, expect, it } from '@jest/globals'
import { isUnset, realTime } from '../../src/reload/dates.js'

describe('QRS dates', () => {
  it('treats 1753-01-01 and missing values as unset', () => {
    expect(isUnset('1753-01-01T00:00:00.000Z')).toBe(true)
    expect(isUnset('1753-01-01T00:00:00Z')).toBe(true)
    expect(isUnset(undefined)).toBe(true)
    expect(isUnset('')).toBe(true)
    expect(isUnset('2018-09-11T14:21:18.854Z')).toBe(false)
  })

  it('returns ISO 8601 for real times and empty text for unset ones', () => {
    expect(realTime('2018-09-11T14:21:18.854Z')).toBe('2018-09-11T14:21:18.854Z')
    expect(realTime('1753-01-01T00:00:00.000Z')).toBe('')
  })
})
