import { describe, expect, it } from '@jest/globals'
import { describeStatus, isFinal, isSuccess, statusName } from '../../src/reload/status.js'

describe('TaskExecutionStatus', () => {
  it('names every code of the QRS enum', () => {
    expect([...Array(15).keys()].map(statusName)).toEqual([
      'NeverStarted',
      'Triggered',
      'Started',
      'Queued',
      'AbortInitiated',
      'Aborting',
      'Aborted',
      'FinishedSuccess',
      'FinishedFail',
      'Skipped',
      'Retry',
      'Error',
      'Reset',
      'DistributionQueue',
      'DistributionRunning'
    ])
    expect(statusName(42)).toBe('Unknown(42)')
  })

  it('ends the wait on 6, 7, 8, 9, 11, 12 only', () => {
    expect([...Array(16).keys()].filter(isFinal)).toEqual([6, 7, 8, 9, 11, 12])
  })

  it('counts only 7 as success', () => {
    expect([...Array(16).keys()].filter(isSuccess)).toEqual([7])
    expect(describeStatus(9)).toBe('Skipped (9)')
  })
})
