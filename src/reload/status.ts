/** QRS TaskExecutionStatus, complete (GET /qrs/about/api/enums lists the same). */
export const STATUS_NAMES: readonly string[] = [
  'NeverStarted', // 0
  'Triggered', // 1
  'Started', // 2
  'Queued', // 3: waits for a free reload slot on the node
  'AbortInitiated', // 4
  'Aborting', // 5
  'Aborted', // 6
  'FinishedSuccess', // 7
  'FinishedFail', // 8
  'Skipped', // 9
  'Retry', // 10: another attempt follows
  'Error', // 11
  'Reset', // 12
  'DistributionQueue', // 13
  'DistributionRunning' // 14
]

export const SUCCESS = 7

/** Statuses that end an execution: 6 Aborted, 7 FinishedSuccess, 8 FinishedFail, 9 Skipped, 11 Error, 12 Reset. */
const FINAL = new Set([6, 7, 8, 9, 11, 12])

export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? `Unknown(${code})`
}

export function isFinal(code: number): boolean {
  return FINAL.has(code)
}

export function isSuccess(code: number): boolean {
  return code === SUCCESS
}

/** "FinishedFail (8)" */
export function describeStatus(code: number): string {
  return `${statusName(code)} (${code})`
}
