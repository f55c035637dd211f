import { describe, expect, it } from '@jest/globals'
import { GAP_BOUNDS, parseDuration, TIMEOUT_BOUNDS } from '../../src/inputs/duration.js'
import { formatDuration } from '../../src/util/format.js'

describe('parseDuration', () => {
  const any = { min: 1, max: 2 ** 31 - 1 }

  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['120', 120_000],
    ['500ms', 500],
    ['1.0004s', 1_000],
    [' 2H ', 7_200_000]
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration('timeout', text, any)).toBe(ms)
  })

  it.each(['', 'soon', '5x', '10 minutes', '-5', '0', '0s', '1h-3m', 'h'])('rejects %p naming the input', text => {
    expect(() => parseDuration('timeout', text, any)).toThrow(/^Input 'timeout': /)
  })

  it('keeps each input within its bounds, checked before rounding, and every bound within Node’s timers', () => {
    expect(parseDuration('timeout', '1s', TIMEOUT_BOUNDS)).toBe(1_000)
    expect(parseDuration('timeout', '576h', TIMEOUT_BOUNDS)).toBe(2_073_600_000)
    expect(parseDuration('request-timeout', '1h', GAP_BOUNDS)).toBe(3_600_000)
    // 0.4 ms rounds to 0, 999.6 ms to 1 s: the value as written is what is checked.
    expect(() => parseDuration('timeout', '0.4ms', TIMEOUT_BOUNDS)).toThrow("Input 'timeout': '0.4ms' is shorter than 1s: use a duration from 1s to 576h.")
    expect(() => parseDuration('timeout', '999.6ms', TIMEOUT_BOUNDS)).toThrow(/is shorter than 1s/)
    expect(() => parseDuration('timeout', '576h0.5ms', TIMEOUT_BOUNDS)).toThrow("Input 'timeout': '576h0.5ms' is longer than 576h: use a duration from 1s to 576h.")
    expect(() => parseDuration('max-poll-interval', '600h', GAP_BOUNDS)).toThrow("Input 'max-poll-interval': '600h' is longer than 1h: use a duration from 1s to 1h.")
    expect(() => parseDuration('timeout', '597h', { min: 1, max: Infinity })).toThrow(/is longer than/)
    for (const { max } of [TIMEOUT_BOUNDS, GAP_BOUNDS]) expect(max).toBeLessThanOrEqual(2 ** 31 - 1)
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
