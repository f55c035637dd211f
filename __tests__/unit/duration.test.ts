import { describe, expect, it } from '@jest/globals'
import { parseDuration } from '../../src/inputs/duration.js'
import { formatDuration } from '../../src/util/format.js'

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['120', 120_000],
    ['500ms', 500],
    [' 2H ', 7_200_000]
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration('timeout', text)).toBe(ms)
  })

  it.each(['', 'soon', '5x', '10 minutes', '-5', '0', '0s', '1h-3m', 'h'])('rejects %p naming the input', text => {
    expect(() => parseDuration('timeout', text)).toThrow(/^Input 'timeout': /)
  })
})

describe('formatDuration', () => {
  it.each([
    [250, '250ms'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [3_661_000, '1h1m1s'],
    [0, '0ms']
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })
})
