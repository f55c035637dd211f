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

const SUCCESS = 7

/** Final statuses that count as a failure: 6 Aborted, 8 FinishedFail, 11 Error, 12 Reset. */
const FAILED = new Set([6, 8, 11, 12])

/** Statuses that end an execution: the failures, 7 FinishedSuccess and 9 Skipped. */
const FINAL = new Set([...FAILED, SUCCESS, 9])

export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? `Unknown(${code})`
}

export function isFinal(code: number): boolean {
  return FINAL.has(code)
}

export function isSuccess(code: number): boolean {
  return code === SUCCESS
}

/** Ended without success and not skipped: what fires a "TaskFail" trigger. */
export function isFailed(code: number): boolean {
  return FAILED.has(code)
}

/** "FinishedFail (8)" */
export function describeStatus(code: number): string {
  return `${statusName(code)} (${code})`
}
