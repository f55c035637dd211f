/** The QRS writes unset dates as 1753-01-01T00:00:00.000Z (SQL Server's minimum). */
export function isUnset(value: string | undefined): boolean {
  if (!value) return true
  const time = Date.parse(value)
  return Number.isNaN(time) || new Date(time).getUTCFullYear() <= 1753
}

/** An ISO 8601 time, or '' when the QRS left it unset. */
export function realTime(value: string | undefined): string {
  return isUnset(value) ? '' : new Date(Date.parse(value!)).toISOString()
}
